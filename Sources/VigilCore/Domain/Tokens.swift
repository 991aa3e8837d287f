import Foundation

/// What a bearer token of `vigil serve` may do. `admin` may do everything.
public enum TokenScope: String, Sendable, Codable, CaseIterable, Comparable {
    /// `POST /v1/predictions`, `POST /v1/labels`.
    case ingest
    /// The review API: claim, label, skip, flag, renew, release.
    case review
    /// Models, evaluations, drift, alerts; and `GET /metrics`.
    case read
    /// `GET /metrics` only: for a Prometheus scraper.
    case metrics
    /// Everything, including registry gate/promote.
    case admin

    /// True when a token with this scope may do what `needed` allows: `admin` everything,
    /// `read` also `metrics`, any other scope only itself.
    public func grants(_ needed: TokenScope) -> Bool {
        switch self {
        case .admin: true
        case .read: needed == .read || needed == .metrics
        default: self == needed
        }
    }

    /// The scopes, as `vigil tokens create --scope` accepts them: "ingest, review, read, metrics, admin".
    public static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }

    public static func < (a: TokenScope, b: TokenScope) -> Bool {
        allCases.firstIndex(of: a)! < allCases.firstIndex(of: b)!
    }
}

/// An API token as stored: never the token itself, only its SHA-256.
public struct APITokenRecord: Sendable, Equatable, Codable {
    /// The public part of the token (`vgl_<key>_<secret>`), shown in lists and logs.
    public var key: String
    /// Who holds it; for review tokens, the reviewer identity.
    public var name: String
    public var scopes: [TokenScope]
    /// SHA-256 of the whole token text.
    public var hash: [UInt8]
    public var createdAt: Int64
    public var revokedAt: Int64?

    public init(key: String, name: String, scopes: [TokenScope], hash: [UInt8], createdAt: Int64, revokedAt: Int64? = nil) {
        self.key = key
        self.name = name
        self.scopes = scopes
        self.hash = hash
        self.createdAt = createdAt
        self.revokedAt = revokedAt
    }

    enum CodingKeys: String, CodingKey {
        case key, name, scopes
        case createdAt = "created_at"
        case revokedAt = "revoked_at"
        case hash
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        key = try c.decode(String.self, forKey: .key)
        name = try c.decode(String.self, forKey: .name)
        scopes = try c.decode([TokenScope].self, forKey: .scopes)
        createdAt = try c.decode(Int64.self, forKey: .createdAt)
        revokedAt = try c.decodeIfPresent(Int64.self, forKey: .revokedAt)
        hash = []
    }

    /// Encodes everything but the hash.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(key, forKey: .key)
        try c.encode(name, forKey: .name)
        try c.encode(scopes, forKey: .scopes)
        try c.encode(createdAt, forKey: .createdAt)
        try c.encodeIfPresent(revokedAt, forKey: .revokedAt)
    }
}
