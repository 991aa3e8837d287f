import GRDB
import VigilCore

extension SQLiteStore {
    /// How many of a window's latest predictions are looked at to decide whether the model
    /// sends embeddings at all.
    static let embeddingProbe = 1000

    public func predictedClassCounts(model: String, window: TimeWindow) throws -> [Int] {
        try queue.read { db in
            guard let (modelID, schema) = try db.sql.modelSchema(named: model) else { throw StoreError("unknown model '\(model)'") }
            var counts = [Int](repeating: 0, count: schema.classes.count)
            func add(_ index: Int64, _ n: Int64) {
                if index >= 0 && Int(index) < counts.count { counts[Int(index)] += Int(n) }
            }
            let (wholeHours, edges) = window.byHour
            if let wholeHours {
                let rows = try Row.fetchCursor(db, sql: """
                    SELECT label_idx, SUM(n) FROM hourly_class_counts
                    WHERE model_id = ? AND hour >= ? AND hour < ? AND label_idx >= 0 GROUP BY label_idx
                    """, arguments: [modelID, wholeHours.lowerBound, wholeHours.upperBound])
                while let row = try rows.next() { add(row[0], row[1]) }
            }
            for edge in edges {
                if schema.task == .classification {
                    let rows = try Row.fetchCursor(db, sql: """
                        SELECT label_idx, COUNT(*) FROM predictions
                        WHERE model_id = ? AND ts >= ? AND ts < ? AND label_idx IS NOT NULL GROUP BY label_idx
                        """, arguments: [modelID, edge.from, edge.to])
                    while let row = try rows.next() { add(row[0], row[1]) }
                } else {
                    let rows = try String.fetchCursor(db, sql: """
                        SELECT json_extract(payload, '$.boxes') FROM predictions
                        WHERE model_id = ? AND ts >= ? AND ts < ? AND json_extract(payload, '$.boxes') IS NOT NULL
                        """, arguments: [modelID, edge.from, edge.to])
                    while let boxes = try rows.next() {
                        for box in try DetectionBox.parse(json: boxes, schema: schema) { add(Int64(box.labelIndex), 1) }
                    }
                }
            }
            return counts
        }
    }

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

    public func hourlyMeanScores(model: String, window: TimeWindow) throws -> [(hour: Int64, mean: Double, count: Int)] {
        try queue.read { db in
            guard let (modelID, _) = try db.sql.modelSchema(named: model) else { throw StoreError("unknown model '\(model)'") }
            // Whole hours from the per-hour sums, the partial hours at the edges from the rows.
            var out: [(hour: Int64, mean: Double, count: Int)] = []
            let (wholeHours, edges) = window.byHour
            var queries: [(sql: String, arguments: StatementArguments)] = edges.map {
                ("""
                 SELECT ts / 3600000, AVG(score), COUNT(*) FROM predictions
                 WHERE model_id = ? AND ts >= ? AND ts < ? AND score IS NOT NULL GROUP BY 1
                 """, [modelID, $0.from, $0.to])
            }
            if let wholeHours {
                queries.append(("SELECT hour, total / n, n FROM hourly_score_sums WHERE model_id = ? AND hour >= ? AND hour < ? AND n > 0",
                                [modelID, wholeHours.lowerBound, wholeHours.upperBound]))
            }
            for q in queries {
                let rows = try Row.fetchCursor(db, sql: q.sql, arguments: q.arguments)
                while let row = try rows.next() { out.append((row[0], row[1], row[2])) }
            }
            return out.sorted { $0.hour < $1.hour }
        }
    }

    public func embeddingSample(model: String, window: TimeWindow, limit: Int) throws -> [String] {
        try queue.read { db in
            guard let (modelID, _) = try db.sql.modelSchema(named: model) else { throw StoreError("unknown model '\(model)'") }
            // Most models send no embeddings: look at the window's latest predictions before
            // scanning all of them.
            let probe = try Bool.fetchOne(db, sql: """
                SELECT EXISTS(SELECT 1 FROM (SELECT payload FROM predictions WHERE model_id = ? AND ts >= ? AND ts < ?
                                             ORDER BY ts DESC LIMIT ?)
                              WHERE json_extract(payload, '$.input.embedding') IS NOT NULL)
                """, arguments: [modelID, window.from, window.to, Self.embeddingProbe]) ?? false
            guard probe else { return [] }
            return try String.fetchAll(db, sql: """
                SELECT e FROM (SELECT json_extract(payload, '$.input.embedding') AS e, content_hash FROM predictions
                               WHERE model_id = ? AND ts >= ? AND ts < ? AND payload IS NOT NULL)
                WHERE e IS NOT NULL ORDER BY content_hash LIMIT ?
                """, arguments: [modelID, window.from, window.to, limit])
        }
    }
}
