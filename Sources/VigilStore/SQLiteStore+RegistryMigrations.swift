import GRDB

extension SQLiteStore {
    /// `v6-registry`: model versions, their aliases and the history of every alias move, and
    /// retraining jobs (state, lease, attempts, log).
    static func migrateRegistry(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE model_versions(
              model TEXT NOT NULL,
              version INTEGER NOT NULL,
              state TEXT NOT NULL CHECK (state IN ('candidate', 'promoted', 'rejected', 'archived')),
              artifact_sha256 TEXT NOT NULL,
              artifact_path TEXT NOT NULL,
              classes TEXT NOT NULL,
              parent_version INTEGER,
              job_id INTEGER,
              data_fingerprint TEXT,
              lineage TEXT NOT NULL,
              card TEXT NOT NULL,
              created_at INTEGER NOT NULL,
              created_by TEXT NOT NULL,
              PRIMARY KEY (model, version)) WITHOUT ROWID;
            CREATE TABLE model_aliases(
              model TEXT NOT NULL,
              alias TEXT NOT NULL,
              version INTEGER NOT NULL,
              updated_at INTEGER NOT NULL,
              PRIMARY KEY (model, alias)) WITHOUT ROWID;
            CREATE TABLE alias_moves(
              id INTEGER PRIMARY KEY,
              model TEXT NOT NULL,
              alias TEXT NOT NULL,
              from_version INTEGER,
              to_version INTEGER NOT NULL,
              kind TEXT NOT NULL CHECK (kind IN ('promote', 'override', 'rollback', 'set')),
              actor TEXT NOT NULL,
              ts INTEGER NOT NULL,
              verdict TEXT,
              reason TEXT);
            CREATE INDEX alias_moves_by_model ON alias_moves(model, id);
            CREATE TRIGGER alias_moves_no_update BEFORE UPDATE ON alias_moves
              BEGIN SELECT RAISE(ABORT, 'the alias history is append-only'); END;
            CREATE TRIGGER alias_moves_no_delete BEFORE DELETE ON alias_moves
              BEGIN SELECT RAISE(ABORT, 'the alias history is append-only'); END;
            CREATE TABLE retrain_jobs(
              id INTEGER PRIMARY KEY,
              model TEXT NOT NULL,
              state TEXT NOT NULL CHECK (state IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
              trigger TEXT NOT NULL,
              trainer TEXT NOT NULL,
              cause TEXT NOT NULL,
              attempts INTEGER NOT NULL DEFAULT 0,
              max_attempts INTEGER NOT NULL,
              owner TEXT,
              pid INTEGER,
              lease_until INTEGER,
              created_at INTEGER NOT NULL,
              started_at INTEGER,
              finished_at INTEGER,
              error TEXT,
              log TEXT,
              candidate_version INTEGER);
            CREATE INDEX retrain_jobs_by_state ON retrain_jobs(state, model, id);
            PRAGMA user_version = 6;
            """)
    }
}
