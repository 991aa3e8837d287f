import GRDB
import VigilCore

extension SQLiteStore {
    public func verify() throws -> StoreVerification {
        try queue.read { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            var mismatches: [String] = []
            // Hours before the retention mark lost rows on purpose: only later hours are recounted.
            let mark = try db.sql.retentionMark() ?? 0
            func kept(_ rows: [Row]) -> [Row] { Array(rows.filter { ($0[1] as Int64) >= mark / 3_600_000 }.prefix(20)) }
            // Class counts: records per hour (-1), predicted class per hour, and box classes per hour.
            let classDiff = kept(try Row.fetchAll(db, sql: """
                WITH recount AS (
                  SELECT model_id, ts / 3600000 AS hour, -1 AS label_idx, COUNT(*) AS n FROM predictions GROUP BY 1, 2
                  UNION ALL
                  SELECT model_id, ts / 3600000, label_idx, COUNT(*) FROM predictions WHERE label_idx IS NOT NULL GROUP BY 1, 2, 3
                  UNION ALL
                  SELECT p.model_id, p.ts / 3600000, mc.idx, COUNT(*) FROM predictions p, json_each(p.payload, '$.boxes') b
                    JOIN model_classes mc ON mc.model_id = p.model_id AND mc.name = json_extract(b.value, '$.label')
                    WHERE p.payload IS NOT NULL AND json_type(p.payload, '$.boxes') = 'array' GROUP BY 1, 2, 3
                ), r AS (SELECT model_id, hour, label_idx, SUM(n) AS n FROM recount GROUP BY 1, 2, 3)
                SELECT r.model_id, r.hour, r.label_idx, r.n, a.n FROM r
                  LEFT JOIN hourly_class_counts a USING (model_id, hour, label_idx) WHERE a.n IS NOT r.n
                UNION ALL
                SELECT a.model_id, a.hour, a.label_idx, NULL, a.n FROM hourly_class_counts a
                  LEFT JOIN r USING (model_id, hour, label_idx) WHERE r.n IS NULL
                """))
            for row in classDiff {
                mismatches.append("hourly_class_counts model \(row[0] as Int64) hour \(row[1] as Int64) class \(row[2] as Int64): recount \((row[3] as Int64?).map(String.init) ?? "none"), stored \((row[4] as Int64?).map(String.init) ?? "none")")
            }
            let binDiff = kept(try Row.fetchAll(db, sql: """
                WITH recount AS (
                  SELECT model_id, ts / 3600000 AS hour, label_idx, CAST(MIN(19, score * 20) AS INTEGER) AS bin, COUNT(*) AS n
                    FROM predictions WHERE label_idx IS NOT NULL AND score IS NOT NULL GROUP BY 1, 2, 3, 4
                  UNION ALL
                  SELECT p.model_id, p.ts / 3600000, mc.idx, CAST(MIN(19, json_extract(b.value, '$.score') * 20) AS INTEGER), COUNT(*)
                    FROM predictions p, json_each(p.payload, '$.boxes') b
                    JOIN model_classes mc ON mc.model_id = p.model_id AND mc.name = json_extract(b.value, '$.label')
                    WHERE p.payload IS NOT NULL AND json_type(p.payload, '$.boxes') = 'array'
                      AND json_extract(b.value, '$.score') IS NOT NULL GROUP BY 1, 2, 3, 4
                ), r AS (SELECT model_id, hour, label_idx, bin, SUM(n) AS n FROM recount GROUP BY 1, 2, 3, 4)
                SELECT r.model_id, r.hour, r.label_idx, r.bin, r.n, a.n FROM r
                  LEFT JOIN hourly_score_bins a USING (model_id, hour, label_idx, bin) WHERE a.n IS NOT r.n
                UNION ALL
                SELECT a.model_id, a.hour, a.label_idx, a.bin, NULL, a.n FROM hourly_score_bins a
                  LEFT JOIN r USING (model_id, hour, label_idx, bin) WHERE r.n IS NULL
                """))
            for row in binDiff {
                mismatches.append("hourly_score_bins model \(row[0] as Int64) hour \(row[1] as Int64) class \(row[2] as Int64) bin \(row[3] as Int64): recount \((row[4] as Int64?).map(String.init) ?? "none"), stored \((row[5] as Int64?).map(String.init) ?? "none")")
            }
            let confusionDiff = try Row.fetchAll(db, sql: """
                WITH r AS (
                  SELECT model_id, ts / 3600000 AS hour, label_idx, predicted_idx, COUNT(*) AS n FROM ground_truth
                  WHERE label_idx IS NOT NULL AND predicted_idx IS NOT NULL GROUP BY 1, 2, 3, 4)
                SELECT r.model_id, r.hour, r.label_idx, r.predicted_idx, r.n, a.n FROM r
                  LEFT JOIN hourly_confusion a USING (model_id, hour, label_idx, predicted_idx) WHERE a.n IS NOT r.n
                UNION ALL
                SELECT a.model_id, a.hour, a.label_idx, a.predicted_idx, NULL, a.n FROM hourly_confusion a
                  LEFT JOIN r USING (model_id, hour, label_idx, predicted_idx) WHERE r.n IS NULL AND a.n != 0
                LIMIT 20
                """)
            for row in confusionDiff {
                mismatches.append("hourly_confusion model \(row[0] as Int64) hour \(row[1] as Int64) observed \(row[2] as Int64) predicted \(row[3] as Int64): recount \((row[4] as Int64?).map(String.init) ?? "none"), stored \((row[5] as Int64?).map(String.init) ?? "none")")
            }
            let sumDiff = kept(try Row.fetchAll(db, sql: """
                WITH r AS (SELECT model_id, ts / 3600000 AS hour, COUNT(*) AS n, SUM(score) AS total FROM predictions
                           WHERE score IS NOT NULL GROUP BY 1, 2)
                SELECT r.model_id, r.hour, r.n, a.n FROM r LEFT JOIN hourly_score_sums a USING (model_id, hour)
                  WHERE a.n IS NOT r.n OR abs(a.total - r.total) > 1e-9 * max(1, abs(r.total))
                UNION ALL
                SELECT a.model_id, a.hour, NULL, a.n FROM hourly_score_sums a LEFT JOIN r USING (model_id, hour) WHERE r.n IS NULL
                """))
            for row in sumDiff {
                mismatches.append("hourly_score_sums model \(row[0] as Int64) hour \(row[1] as Int64): recount \((row[2] as Int64?).map(String.init) ?? "none") scores, stored \((row[3] as Int64?).map(String.init) ?? "none") (or their sums differ)")
            }
            mismatches += try Self.sampleMismatches(db, from: mark)
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM predictions") ?? 0
            let distinct = try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT id) FROM predictions") ?? 0
            return StoreVerification(integrity: integrity, aggregateMismatches: mismatches, predictions: total, distinctPredictionIDs: distinct)
        }
    }

    /// The stored drift sample against a recount: every prediction of the stored level or more,
    /// with its level, time, score and boxes, and nothing else (from the retention mark on).
    static func sampleMismatches(_ db: Database, from mark: Int64) throws -> [String] {
        struct Entry: Equatable { var model: Int64; var level: Int64; var ts: Int64; var score: Double?; var boxes: String? }
        var expected: [Int64: Entry] = [:]
        let rows = try Row.fetchCursor(db, sql: """
            SELECT seq, model_id, content_hash, ts, score, json_extract(payload, '$.boxes') FROM predictions
            WHERE content_hash >= 0 AND content_hash < ? AND ts >= ?
            """, arguments: [Int64(1) << (64 - PredictionSample.storedLevel), mark])
        while let row = try rows.next() {
            expected[row[0]] = Entry(model: row[1], level: Int64(PredictionSample.level(contentHash: row[2])), ts: row[3], score: row[4], boxes: row[5])
        }
        var out: [String] = []
        let stored = try Row.fetchCursor(db, sql: "SELECT seq, model_id, level, ts, score, boxes FROM prediction_sample WHERE ts >= ?",
                                         arguments: [mark])
        while let row = try stored.next(), out.count < 20 {
            let seq: Int64 = row[0]
            let entry = Entry(model: row[1], level: row[2], ts: row[3], score: row[4], boxes: row[5])
            guard let want = expected.removeValue(forKey: seq) else {
                out.append("prediction_sample seq \(seq): no such prediction of level \(PredictionSample.storedLevel) or more")
                continue
            }
            if want != entry { out.append("prediction_sample seq \(seq): stored \(entry), recount \(want)") }
        }
        for seq in expected.keys.sorted().prefix(max(0, 20 - out.count)) {
            out.append("prediction_sample seq \(seq): missing (the prediction has level \(expected[seq]!.level))")
        }
        return out
    }
}
