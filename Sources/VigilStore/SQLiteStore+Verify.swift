import GRDB
import VigilCore

extension SQLiteStore {
    public func verify() throws -> StoreVerification {
        try queue.read { db in
            let integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            var mismatches: [String] = []
            // Class counts: records per hour (-1), predicted class per hour, and box classes per hour.
            let classDiff = try Row.fetchAll(db, sql: """
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
                LIMIT 20
                """)
            for row in classDiff {
                mismatches.append("hourly_class_counts model \(row[0] as Int64) hour \(row[1] as Int64) class \(row[2] as Int64): recount \((row[3] as Int64?).map(String.init) ?? "none"), stored \((row[4] as Int64?).map(String.init) ?? "none")")
            }
            let binDiff = try Row.fetchAll(db, sql: """
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
                LIMIT 20
                """)
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
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM predictions") ?? 0
            let distinct = try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT id) FROM predictions") ?? 0
            return StoreVerification(integrity: integrity, aggregateMismatches: mismatches, predictions: total, distinctPredictionIDs: distinct)
        }
    }
}
