import Foundation
import VigilCore

/// Signs a request the Standard Webhooks way: HMAC-SHA256 over `{id}.{timestamp}.{body}`,
/// sent as `webhook-signature: v1,<base64>` next to `webhook-id` and `webhook-timestamp`.
///
/// ```swift
/// let signer = try StandardWebhookSignature(secret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw")
/// let header = signer.signature(id: "msg_1", timestamp: 1_700_000_000, body: Data(body.utf8))
/// ```
public struct StandardWebhookSignature: Sendable {
    let key: [UInt8]

    /// `secret` is `whsec_` followed by base64 of the key bytes (the `whsec_` prefix is optional).
    public init(secret: String) throws {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let bytes = Data(base64Encoded: encoded), !bytes.isEmpty else {
            throw AlertError("the webhook secret is not whsec_<base64>; make one with `echo whsec_$(head -c 32 /dev/urandom | base64)`")
        }
        key = Array(bytes)
    }

    /// The `webhook-signature` header value.
    public func signature(id: String, timestamp: Int64, body: Data) -> String {
        var message = Array("\(id).\(timestamp).".utf8)
        message += body
        return "v1," + Data(HMACSHA256.authenticate(message, key: key)).base64EncodedString()
    }
}
