import GRDB

extension SQLiteStore {
    /// `v7-server`: the API tokens of `vigil serve`, stored as SHA-256 hashes.
    static func migrateServer(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE api_tokens(
              id INTEGER PRIMARY KEY,
              key TEXT NOT NULL UNIQUE,
              name TEXT NOT NULL,
              scopes TEXT NOT NULL,
              hash BLOB NOT NULL,
              created_at INTEGER NOT NULL,
              revoked_at INTEGER);
            PRAGMA user_version = 7;
            """)
    }
}
