import Foundation
import VigilCore
import VigilStore

/// Bearer tokens of `vigil serve`: `vgl_<key>_<secret>`, where the key (12 hex digits) names the
/// token in lists and logs and the secret is 32 random bytes in hex. Only the SHA-256 of the
/// whole text is stored; the token itself is shown once, when it is created.
///
/// ```swift
/// let (token, record) = APITokens.generate(name: "alice", scopes: [.review], now: now)
/// try store.createToken(record, actor: "cli")
/// print(token)   // vgl_3f9a0c1d2e4b_…
/// ```
public enum APITokens {
    public static let prefix = "vgl_"

    /// A new random token and the record to store for it.
    public static func generate(name: String, scopes: [TokenScope], now: Int64) -> (token: String, record: APITokenRecord) {
        var rng = SystemRandomNumberGenerator()
        let key = (0..<6).map { _ in UInt8.random(in: 0...255, using: &rng) }.hexString
        let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &rng) }.hexString
        let token = "\(prefix)\(key)_\(secret)"
        return (token, APITokenRecord(key: key, name: name, scopes: Array(Set(scopes)).sorted(), hash: hash(token), createdAt: now))
    }

    /// The key part of a well-formed token, or `nil`.
    public static func key(of token: String) -> String? {
        guard token.hasPrefix(prefix) else { return nil }
        let parts = token.dropFirst(prefix.count).split(separator: "_", omittingEmptySubsequences: false)
        guard parts.count == 2, parts[0].count == 12, parts[1].count == 64,
              parts.allSatisfy({ $0.utf8.allSatisfy { ($0 >= 0x30 && $0 <= 0x39) || ($0 >= 0x61 && $0 <= 0x66) } }) else { return nil }
        return String(parts[0])
    }

    /// SHA-256 of the token's text.
    public static func hash(_ token: String) -> [UInt8] { SHA256.hash(Array(token.utf8)) }

    /// Compares in time that depends only on the lengths, not on where the bytes differ.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool { HMACSHA256.constantTimeEquals(a, b) }
}

/// Who made a request: the token's name and scopes.
public struct Principal: Sendable, Equatable {
    /// The token's key (not secret).
    public var key: String
    /// The token's name; the reviewer identity for the review API.
    public var name: String
    public var scopes: Set<TokenScope>

    public init(key: String, name: String, scopes: Set<TokenScope>) {
        self.key = key
        self.name = name
        self.scopes = scopes
    }

    /// True when one of the token's scopes grants `scope` (``TokenScope/grants(_:)``: `admin`
    /// grants everything, `read` also `metrics`).
    public func allows(_ scope: TokenScope) -> Bool { scopes.contains { $0.grants(scope) } }
}

/// Checks `Authorization: Bearer …` headers against the stored token hashes. The live tokens are
/// read from the store at most once every `cacheSeconds`, so a revocation bites within that time
/// and a request costs no database read.
final class TokenAuthenticator: @unchecked Sendable {
    private let store: any TokenStore & Sendable
    private let cacheMillis: Int64
    private let lock = NSLock()
    private var byKey: [String: APITokenRecord] = [:]
    private var loadedAt: Int64?

    init(store: any TokenStore & Sendable, cacheSeconds: Int64) {
        self.store = store
        self.cacheMillis = cacheSeconds * 1000
    }

    /// The principal of a valid, live token; throws ``APIError/unauthorized`` otherwise.
    func authenticate(authorization: String?) async throws -> Principal {
        guard let authorization, authorization.count > 7, authorization.prefix(7).lowercased() == "bearer " else { throw APIError.unauthorized }
        let token = authorization.dropFirst(7).trimmingCharacters(in: .whitespaces)
        guard let key = APITokens.key(of: token) else { throw APIError.unauthorized }
        let tokens = try await current()
        let presented = APITokens.hash(token)
        guard let record = tokens[key], APITokens.constantTimeEquals(record.hash, presented) else { throw APIError.unauthorized }
        return Principal(key: record.key, name: record.name, scopes: Set(record.scopes))
    }

    private func current() async throws -> [String: APITokenRecord] {
        let now = Int64(Date().timeIntervalSince1970 * 1000)
        if let cached = lock.withLock({ () -> [String: APITokenRecord]? in
            guard let loadedAt, now - loadedAt < cacheMillis else { return nil }
            return byKey
        }) { return cached }
        let store = self.store
        let fresh = try await Blocking.run { try store.tokens(includeRevoked: false) }
        let map = Dictionary(fresh.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a })
        lock.withLock {
            byKey = map
            loadedAt = now
        }
        return map
    }
}
