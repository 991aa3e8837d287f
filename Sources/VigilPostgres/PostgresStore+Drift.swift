import Foundation
import PostgresNIO
import VigilCore
import VigilStore

extension PostgresStore {
    /// How many of a window's latest predictions are looked at to decide whether the model
    /// sends embeddings at all.
    static let embeddingProbe = 1000

    public func predictedClassCounts(model: String, window: TimeWindow) throws -> [Int] {
        try read { s in
            let (modelID, schema) = try Self.requireSchema(s, name: model)
            var counts = [Int](repeating: 0, count: schema.classes.count)
            func add(_ index: Int64, _ n: Int64) {
                if index >= 0 && Int(index) < counts.count { counts[Int(index)] += Int(n) }
            }
            let (wholeHours, edges) = window.byHour
            if let wholeHours {
                for row in try s.query("""
                    SELECT label_idx, SUM(n)::bigint FROM hourly_class_counts
                    WHERE model_id = $1 AND hour >= $2 AND hour < $3 AND label_idx >= 0 GROUP BY label_idx
                    """, [modelID, wholeHours.lowerBound, wholeHours.upperBound]) { add(try row.int(0), try row.int(1)) }
            }
            for edge in edges {
                if schema.task == .classification {
                    for row in try s.query("""
                        SELECT label_idx, COUNT(*) FROM predictions
                        WHERE model_id = $1 AND ts >= $2 AND ts < $3 AND label_idx IS NOT NULL GROUP BY label_idx
                        """, [modelID, edge.from, edge.to]) { add(try row.int(0), try row.int(1)) }
                } else {
                    try s.forEachRow("""
                        SELECT (payload::json -> 'boxes')::text FROM predictions
                        WHERE model_id = $1 AND ts >= $2 AND ts < $3 AND json_typeof(payload::json -> 'boxes') IS NOT NULL
                          AND json_typeof(payload::json -> 'boxes') <> 'null'
                        """, [modelID, edge.from, edge.to]) { row in
                        for box in try DetectionBox.parse(json: try row.decode(String.self), schema: schema) { add(Int64(box.labelIndex), 1) }
                    }
                }
            }
            return counts
        }
    }

    public func scores(model: String, window: TimeWindow, limit: Int) throws -> WindowValues {
        try read { s in
            let (modelID, _) = try Self.requireSchema(s, name: model)
            let count = try Self.predictionCount(s, modelID: modelID, window: window)
            let level = PredictionSample.level(forCount: count, limit: limit)
            // The values come as one float8 array (at most about `limit` of them): a row per
            // value would cost more to send and to decode than reading them does.
            var values: [Double] = []
            if let level {
                try s.forEachRow("""
                    SELECT array_agg(score) FROM prediction_sample
                    WHERE model_id = $1 AND level = ANY($2::bigint[]) AND ts >= $3 AND ts < $4 AND score IS NOT NULL
                    """, [modelID, Self.levels(from: level), window.from, window.to]) { values += try PostgresArrays.doubles($0) }
            } else {
                // Every row of the window: worth a parallel scan when there are many (the
                // planner's defaults count on each row crossing to the leader, which the
                // aggregate spares).
                if count >= Self.parallelScanRows { try s.execute(Self.preferParallelScan) }
                try s.forEachRow("SELECT array_agg(score) FROM predictions WHERE model_id = $1 AND ts >= $2 AND ts < $3 AND score IS NOT NULL",
                                 [modelID, window.from, window.to]) { values += try PostgresArrays.doubles($0) }
            }
            return WindowValues(values: values, predictions: count, sampleLevel: level)
        }
    }

    /// From this many rows on, a window's full read asks for a parallel scan.
    static let parallelScanRows = 100_000

    /// For the rest of the (read) transaction: parallel plans whenever possible.
    static let preferParallelScan = """
        SELECT set_config('parallel_setup_cost', '0', true), set_config('parallel_tuple_cost', '0', true),
               set_config('min_parallel_table_scan_size', '0', true)
        """

    /// Levels `level`…63: `level = ANY(…)` reads one index range per level of the sample's key.
    static func levels(from level: Int) -> [Int64] { (Int64(level)...63).map { $0 } }

    public func forEachPredictedBoxes(model: String, window: TimeWindow, limit: Int, _ body: (String) throws -> Void) throws -> WindowValues {
        try read { s in
            let (modelID, _) = try Self.requireSchema(s, name: model)
            let count = try Self.predictionCount(s, modelID: modelID, window: window)
            let level = PredictionSample.level(forCount: count, limit: limit)
            // Streamed: `body` sees each row as it arrives (see `forEachRow`), not once the whole window is read.
            let each: (PostgresRow) throws -> Void = { try body(try $0.decode(String.self)) }
            if let level {
                try s.forEachRow("""
                    SELECT COALESCE(boxes, '[]') FROM prediction_sample WHERE model_id = $1 AND level = ANY($2::bigint[]) AND ts >= $3 AND ts < $4
                    """, [modelID, Self.levels(from: level), window.from, window.to], each)
            } else {
                try s.forEachRow("""
                    SELECT COALESCE((payload::json -> 'boxes')::text, '[]') FROM predictions
                    WHERE model_id = $1 AND ts >= $2 AND ts < $3 ORDER BY ts, seq
                    """, [modelID, window.from, window.to], each)
            }
            return WindowValues(values: [], predictions: count, sampleLevel: level)
        }
    }

    public func correctnessStream(model: String, window: TimeWindow) throws -> [(ts: Int64, correct: Bool)] {
        try read { s in
            let (modelID, _) = try Self.requireSchema(s, name: model)
            // Two bigint arrays, in no particular order (sorting here is cheaper than asking the
            // aggregate to): the time of a right prediction or -1 minus the time of a wrong one
            // (stored times are never negative), and the sequence number.
            var rows: [(ts: Int64, seq: Int64, correct: Bool)] = []
            try s.forEachRow("""
                SELECT array_agg(CASE WHEN label_idx = predicted_idx THEN ts ELSE -1 - ts END), array_agg(prediction_seq) FROM ground_truth
                WHERE model_id = $1 AND ts >= $2 AND ts < $3 AND label_idx IS NOT NULL AND predicted_idx IS NOT NULL
                """, [modelID, window.from, window.to]) { row in
                let times = try PostgresArrays.integers(row, column: 0), seqs = try PostgresArrays.integers(row, column: 1)
                guard times.count == seqs.count else { throw PostgresArrays.Malformed() }
                rows.reserveCapacity(times.count)
                for (t, q) in zip(times, seqs) { rows.append(t >= 0 ? (t, q, true) : (-1 - t, q, false)) }
            }
            rows.sort { ($0.ts, $0.seq) < ($1.ts, $1.seq) }
            let out = rows.map { (ts: $0.ts, correct: $0.correct) }
            return out
        }
    }

    public func hourlyMeanScores(model: String, window: TimeWindow) throws -> [(hour: Int64, mean: Double, count: Int)] {
        try read { s in
            let (modelID, _) = try Self.requireSchema(s, name: model)
            // Whole hours from the per-hour sums, the partial hours at the edges from the rows.
            var out: [(hour: Int64, mean: Double, count: Int)] = []
            let (wholeHours, edges) = window.byHour
            for edge in edges {
                out += try s.query("""
                    SELECT ts / 3600000, AVG(score), COUNT(*) FROM predictions
                    WHERE model_id = $1 AND ts >= $2 AND ts < $3 AND score IS NOT NULL GROUP BY 1
                    """, [modelID, edge.from, edge.to]).map { (try $0.int(0), try $0.double(1), Int(try $0.int(2))) }
            }
            if let wholeHours {
                out += try s.query("SELECT hour, total / n, n FROM hourly_score_sums WHERE model_id = $1 AND hour >= $2 AND hour < $3 AND n > 0",
                                   [modelID, wholeHours.lowerBound, wholeHours.upperBound]).map { (try $0.int(0), try $0.double(1), Int(try $0.int(2))) }
            }
            return out.sorted { $0.hour < $1.hour }
        }
    }

    public func embeddingSample(model: String, window: TimeWindow, limit: Int) throws -> [String] {
        try read { s in
            let (modelID, _) = try Self.requireSchema(s, name: model)
            // Most models send no embeddings: look at the window's latest predictions first.
            let probe = try s.one("""
                SELECT EXISTS(SELECT 1 FROM (SELECT payload FROM predictions WHERE model_id = $1 AND ts >= $2 AND ts < $3
                                             ORDER BY ts DESC LIMIT $4) latest
                              WHERE json_typeof(payload::json #> '{input,embedding}') IS DISTINCT FROM 'null'
                                AND payload::json #> '{input,embedding}' IS NOT NULL)
                """, [modelID, window.from, window.to, Self.embeddingProbe])?.bool(0) ?? false
            guard probe else { return [] }
            var out: [String] = []
            try s.forEachRow("""
                SELECT e FROM (SELECT (payload::json #> '{input,embedding}')::text AS e, content_hash FROM predictions
                               WHERE model_id = $1 AND ts >= $2 AND ts < $3 AND payload IS NOT NULL) sample
                WHERE e IS NOT NULL AND e <> 'null' ORDER BY content_hash LIMIT $4
                """, [modelID, window.from, window.to, limit]) { out.append(try $0.decode(String.self)) }
            return out
        }
    }

    /// Drops the day partitions of predictions wholly before `cutoff` (ms) and their ids: the
    /// retention of rows without a `DELETE` of each. Per-hour aggregates, ground truth and
    /// evaluation runs stay, so evaluations of those hours still read their counts; the drift
    /// sample's rows of those days go with them, and the retention mark rises to the first day
    /// kept (``RetentionOutcome``). Returns the
    /// number of partitions dropped.
    @discardableResult
    public func dropPartitions(before cutoff: Int64) throws -> Int {
        let lastDay = cutoff / Self.dayMillis  // partitions of days < lastDay end at or before the cutoff
        let dropped = try write { s in
            try s.execute("SELECT pg_advisory_xact_lock($1)", [Self.migrationLock + 2])
            let names = try s.query("""
                SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent
                WHERE p.relname = 'predictions' AND c.relname ~ '^predictions_d[0-9]+$'
                """).map { try $0.string(0) }
            var n = 0
            for name in names {
                guard let day = Int64(name.dropFirst("predictions_d".count)), day < lastDay else { continue }
                try s.execute("DROP TABLE \(name)")
                n += 1
            }
            try s.execute("DELETE FROM prediction_ids WHERE ts < $1", [lastDay * Self.dayMillis])
            try s.execute("DELETE FROM prediction_sample WHERE ts < $1", [lastDay * Self.dayMillis])
            try s.execute("""
                INSERT INTO retention_mark(id, before) VALUES (1, $1) ON CONFLICT (id) DO UPDATE SET before = GREATEST(retention_mark.before, EXCLUDED.before)
                """, [lastDay * Self.dayMillis])
            return n
        }
        partitions.removeAll()
        return dropped
    }
}
