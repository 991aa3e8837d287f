import GRDB
import VigilCore

extension SQLiteStore {
    /// Predictions deleted per transaction, so ingest and reviewers wait at most one chunk.
    static let retentionChunk = 5_000

    public func applyRetention(before cutoff: Int64) throws -> RetentionOutcome {
        // Whole hours only: an hour is either recounted by `vigil check` or not at all.
        let mark = max(0, cutoff) / 3_600_000 * 3_600_000
        var outcome = RetentionOutcome(mark: mark)
        let models = try queue.read { try Int64.fetchAll($0, sql: "SELECT id FROM models ORDER BY id") }
        // The mark first: from now on ingest refuses rows before it and `vigil check` skips
        // those hours, so a crash halfway through leaves a consistent store.
        try queue.write { db in
            try db.execute(sql: """
                INSERT INTO retention_mark(id, before) VALUES (1, ?) ON CONFLICT (id) DO UPDATE SET before = max(before, excluded.before)
                """, arguments: [mark])
            outcome.mark = try db.sql.retentionMark() ?? mark
        }
        for model in models {
            var after: (ts: Int64, seq: Int64) = (-1, 0)
            var done = false
            while !done {
                try queue.write { db in
                    // Keyset by (ts, seq), the order of the (model_id, ts) index; labelled and queued rows stay.
                    let rows = try Row.fetchAll(db, sql: """
                        SELECT p.seq, p.ts, EXISTS(SELECT 1 FROM ground_truth g WHERE g.prediction_seq = p.seq)
                                          OR EXISTS(SELECT 1 FROM review_items r WHERE r.prediction_seq = p.seq)
                        FROM predictions p WHERE p.model_id = ? AND p.ts < ? AND (p.ts > ? OR (p.ts = ? AND p.seq > ?))
                        ORDER BY p.ts, p.seq LIMIT ?
                        """, arguments: [model, outcome.mark, after.ts, after.ts, after.seq, Self.retentionChunk])
                    let doomed = rows.filter { !($0[2] as Bool) }.map { $0[0] as Int64 }
                    outcome.keptPredictions += rows.count - doomed.count
                    if !doomed.isEmpty {
                        try db.execute(sql: "DELETE FROM predictions WHERE seq IN (\(doomed.map(String.init).joined(separator: ",")))")
                        outcome.deletedPredictions += doomed.count
                    }
                    if let last = rows.last { after = (last[1], last[0]) }
                    done = rows.count < Self.retentionChunk
                }
            }
        }
        try queue.write { db in try db.execute(sql: "DELETE FROM prediction_sample WHERE ts < ?", arguments: [outcome.mark]) }
        return outcome
    }
}
