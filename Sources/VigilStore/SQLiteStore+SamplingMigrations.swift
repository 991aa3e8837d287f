import GRDB

extension SQLiteStore {
    /// `v4-sampling`: the scheduler's job runs (one row per schedule slot, UNIQUE so a slot
    /// runs once however many ticks race for it) and the review queue (items with their
    /// sampling strategy and inclusion probability, and one assignment row per reviewer).
    static func migrateSampling(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE job_runs(
              id INTEGER PRIMARY KEY,
              model TEXT NOT NULL,
              job TEXT NOT NULL,
              slot INTEGER NOT NULL,
              owner TEXT NOT NULL,
              lease_until INTEGER NOT NULL,
              started_at INTEGER NOT NULL,
              finished_at INTEGER,
              status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'unavailable')),
              attempts INTEGER NOT NULL DEFAULT 1,
              error TEXT,
              output TEXT,
              UNIQUE (model, job, slot));
            CREATE INDEX job_runs_by_start ON job_runs(started_at);
            CREATE TABLE review_items(
              id INTEGER PRIMARY KEY,
              prediction_seq INTEGER NOT NULL UNIQUE REFERENCES predictions(seq),
              model_id INTEGER NOT NULL REFERENCES models(id),
              strategy TEXT NOT NULL,
              inclusion_probability REAL NOT NULL CHECK (inclusion_probability > 0 AND inclusion_probability <= 1),
              sampled_at INTEGER NOT NULL,
              sample_run TEXT NOT NULL,
              reviews_required INTEGER NOT NULL DEFAULT 1 CHECK (reviews_required IN (1, 2)),
              gold_label_idx INTEGER,
              state TEXT NOT NULL DEFAULT 'open' CHECK (state IN ('open', 'done', 'flagged')),
              reason TEXT);
            CREATE INDEX review_items_open ON review_items(model_id, state, id);
            CREATE TABLE review_assignments(
              id INTEGER PRIMARY KEY,
              item_id INTEGER NOT NULL REFERENCES review_items(id),
              reviewer TEXT NOT NULL,
              state TEXT NOT NULL CHECK (state IN ('claimed', 'labeled', 'skipped', 'flagged', 'released', 'expired')),
              claimed_at INTEGER NOT NULL,
              lease_until INTEGER NOT NULL,
              finished_at INTEGER,
              label_idx INTEGER,
              reason TEXT);
            CREATE INDEX review_assignments_by_item ON review_assignments(item_id, state);
            CREATE INDEX review_assignments_by_reviewer ON review_assignments(reviewer, state);
            CREATE UNIQUE INDEX review_assignments_one_active_per_reviewer ON review_assignments(item_id, reviewer)
              WHERE state IN ('claimed', 'labeled', 'flagged');
            PRAGMA user_version = 4;
            """)
    }
}
