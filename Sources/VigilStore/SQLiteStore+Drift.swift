import GRDB
import VigilCore

extension SQLiteStore {
    public func scores(model: String, window: TimeWindow, limit: Int) throws -> WindowValues {
        try queue.read { db in
            guard let (modelID, _) = try db.sql.modelSchema(named: model) else { throw StoreError("unknown model '\(model)'") }
            let count = try db.sql.predictionCount(modelID: modelID, window: window)
            let level = PredictionSample.level(forCount: count, limit: limit)
            var out: [Double] = []
            if let level {
                try Self.forEachSampleRow(db, modelID: modelID, window: window, level: level, column: "score") { s in out.append(s.double(0)) }
            } else {
                let rows = try RawStatement(cachedIn: db, "SELECT score FROM predictions WHERE model_id = ? AND ts >= ? AND ts < ? AND score IS NOT NULL")
                rows.bind(1, modelID); rows.bind(2, window.from); rows.bind(3, window.to)
                defer { rows.reset() }
                while try rows.step() { out.append(rows.double(0)) }
            }
            return WindowValues(values: out, predictions: count, sampleLevel: level)
        }
    }

    /// Calls `body` with each stored-sample row of level ≥ `level` in `window` whose `column`
    /// (`score` or `boxes`) is not null, one index range per level.
    static func forEachSampleRow(_ db: Database, modelID: Int64, window: TimeWindow, level: Int, column: String,
                                 _ body: (RawStatement) throws -> Void) throws {
        let rows = try RawStatement(cachedIn: db, """
            SELECT \(column) FROM prediction_sample WHERE model_id = ? AND level = ? AND ts >= ? AND ts < ? AND \(column) IS NOT NULL
            """)
        defer { rows.reset() }
        for l in level...63 {
            rows.bind(1, modelID); rows.bind(2, Int64(l)); rows.bind(3, window.from); rows.bind(4, window.to)
            while try rows.step() { try body(rows) }
            rows.reset()
        }
    }

    public func forEachPredictedBoxes(model: String, window: TimeWindow, limit: Int, _ body: (String) throws -> Void) throws -> WindowValues {
        try queue.read { db in
            guard let (modelID, _) = try db.sql.modelSchema(named: model) else { throw StoreError("unknown model '\(model)'") }
            let count = try db.sql.predictionCount(modelID: modelID, window: window)
            let level = PredictionSample.level(forCount: count, limit: limit)
            if let level {
                // A sampled prediction without boxes has an empty array, as in the full read.
                try Self.forEachSampleRow(db, modelID: modelID, window: window, level: level, column: "COALESCE(boxes, '[]')") { s in try body(s.string(0)) }
            } else {
                let rows = try String.fetchCursor(db, sql: """
                    SELECT COALESCE(json_extract(payload, '$.boxes'), '[]') FROM predictions
                    WHERE model_id = ? AND ts >= ? AND ts < ? ORDER BY ts, seq
                    """, arguments: [modelID, window.from, window.to])
                while let boxes = try rows.next() { try body(boxes) }
            }
            return WindowValues(values: [], predictions: count, sampleLevel: level)
        }
    }

    public func correctnessStream(model: String, window: TimeWindow) throws -> [(ts: Int64, correct: Bool)] {
        try queue.read { db in
            guard let (modelID, _) = try db.sql.modelSchema(named: model) else { throw StoreError("unknown model '\(model)'") }
            guard let conn = db.sqliteConnection else { throw StoreError("the database connection is closed") }
            let rows = try RawStatement(conn, """
                SELECT ts, label_idx = predicted_idx FROM ground_truth
                WHERE model_id = ? AND ts >= ? AND ts < ? AND label_idx IS NOT NULL AND predicted_idx IS NOT NULL
                ORDER BY ts, prediction_seq
                """)
            rows.bind(1, modelID); rows.bind(2, window.from); rows.bind(3, window.to)
            var out: [(ts: Int64, correct: Bool)] = []
            while try rows.step() { out.append((rows.int64(0), rows.int64(1) != 0)) }
            return out
        }
    }

}
