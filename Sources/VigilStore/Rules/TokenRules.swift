import Foundation
import VigilCore

/// API tokens (only their hashes are stored), written once over the driver.
extension SQLStore {
    public func createToken(_ token: APITokenRecord, actor: String) throws {
        try driver.write { c in
            guard try c.one("""
                INSERT INTO api_tokens(key, name, scopes, hash, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING RETURNING id
                """, [token.key, token.name, token.scopes.map(\.rawValue).joined(separator: ","), Data(token.hash), token.createdAt]) != nil else {
                throw StoreError("a token with key \(token.key) exists already")
            }
            let scopes = token.scopes.map { "\"\($0.rawValue)\"" }.joined(separator: ",")
            try c.append(Event(ts: token.createdAt, actor: actor, kind: "token.create", model: nil, subject: "token/\(token.key)",
                               details: "{\"scopes\":[\(scopes)]}"))
        }
    }

    public func tokens(includeRevoked: Bool) throws -> [APITokenRecord] {
        try driver.read { c in
            try c.query("""
                SELECT key, name, scopes, hash, created_at, revoked_at FROM api_tokens WHERE $1 OR revoked_at IS NULL ORDER BY id DESC
                """, [includeRevoked]).map { row in
                let scopes = try row.string("scopes").split(separator: ",").compactMap { TokenScope(rawValue: String($0)) }
                return APITokenRecord(key: try row.string("key"), name: try row.string("name"), scopes: scopes, hash: [UInt8](try row.data("hash")),
                                      createdAt: try row.int("created_at"), revokedAt: try row.optionalInt("revoked_at"))
            }
        }
    }

    public func revokeToken(key: String, now: Int64, actor: String) throws -> Bool {
        try driver.write { c in
            guard try c.execute("UPDATE api_tokens SET revoked_at = $1 WHERE key = $2 AND revoked_at IS NULL", [now, key]) == 1 else { return false }
            try c.append(Event(ts: now, actor: actor, kind: "token.revoke", model: nil, subject: "token/\(key)", details: "{}"))
            return true
        }
    }
}
