import Foundation
import VigilCore

/// The links alerts carry to the report pages of `vigil serve`: `<server_url>/models/<model>`
/// and `<server_url>/models/<model>/runs/<id>`. With the store's report-link secret
/// (`TokenStore.reportLinkSecret`) they are signed, so a person who clicks one in Slack, Teams
/// or an email opens the page without a token:
///
///     <server_url>/models/shelf-classifier/runs/42?exp=1764547200&sig=<64 hex digits>
///
/// `exp` is when the link stops opening (Unix seconds, ``validitySeconds`` after the
/// notification was queued) and `sig` the hex HMAC-SHA256, under the secret, of
/// `<path>\n<exp>` — the path as ``path(model:runID:)`` writes it, so a signature opens exactly
/// one page until one instant. The same rule checks a presented link (``check(path:expires:signature:now:secret:)``).
///
/// ```swift
/// let links = ReportLinks(serverURL: "https://vigil.example.com", secret: try store.reportLinkSecret(candidate: ReportLinks.newSecret()))
/// links?.url(model: "shelf-classifier", runID: 42, issuedAt: now)
/// ```
public struct ReportLinks: Sendable, Equatable {
    /// How long a signed link opens: 30 days from the notification that carries it.
    public static let validitySeconds: Int64 = 30 * 86_400

    /// `server_url` without a trailing slash.
    public var serverURL: String
    /// The secret that signs; `nil` gives plain links (the pages then need a `read` token).
    public var secret: [UInt8]?

    /// Links under `serverURL`; `nil` when no server URL is configured.
    public init?(serverURL: String?, secret: [UInt8]? = nil) {
        guard let trimmed = serverURL?.trimmingCharacters(in: CharacterSet(charactersIn: "/").union(.whitespaces)), !trimmed.isEmpty else { return nil }
        self.serverURL = trimmed
        self.secret = secret
    }

    /// The page of `model`'s run `runID` (of the model when `nil`), signed when there is a
    /// secret, valid for ``validitySeconds`` from `issuedAt` (ms).
    public func url(model: String, runID: Int64?, issuedAt: Int64) -> String {
        let path = Self.path(model: model, runID: runID)
        guard let secret else { return serverURL + path }
        return serverURL + path + "?" + Self.query(path: path, expires: issuedAt / 1000 + Self.validitySeconds, secret: secret)
    }

    /// The path of a report page, which is what is signed: `/models/<model>` or
    /// `/models/<model>/runs/<id>`, the model name percent-encoded (letters, digits and `-._~` stay).
    public static func path(model: String, runID: Int64?) -> String {
        let allowed = CharacterSet(charactersIn: "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._~")
        let name = model.addingPercentEncoding(withAllowedCharacters: allowed) ?? model
        return "/models/\(name)" + (runID.map { "/runs/\($0)" } ?? "")
    }

    /// `exp=<expires>&sig=<signature>`: the query that opens `path` until `expires` (Unix seconds).
    public static func query(path: String, expires: Int64, secret: [UInt8]) -> String {
        "exp=\(expires)&sig=\(signature(path: path, expires: expires, secret: secret))"
    }

    /// The hex HMAC-SHA256 of `<path>\n<expires>` under `secret`.
    public static func signature(path: String, expires: Int64, secret: [UInt8]) -> String {
        HMACSHA256.authenticate(Array("\(path)\n\(expires)".utf8), key: secret).hexString
    }

    /// What a presented link is worth.
    public enum Verdict: Sendable, Equatable {
        /// It was made for this path with this secret and has not expired.
        case valid(expires: Int64)
        /// Made for this path with this secret, but `exp` (Unix seconds) has passed.
        case expired(at: Int64)
        /// Missing, malformed, made for another page or with another secret, or altered.
        case invalid
    }

    /// Checks the `exp` and `sig` a request presented for `path` at `now` (Unix seconds). The
    /// signature is compared in constant time, before the expiry is looked at.
    public static func check(path: String, expires: String?, signature: String?, now: Int64, secret: [UInt8]) -> Verdict {
        guard let expires, let exp = Int64(expires), let signature, signature.utf8.count == 64 else { return .invalid }
        let expected = Array(Self.signature(path: path, expires: exp, secret: secret).utf8)
        guard HMACSHA256.constantTimeEquals(expected, Array(signature.lowercased().utf8)) else { return .invalid }
        return now < exp ? .valid(expires: exp) : .expired(at: exp)
    }

    /// 32 bytes from the system's random generator: a new store's secret candidate.
    public static func newSecret() -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }
}
