import GRDB

extension SQLiteStore {
    /// `v9-drift-sample`: what keeps drift tests on raw values bounded however large the window.
    ///
    /// - `prediction_sample`: the predictions of ``PredictionSample/storedLevel`` or more (1 in
    ///   32), keyed by level first so a read of level ≥ L touches only its own rows;
    ///   `boxes` holds a detector's boxes array.
    /// - `hourly_score_sums`: count and sum of top-1 scores per hour (the hourly mean score).
    ///
    /// - `retention_mark`: one row, the time before which raw predictions may be gone
    ///   (``RetentionOutcome``).
    ///
    /// The first two are filled from the stored predictions in the same migration.
    static func migrateDriftSample(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE prediction_sample(
              model_id INTEGER NOT NULL,
              level INTEGER NOT NULL,
              ts INTEGER NOT NULL,
              seq INTEGER NOT NULL,
              score REAL,
              boxes TEXT,
              PRIMARY KEY (model_id, level, ts, seq)) WITHOUT ROWID;
            CREATE TABLE hourly_score_sums(
              model_id INTEGER NOT NULL,
              hour INTEGER NOT NULL,
              n INTEGER NOT NULL,
              total REAL NOT NULL,
              PRIMARY KEY (model_id, hour)) WITHOUT ROWID;
            CREATE TABLE retention_mark(
              id INTEGER PRIMARY KEY CHECK (id = 1),
              before INTEGER NOT NULL);
            INSERT INTO hourly_score_sums(model_id, hour, n, total)
              SELECT model_id, ts / 3600000, COUNT(*), SUM(score) FROM predictions WHERE score IS NOT NULL GROUP BY 1, 2;
            """)
        let rows = try Row.fetchCursor(db, sql: """
            SELECT model_id, ts, seq, score, json_extract(payload, '$.boxes'), content_hash FROM predictions
            WHERE content_hash >= 0 AND content_hash < ?
            """, arguments: [Int64(1) << (64 - PredictionSample.storedLevel)])
        let insert = try db.makeStatement(sql: "INSERT INTO prediction_sample(model_id, level, ts, seq, score, boxes) VALUES (?, ?, ?, ?, ?, ?)")
        while let row = try rows.next() {
            let level = PredictionSample.level(contentHash: row[5])
            try insert.execute(arguments: [row[0] as Int64, level, row[1] as Int64, row[2] as Int64, row[3] as Double?, row[4] as String?])
        }
        try db.execute(sql: "PRAGMA user_version = 9")
    }
}
