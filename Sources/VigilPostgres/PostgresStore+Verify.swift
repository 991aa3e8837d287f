import Foundation
import VigilCore
import VigilStore

extension PostgresStore {
    public func verify() throws -> StoreVerification {
        try read { s in
            var mismatches: [String] = []
            func n(_ v: Int64?) -> String { v.map(String.init) ?? "none" }
            // Hours before the retention mark lost rows on purpose: only later hours are recounted.
            let mark = try s.sql.retentionMark() ?? 0
            let markHour = mark / 3_600_000
            // Class counts: records per hour (-1), predicted class per hour, and box classes per hour.
            for row in try s.query("""
                WITH boxes AS (
                  SELECT p.model_id, p.ts, b.value AS box FROM predictions p, json_array_elements(p.payload::json -> 'boxes') b
                  WHERE p.payload IS NOT NULL AND json_typeof(p.payload::json -> 'boxes') = 'array'
                ), recount AS (
                  SELECT model_id, ts / 3600000 AS hour, -1::bigint AS label_idx, COUNT(*) AS n FROM predictions GROUP BY 1, 2
                  UNION ALL
                  SELECT model_id, ts / 3600000, label_idx, COUNT(*) FROM predictions WHERE label_idx IS NOT NULL GROUP BY 1, 2, 3
                  UNION ALL
                  SELECT b.model_id, b.ts / 3600000, mc.idx, COUNT(*) FROM boxes b
                    JOIN model_classes mc ON mc.model_id = b.model_id AND mc.name = b.box ->> 'label' GROUP BY 1, 2, 3
                ), r AS (SELECT model_id, hour, label_idx, SUM(n)::bigint AS n FROM recount GROUP BY 1, 2, 3)
                SELECT COALESCE(r.model_id, a.model_id), COALESCE(r.hour, a.hour), COALESCE(r.label_idx, a.label_idx), r.n, a.n
                FROM r FULL JOIN hourly_class_counts a USING (model_id, hour, label_idx)
                WHERE r.n IS DISTINCT FROM a.n AND COALESCE(r.hour, a.hour) >= $1 LIMIT 20
                """, [markHour]) {
                mismatches.append("hourly_class_counts model \(try row.int(0)) hour \(try row.int(1)) class \(try row.int(2)): recount \(n(try row.optionalInt(3))), stored \(n(try row.optionalInt(4)))")
            }
            for row in try s.query("""
                WITH boxes AS (
                  SELECT p.model_id, p.ts, b.value AS box FROM predictions p, json_array_elements(p.payload::json -> 'boxes') b
                  WHERE p.payload IS NOT NULL AND json_typeof(p.payload::json -> 'boxes') = 'array'
                ), recount AS (
                  SELECT model_id, ts / 3600000 AS hour, label_idx, LEAST(19, floor(score * 20))::bigint AS bin, COUNT(*) AS n
                    FROM predictions WHERE label_idx IS NOT NULL AND score IS NOT NULL GROUP BY 1, 2, 3, 4
                  UNION ALL
                  SELECT b.model_id, b.ts / 3600000, mc.idx, LEAST(19, floor((b.box ->> 'score')::float8 * 20))::bigint, COUNT(*) FROM boxes b
                    JOIN model_classes mc ON mc.model_id = b.model_id AND mc.name = b.box ->> 'label'
                    WHERE json_typeof(b.box -> 'score') = 'number' GROUP BY 1, 2, 3, 4
                ), r AS (SELECT model_id, hour, label_idx, bin, SUM(n)::bigint AS n FROM recount GROUP BY 1, 2, 3, 4)
                SELECT COALESCE(r.model_id, a.model_id), COALESCE(r.hour, a.hour), COALESCE(r.label_idx, a.label_idx), COALESCE(r.bin, a.bin), r.n, a.n
                FROM r FULL JOIN hourly_score_bins a USING (model_id, hour, label_idx, bin)
                WHERE r.n IS DISTINCT FROM a.n AND COALESCE(r.hour, a.hour) >= $1 LIMIT 20
                """, [markHour]) {
                mismatches.append("hourly_score_bins model \(try row.int(0)) hour \(try row.int(1)) class \(try row.int(2)) bin \(try row.int(3)): recount \(n(try row.optionalInt(4))), stored \(n(try row.optionalInt(5)))")
            }
            for row in try s.query("""
                WITH r AS (
                  SELECT model_id, ts / 3600000 AS hour, label_idx, predicted_idx, COUNT(*) AS n FROM ground_truth
                  WHERE label_idx IS NOT NULL AND predicted_idx IS NOT NULL GROUP BY 1, 2, 3, 4)
                SELECT COALESCE(r.model_id, a.model_id), COALESCE(r.hour, a.hour), COALESCE(r.label_idx, a.label_idx),
                  COALESCE(r.predicted_idx, a.predicted_idx), r.n, a.n
                FROM r FULL JOIN hourly_confusion a USING (model_id, hour, label_idx, predicted_idx)
                WHERE r.n IS DISTINCT FROM a.n AND NOT (r.n IS NULL AND a.n = 0) LIMIT 20
                """) {
                mismatches.append("hourly_confusion model \(try row.int(0)) hour \(try row.int(1)) observed \(try row.int(2)) predicted \(try row.int(3)): recount \(n(try row.optionalInt(4))), stored \(n(try row.optionalInt(5)))")
            }
            for row in try s.query("""
                WITH r AS (SELECT model_id, ts / 3600000 AS hour, COUNT(*) AS n, SUM(score) AS total FROM predictions
                           WHERE score IS NOT NULL GROUP BY 1, 2)
                SELECT COALESCE(r.model_id, a.model_id), COALESCE(r.hour, a.hour), r.n, a.n
                FROM r FULL JOIN hourly_score_sums a USING (model_id, hour)
                WHERE (r.n IS DISTINCT FROM a.n OR abs(a.total - r.total) > 1e-9 * GREATEST(1, abs(r.total))) AND COALESCE(r.hour, a.hour) >= $1 LIMIT 20
                """, [markHour]) {
                mismatches.append("hourly_score_sums model \(try row.int(0)) hour \(try row.int(1)): recount \(n(try row.optionalInt(2))) scores, stored \(n(try row.optionalInt(3))) (or their sums differ)")
            }
            // The drift sample: every prediction of the stored level or more, with its level, time,
            // score and boxes, and nothing else.
            for row in try s.query("""
                WITH r AS (SELECT model_id, \(Self.sampleLevelSQL("content_hash")) AS level, ts, seq, score, \(Self.boxesSQL("payload")) AS boxes
                           FROM predictions WHERE \(Self.inSampleSQL("content_hash")) AND ts >= $1)
                SELECT COALESCE(r.seq, a.seq), r.level, a.level FROM r FULL JOIN (SELECT * FROM prediction_sample WHERE ts >= $1) a USING (model_id, level, ts, seq)
                WHERE r.seq IS NULL OR a.seq IS NULL OR r.score IS DISTINCT FROM a.score OR r.boxes IS DISTINCT FROM a.boxes LIMIT 20
                """, [mark]) {
                mismatches.append("prediction_sample seq \(try row.int(0)): recount level \(n(try row.optionalInt(1))), stored level \(n(try row.optionalInt(2)))")
            }
            let total = try s.one("SELECT COUNT(*) FROM predictions")!.int(0)
            let distinct = try s.one("SELECT COUNT(DISTINCT id) FROM predictions")!.int(0)
            // Every stored row has its identity row and the other way round (within the partitions kept).
            let orphans = try s.one("""
                SELECT (SELECT COUNT(*) FROM predictions p WHERE NOT EXISTS (SELECT 1 FROM prediction_ids i WHERE i.id = p.id AND i.seq = p.seq))
                     + (SELECT COUNT(*) FROM prediction_ids i WHERE NOT EXISTS (SELECT 1 FROM predictions p WHERE p.seq = i.seq AND p.ts = i.ts))
                """)!.int(0)
            let integrity = orphans == 0 ? ["ok"] : ["\(orphans) predictions without their identity row (or the other way round)"]
            return StoreVerification(integrity: integrity, aggregateMismatches: mismatches, predictions: Int(total), distinctPredictionIDs: Int(distinct))
        }
    }
}
