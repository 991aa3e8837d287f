import Foundation
import VigilCore

/// The drift tests' reads that are the same on both engines, written once over the driver:
/// predicted-class counts, hourly mean scores, the embedding sample and the retention mark.
/// The raw-value reads (`scores`, `correctnessStream`, `forEachPredictedBoxes`) stay with each
/// backend, tuned to its engine.
extension SQLStore {
    public func predictedClassCounts(model: String, window: TimeWindow) throws -> [Int] {
        try driver.read { c in
            let (modelID, schema) = try c.requireModel(model)
            var counts = [Int](repeating: 0, count: schema.classes.count)
            func add(_ index: Int64, _ n: Int64) {
                if index >= 0 && Int(index) < counts.count { counts[Int(index)] += Int(n) }
            }
            let (wholeHours, edges) = window.byHour
            if let wholeHours {
                try c.forEachRow("""
                    SELECT label_idx, SUM(n) AS n FROM hourly_class_counts
                    WHERE model_id = $1 AND hour >= $2 AND hour < $3 AND label_idx >= 0 GROUP BY label_idx
                    """, [modelID, wholeHours.lowerBound, wholeHours.upperBound]) { add(try $0.int("label_idx"), try $0.int("n")) }
            }
            for edge in edges {
                if schema.task == .classification {
                    try c.forEachRow("""
                        SELECT label_idx, COUNT(*) AS n FROM predictions
                        WHERE model_id = $1 AND ts >= $2 AND ts < $3 AND label_idx IS NOT NULL GROUP BY label_idx
                        """, [modelID, edge.from, edge.to]) { add(try $0.int("label_idx"), try $0.int("n")) }
                } else {
                    let boxes = c.dialect.jsonValue("payload", ["boxes"])
                    try c.forEachRow("""
                        SELECT \(boxes) AS boxes FROM predictions WHERE model_id = $1 AND ts >= $2 AND ts < $3 AND \(boxes) IS NOT NULL
                        """, [modelID, edge.from, edge.to]) { row in
                        for box in try DetectionBox.parse(json: try row.string("boxes"), schema: schema) { add(Int64(box.labelIndex), 1) }
                    }
                }
            }
            return counts
        }
    }

    public func hourlyMeanScores(model: String, window: TimeWindow) throws -> [(hour: Int64, mean: Double, count: Int)] {
        try driver.read { c in
            let (modelID, _) = try c.requireModel(model)
            // Whole hours from the per-hour sums, the partial hours at the edges from the rows.
            var out: [(hour: Int64, mean: Double, count: Int)] = []
            let (wholeHours, edges) = window.byHour
            func read(_ row: any SQLRow) throws { out.append((try row.int("hour"), try row.double("mean"), Int(try row.int("n")))) }
            for edge in edges {
                try c.forEachRow("""
                    SELECT ts / 3600000 AS hour, AVG(score) AS mean, COUNT(*) AS n FROM predictions
                    WHERE model_id = $1 AND ts >= $2 AND ts < $3 AND score IS NOT NULL GROUP BY ts / 3600000
                    """, [modelID, edge.from, edge.to], read)
            }
            if let wholeHours {
                try c.forEachRow("""
                    SELECT hour, total / n AS mean, n FROM hourly_score_sums WHERE model_id = $1 AND hour >= $2 AND hour < $3 AND n > 0
                    """, [modelID, wholeHours.lowerBound, wholeHours.upperBound], read)
            }
            return out.sorted { $0.hour < $1.hour }
        }
    }

    public func embeddingSample(model: String, window: TimeWindow, limit: Int) throws -> [String] {
        try driver.read { c in
            let (modelID, _) = try c.requireModel(model)
            let embedding = c.dialect.jsonValue("payload", ["input", "embedding"])
            // Most models send no embeddings: look at the window's latest predictions before
            // scanning all of them.
            let probe = try c.one("""
                SELECT EXISTS(SELECT 1 FROM (SELECT payload FROM predictions WHERE model_id = $1 AND ts >= $2 AND ts < $3
                                             ORDER BY ts DESC LIMIT $4) latest
                              WHERE \(embedding) IS NOT NULL) AS found
                """, [modelID, window.from, window.to, embeddingProbe])?.bool("found") ?? false
            guard probe else { return [] }
            var out: [String] = []
            try c.forEachRow("""
                SELECT e FROM (SELECT \(embedding) AS e, content_hash FROM predictions
                               WHERE model_id = $1 AND ts >= $2 AND ts < $3 AND payload IS NOT NULL) sample
                WHERE e IS NOT NULL ORDER BY content_hash LIMIT $4
                """, [modelID, window.from, window.to, limit]) { out.append(try $0.string("e")) }
            return out
        }
    }

    public func retentionMark() throws -> Int64? {
        try driver.read { c in try c.retentionMark() }
    }
}

/// How many of a window's latest predictions are looked at to decide whether the model sends
/// embeddings at all.
let embeddingProbe = 1000

extension SQLConnection {
    /// The retention mark as seen inside this transaction.
    public func retentionMark() throws -> Int64? {
        try one("SELECT before FROM retention_mark WHERE id = 1")?.int("before")
    }
}
