import GRDB

extension SQLiteStore {
    /// `v3-alerts`: alert state, what each receiver was last told, silences and the outbox of
    /// notifications with its delivery attempts.
    static func migrateAlerts(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE alerts(
              fingerprint TEXT PRIMARY KEY,
              model TEXT NOT NULL,
              rule TEXT NOT NULL,
              metric TEXT NOT NULL,
              class TEXT,
              severity TEXT NOT NULL,
              state TEXT NOT NULL CHECK (state IN ('firing', 'resolved')),
              starts_at INTEGER NOT NULL,
              ends_at INTEGER,
              updated_at INTEGER NOT NULL,
              run_id INTEGER,
              window_from INTEGER,
              window_to INTEGER,
              value REAL,
              threshold REAL,
              evidence INTEGER NOT NULL,
              message TEXT NOT NULL,
              inhibited TEXT);
            CREATE INDEX alerts_by_model ON alerts(model, state);
            CREATE TABLE alert_receipts(
              fingerprint TEXT NOT NULL,
              receiver TEXT NOT NULL,
              status TEXT NOT NULL,
              severity TEXT NOT NULL,
              sent_at INTEGER NOT NULL,
              PRIMARY KEY (fingerprint, receiver)) WITHOUT ROWID;
            CREATE TABLE silences(
              id INTEGER PRIMARY KEY,
              model TEXT NOT NULL,
              rule TEXT,
              class TEXT,
              starts_at INTEGER NOT NULL,
              ends_at INTEGER NOT NULL,
              reason TEXT NOT NULL,
              created_by TEXT NOT NULL);
            CREATE TABLE outbox(
              seq INTEGER PRIMARY KEY,
              id TEXT NOT NULL UNIQUE,
              receiver TEXT NOT NULL,
              model TEXT,
              topic TEXT NOT NULL,
              body TEXT NOT NULL,
              state TEXT NOT NULL CHECK (state IN ('pending', 'delivered', 'dead')),
              attempts INTEGER NOT NULL DEFAULT 0,
              created_at INTEGER NOT NULL,
              next_attempt_at INTEGER NOT NULL,
              lease_owner TEXT,
              lease_until INTEGER NOT NULL DEFAULT 0,
              last_status INTEGER,
              last_error TEXT,
              finished_at INTEGER);
            CREATE INDEX outbox_pending ON outbox(state, receiver, seq);
            CREATE TABLE outbox_attempts(
              seq INTEGER NOT NULL,
              attempt INTEGER NOT NULL,
              ts INTEGER NOT NULL,
              status INTEGER,
              error TEXT,
              outcome TEXT NOT NULL,
              PRIMARY KEY (seq, attempt)) WITHOUT ROWID;
            PRAGMA user_version = 3;
            """)
    }
}
