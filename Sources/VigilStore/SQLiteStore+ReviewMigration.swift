import GRDB

extension SQLiteStore {
    /// `v5-review`: what `vigil review` needs of an assignment. The state `undone` (an answer
    /// the reviewer took back with `u`), the reviewed boxes of a detection image with their
    /// verdicts (`boxes`, rejected ones included), and the ground-truth revision the answer
    /// wrote (`gt_revision`), which is how undo knows the label is still theirs. SQLite cannot
    /// change a CHECK constraint in place, so the table is rebuilt with its rows and indexes.
    static func migrateReview(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE review_assignments_v5(
              id INTEGER PRIMARY KEY,
              item_id INTEGER NOT NULL REFERENCES review_items(id),
              reviewer TEXT NOT NULL,
              state TEXT NOT NULL CHECK (state IN ('claimed', 'labeled', 'skipped', 'flagged', 'released', 'expired', 'undone')),
              claimed_at INTEGER NOT NULL,
              lease_until INTEGER NOT NULL,
              finished_at INTEGER,
              label_idx INTEGER,
              reason TEXT,
              boxes TEXT,
              gt_revision INTEGER);
            INSERT INTO review_assignments_v5(id, item_id, reviewer, state, claimed_at, lease_until, finished_at, label_idx, reason)
              SELECT id, item_id, reviewer, state, claimed_at, lease_until, finished_at, label_idx, reason FROM review_assignments;
            DROP TABLE review_assignments;
            ALTER TABLE review_assignments_v5 RENAME TO review_assignments;
            CREATE INDEX review_assignments_by_item ON review_assignments(item_id, state);
            CREATE INDEX review_assignments_by_reviewer ON review_assignments(reviewer, state);
            CREATE UNIQUE INDEX review_assignments_one_active_per_reviewer ON review_assignments(item_id, reviewer)
              WHERE state IN ('claimed', 'labeled', 'flagged');
            PRAGMA user_version = 5;
            """)
    }
}
