import GRDB

extension SQLiteStore {
    /// The schema version this build writes; also kept in `PRAGMA user_version`.
    public static let schemaVersion = 13

    /// One named migration per change, never edited after it ships.
    static var migrator: DatabaseMigrator {
        var m = DatabaseMigrator()
        m.registerMigration("v1-foundation") { db in
            try db.execute(sql: """
                CREATE TABLE models(
                  id INTEGER PRIMARY KEY,
                  name TEXT NOT NULL UNIQUE,
                  task TEXT NOT NULL CHECK (task IN ('classification', 'detection')),
                  created_at INTEGER NOT NULL);
                CREATE TABLE model_classes(
                  model_id INTEGER NOT NULL REFERENCES models(id),
                  idx INTEGER NOT NULL,
                  name TEXT NOT NULL,
                  PRIMARY KEY (model_id, idx),
                  UNIQUE (model_id, name)) WITHOUT ROWID;
                CREATE TABLE predictions(
                  seq INTEGER PRIMARY KEY,
                  id TEXT NOT NULL UNIQUE,
                  model_id INTEGER NOT NULL REFERENCES models(id),
                  ts INTEGER NOT NULL,
                  model_version TEXT,
                  label_idx INTEGER,
                  score REAL,
                  payload TEXT,
                  content_hash INTEGER NOT NULL,
                  ingested_at INTEGER NOT NULL);
                CREATE INDEX predictions_by_model_time ON predictions(model_id, ts);
                CREATE TABLE hourly_class_counts(
                  model_id INTEGER NOT NULL,
                  hour INTEGER NOT NULL,
                  label_idx INTEGER NOT NULL,
                  n INTEGER NOT NULL,
                  PRIMARY KEY (model_id, hour, label_idx)) WITHOUT ROWID;
                CREATE TABLE hourly_score_bins(
                  model_id INTEGER NOT NULL,
                  hour INTEGER NOT NULL,
                  label_idx INTEGER NOT NULL,
                  bin INTEGER NOT NULL,
                  n INTEGER NOT NULL,
                  PRIMARY KEY (model_id, hour, label_idx, bin)) WITHOUT ROWID;
                CREATE TABLE ground_truth(
                  prediction_seq INTEGER PRIMARY KEY REFERENCES predictions(seq),
                  model_id INTEGER NOT NULL,
                  ts INTEGER NOT NULL,
                  predicted_idx INTEGER,
                  label_idx INTEGER,
                  boxes TEXT,
                  revision INTEGER NOT NULL,
                  content_hash INTEGER NOT NULL,
                  source TEXT NOT NULL,
                  reviewer TEXT,
                  updated_at INTEGER NOT NULL);
                CREATE INDEX ground_truth_for_evaluation ON ground_truth(model_id, ts, label_idx, predicted_idx);
                CREATE TABLE ground_truth_revisions(
                  id INTEGER PRIMARY KEY,
                  prediction_seq INTEGER NOT NULL REFERENCES predictions(seq),
                  revision INTEGER NOT NULL,
                  label_idx INTEGER,
                  boxes TEXT,
                  content_hash INTEGER NOT NULL,
                  source TEXT NOT NULL,
                  reviewer TEXT,
                  created_at INTEGER NOT NULL,
                  UNIQUE (prediction_seq, revision));
                CREATE TABLE evaluation_runs(
                  id INTEGER PRIMARY KEY,
                  model_id INTEGER NOT NULL REFERENCES models(id),
                  created_at INTEGER NOT NULL,
                  window_from INTEGER NOT NULL,
                  window_to INTEGER NOT NULL,
                  status TEXT NOT NULL,
                  labeled INTEGER NOT NULL,
                  report TEXT NOT NULL);
                CREATE INDEX evaluation_runs_by_model ON evaluation_runs(model_id, created_at);
                CREATE TABLE findings(
                  run_id INTEGER NOT NULL REFERENCES evaluation_runs(id),
                  rule TEXT NOT NULL,
                  metric TEXT NOT NULL,
                  class TEXT,
                  severity TEXT NOT NULL,
                  value REAL,
                  lower REAL,
                  upper REAL,
                  evidence INTEGER NOT NULL,
                  message TEXT NOT NULL,
                  PRIMARY KEY (run_id, rule));
                CREATE TABLE events(
                  id INTEGER PRIMARY KEY,
                  ts INTEGER NOT NULL,
                  actor TEXT NOT NULL,
                  kind TEXT NOT NULL,
                  model TEXT,
                  subject TEXT,
                  details TEXT NOT NULL);
                CREATE INDEX events_by_model ON events(model, id);
                CREATE TRIGGER events_no_update BEFORE UPDATE ON events
                  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
                CREATE TRIGGER events_no_delete BEFORE DELETE ON events
                  BEGIN SELECT RAISE(ABORT, 'the event log is append-only'); END;
                CREATE TRIGGER revisions_no_update BEFORE UPDATE ON ground_truth_revisions
                  BEGIN SELECT RAISE(ABORT, 'label revisions are append-only'); END;
                CREATE TRIGGER revisions_no_delete BEFORE DELETE ON ground_truth_revisions
                  BEGIN SELECT RAISE(ABORT, 'label revisions are append-only'); END;
                PRAGMA user_version = 1;
                """)
        }
        m.registerMigration("v2-hourly-confusion") { db in
            // Per-hour confusion counts of reviewed predictions, kept with the labels, so an
            // evaluation over months reads hours, not rows.
            try db.execute(sql: """
                CREATE TABLE hourly_confusion(
                  model_id INTEGER NOT NULL,
                  hour INTEGER NOT NULL,
                  label_idx INTEGER NOT NULL,
                  predicted_idx INTEGER NOT NULL,
                  n INTEGER NOT NULL,
                  PRIMARY KEY (model_id, hour, label_idx, predicted_idx)) WITHOUT ROWID;
                INSERT INTO hourly_confusion(model_id, hour, label_idx, predicted_idx, n)
                  SELECT model_id, ts / 3600000, label_idx, predicted_idx, COUNT(*) FROM ground_truth
                  WHERE label_idx IS NOT NULL AND predicted_idx IS NOT NULL GROUP BY 1, 2, 3, 4;
                PRAGMA user_version = 2;
                """)
        }
        m.registerMigration("v3-alerts", migrate: migrateAlerts)
        m.registerMigration("v4-sampling", migrate: migrateSampling)
        m.registerMigration("v5-review", migrate: migrateReview)
        m.registerMigration("v6-registry", migrate: migrateRegistry)
        m.registerMigration("v7-server", migrate: migrateServer)
        m.registerMigration("v8-queue-indexes", migrate: migrateQueueIndexes)
        m.registerMigration("v9-drift-sample", migrate: migrateDriftSample)
        m.registerMigration("v10-alert-damping") { db in
            // Consecutive clear evaluations of a firing alert (flap damping: it resolves after `resolve_after`).
            try db.execute(sql: """
                ALTER TABLE alerts ADD COLUMN clear_runs INTEGER NOT NULL DEFAULT 0;
                PRAGMA user_version = 10;
                """)
        }
        m.registerMigration("v11-prediction-ids") { db in
            // PostgreSQL keeps (id, seq, ts) of every prediction in a table of its own, as its
            // predictions are partitioned by day; the same name here lets the shared rules
            // (`Rules/`) find a prediction by seq in one statement for both.
            try db.execute(sql: """
                CREATE VIEW prediction_ids AS SELECT id, seq, model_id, ts, label_idx, content_hash FROM predictions;
                PRAGMA user_version = 11;
                """)
        }
        m.registerMigration("v12-review-truth") { db in
            try db.execute(sql: ReviewTruthMigration.sql + "\nPRAGMA user_version = 12;")
        }
        m.registerMigration("v13-report-link-secret", migrate: migrateReportLinkSecret)
        return m
    }
}
