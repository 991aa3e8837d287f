import GRDB

extension SQLiteStore {
    /// `v8-queue-indexes`: what keeps a reviewer's claim cheap however long the queue's history.
    ///
    /// - `review_items_by_state (state, id)`: the next open item without a model filter (with
    ///   one, `review_items_open (model_id, state, id)` serves).
    /// - `review_assignments_live (lease_until) WHERE state = 'claimed'`: the lease expiry that
    ///   runs before every claim reads only the live claims, not every finished assignment.
    static func migrateQueueIndexes(_ db: Database) throws {
        try db.execute(sql: """
            CREATE INDEX review_items_by_state ON review_items(state, id);
            CREATE INDEX review_assignments_live ON review_assignments(lease_until) WHERE state = 'claimed';
            PRAGMA user_version = 8;
            """)
    }
}
