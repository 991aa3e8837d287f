import Foundation
import PostgresNIO
import VigilCore
import VigilStore

extension PostgresStore {
    public func scores(model: String, window: TimeWindow, limit: Int) throws -> WindowValues {
        try read { s in
            let (modelID, _) = try s.sql.requireModel(model)
            let count = try s.sql.predictionCount(modelID: modelID, window: window)
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
            let (modelID, _) = try s.sql.requireModel(model)
            let count = try s.sql.predictionCount(modelID: modelID, window: window)
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
            let (modelID, _) = try s.sql.requireModel(model)
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
