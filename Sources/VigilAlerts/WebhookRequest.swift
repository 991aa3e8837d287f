import Foundation
import VigilCore
import VigilStore

/// The HTTP request for one outbox row, built at send time: `${VAR}` secrets are expanded here
/// and nowhere else, and webhook receivers get a fresh Standard Webhooks signature per attempt.
public struct WebhookRequest: Sendable {
    public var url: URL
    public var headers: [String: String]
    public var body: Data

    public init(url: URL, headers: [String: String], body: Data) {
        self.url = url
        self.headers = headers
        self.body = body
    }

    /// Builds the request of `notification` for `receiver` at `now`.
    public static func build(_ notification: OutboxNotification, receiver: Receiver, environment: [String: String], now: Date) throws -> WebhookRequest {
        let field = "vigil.yaml: receivers[\(receiver.name)]"
        var urlText = try SecretText.expand(receiver.url, environment: environment, field: "\(field).url")
        if receiver.kind == .discord, !urlText.contains("wait=") {
            // Without wait=true Discord drops a bad message silently.
            urlText += (urlText.contains("?") ? "&" : "?") + "wait=true"
        }
        let url = try ReceiverTarget.url(urlText, receiver: receiver.name)
        var body = notification.body
        if let placeholder = receiver.routingKey, placeholder.contains("${") {
            let key = try SecretText.expand(placeholder, environment: environment, field: "\(field).routing_key")
            body = body.replacingOccurrences(of: JSONText.escape(placeholder), with: JSONText.escape(key))
        }
        let bytes = Data(body.utf8)
        var headers = ["Content-Type": "application/json", "User-Agent": "Vigil-Alerts/1", "X-Vigil-Notification": notification.id]
        if receiver.kind == .webhook {
            let timestamp = Int64(now.timeIntervalSince1970.rounded(.down))
            headers["webhook-id"] = notification.id
            headers["webhook-timestamp"] = String(timestamp)
            if let secret = receiver.secret {
                let signer = try StandardWebhookSignature(secret: SecretText.expand(secret, environment: environment, field: "\(field).secret"))
                headers["webhook-signature"] = signer.signature(id: notification.id, timestamp: timestamp, body: bytes)
            }
        }
        return WebhookRequest(url: url, headers: headers, body: bytes)
    }
}
