import Foundation
import GRDB

extension SQLiteStore: TokenStore {
    public func createToken(_ token: APITokenRecord, actor: String) throws {
        try queue.write { db in
            if try Bool.fetchOne(db, sql: "SELECT 1 FROM api_tokens WHERE key = ?", arguments: [token.key]) == true {
                throw StoreError("a token with key \(token.key) exists already")
            }
            try db.execute(sql: "INSERT INTO api_tokens(key, name, scopes, hash, created_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [token.key, token.name, token.scopes.map(\.rawValue).joined(separator: ","), Data(token.hash), token.createdAt])
            let scopes = token.scopes.map { "\"\($0.rawValue)\"" }.joined(separator: ",")
            try Self.append(db, Event(ts: token.createdAt, actor: actor, kind: "token.create", model: nil, subject: "token/\(token.key)",
                                      details: "{\"scopes\":[\(scopes)]}"))
        }
    }

    public func tokens(includeRevoked: Bool) throws -> [APITokenRecord] {
        try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT key, name, scopes, hash, created_at, revoked_at FROM api_tokens
                WHERE ?1 OR revoked_at IS NULL ORDER BY id DESC
                """, arguments: [includeRevoked]).map { row in
                let scopes = (row["scopes"] as String).split(separator: ",").compactMap { TokenScope(rawValue: String($0)) }
                return APITokenRecord(key: row["key"], name: row["name"], scopes: scopes, hash: [UInt8](row["hash"] as Data),
                                      createdAt: row["created_at"], revokedAt: row["revoked_at"])
            }
        }
    }

    public func revokeToken(key: String, now: Int64, actor: String) throws -> Bool {
        try queue.write { db in
            try db.execute(sql: "UPDATE api_tokens SET revoked_at = ? WHERE key = ? AND revoked_at IS NULL", arguments: [now, key])
            guard db.changesCount == 1 else { return false }
            try Self.append(db, Event(ts: now, actor: actor, kind: "token.revoke", model: nil, subject: "token/\(key)", details: "{}"))
            return true
        }
    }
}
