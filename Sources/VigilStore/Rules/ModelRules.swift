import Foundation
import VigilCore

/// Models and their classes, evaluation runs, the event log and the evaluation's reads of
/// labelled data, written once over the driver.
extension SQLStore {
    public func syncModels(_ schemas: [ModelSchema], now: Int64) throws -> ModelCatalog {
        try driver.write { c in
            // Several instances start together: one at a time registers models.
            try c.lock("vigil.models")
            var out: [ModelSchema] = []
            for schema in schemas {
                let modelID: Int64
                if let row = try c.one("SELECT id, task FROM models WHERE name = $1", [schema.name]) {
                    modelID = try row.int("id")
                    let task = try row.string("task")
                    guard task == schema.task.rawValue else {
                        throw StoreError("model '\(schema.name)' is stored as a \(task) model; its policy says \(schema.task.rawValue). A model's task cannot change: use a new model name.")
                    }
                } else {
                    modelID = try c.insert("INSERT INTO models(name, task, created_at) VALUES ($1, $2, $3) RETURNING id",
                                           [schema.name, schema.task.rawValue, now])
                }
                var stored = try c.query("SELECT name FROM model_classes WHERE model_id = $1 ORDER BY idx", [modelID]).map { try $0.string("name") }
                let missing = stored.filter { schema.index(of: $0) == nil }
                guard missing.isEmpty else {
                    throw StoreError("the policy of '\(schema.name)' no longer lists the stored classes \(missing.joined(separator: ", ")). Classes are append-only: put them back in 'classes' (order does not matter).")
                }
                for name in schema.classes where !stored.contains(name) {
                    try c.execute("INSERT INTO model_classes(model_id, idx, name) VALUES ($1, $2, $3)", [modelID, stored.count, name])
                    stored.append(name)
                }
                out.append(ModelSchema(name: schema.name, task: schema.task, classes: stored))
            }
            return ModelCatalog(out)
        }
    }

    public func model(named name: String) throws -> ModelSchema? {
        try driver.read { c in try c.modelSchema(named: name)?.schema }
    }

    // MARK: Evaluation runs and events

    public func recordEvaluation(_ run: EvaluationRunRecord) throws -> Int64 {
        try driver.write { c in try Self.insertEvaluation(c, run) }
    }

    /// Inserts the run, its findings and its event inside the caller's transaction.
    static func insertEvaluation(_ c: any SQLConnection, _ run: EvaluationRunRecord) throws -> Int64 {
        let (modelID, _) = try c.requireModel(run.model)
        let runID = try c.insert("""
            INSERT INTO evaluation_runs(model_id, created_at, window_from, window_to, status, labeled, report)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
            """, [modelID, run.createdAt, run.window.from, run.window.to, run.status.rawValue, run.labeled, run.reportJSON])
        for f in run.findings {
            try c.execute("""
                INSERT INTO findings(run_id, rule, metric, class, severity, value, lower, upper, evidence, message)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                """, [runID, f.rule, f.metric, f.className, f.severity.rawValue, f.value, f.interval?.lower, f.interval?.upper, f.evidence, f.message])
        }
        let counts = Dictionary(grouping: run.findings, by: \.severity).mapValues(\.count)
        let details = "{\"status\":\"\(run.status.rawValue)\",\"labeled\":\(run.labeled),\"window_from\":\(run.window.from),\"window_to\":\(run.window.to)"
            + Severity.allCases.map { ",\"\($0.rawValue)\":\(counts[$0] ?? 0)" }.joined() + "}"
        try c.append(Event(ts: run.createdAt, actor: run.actor, kind: "evaluation.run", model: run.model, subject: "run/\(runID)", details: details))
        return runID
    }

    public func append(_ event: Event) throws {
        try driver.write { c in try c.append(event) }
    }

    public func events(model: String?, kind: String?, limit: Int) throws -> [Event] {
        try driver.read { c in
            try c.query("""
                SELECT id, ts, actor, kind, model, subject, details FROM events
                WHERE (CAST($1 AS TEXT) IS NULL OR model = $1) AND (CAST($3 AS TEXT) IS NULL OR kind = $3) ORDER BY id DESC LIMIT $2
                """, [model, limit, kind]).map {
                Event(id: try $0.int("id"), ts: try $0.int("ts"), actor: try $0.string("actor"), kind: try $0.string("kind"),
                      model: try $0.optionalString("model"), subject: try $0.optionalString("subject"), details: try $0.string("details"))
            }
        }
    }

    public func firstPredictionTime(model: String) throws -> Int64? {
        try driver.read { c in
            guard let (modelID, _) = try c.modelSchema(named: model) else { return nil }
            return try c.one("SELECT MIN(hour) AS hour FROM hourly_class_counts WHERE model_id = $1", [modelID])?
                .optionalInt("hour").map { $0 * 3_600_000 }
        }
    }

    // MARK: Reading for evaluation

    public func reviewedAttribute(model: String, window: TimeWindow, attribute: String) throws -> [ReviewedAttribute] {
        try forEachReviewedClassification(model: model, window: window, also: { $0.inputAttribute("p.payload", "$4") }, [attribute]) { row, observed, predicted in
            ReviewedAttribute(observed: observed, predicted: predicted, value: try row.optionalString("extra"))
        }
    }

    public func reviewedScores(model: String, window: TimeWindow) throws -> [ReviewedScore] {
        try forEachReviewedClassification(model: model, window: window, also: { _ in "p.score" }, []) { row, observed, predicted in
            ReviewedScore(observed: observed, predicted: predicted, score: try row.optionalDouble("extra"))
        }
    }

    /// Every reviewed classification of `model` in `window`, in time order, with one more
    /// column of its prediction (`also`, read as `extra`; `arguments` bind from `$4`).
    /// `p.ts = g.ts` lets PostgreSQL look in one day partition only.
    private func forEachReviewedClassification<T>(model: String, window: TimeWindow, also column: (SQLDialect) -> String, _ arguments: [any SQLValueConvertible],
                                                  _ make: (any SQLRow, _ observed: Int, _ predicted: Int) throws -> T) throws -> [T] {
        try driver.read { c in
            let (modelID, _) = try c.requireModel(model)
            var out: [T] = []
            try c.forEachRow("""
                SELECT g.label_idx, g.predicted_idx, \(column(c.dialect)) AS extra FROM ground_truth g
                JOIN predictions p ON p.seq = g.prediction_seq AND p.ts = g.ts
                WHERE g.model_id = $1 AND g.ts >= $2 AND g.ts < $3 AND g.label_idx IS NOT NULL AND g.predicted_idx IS NOT NULL
                ORDER BY g.ts, g.prediction_seq
                """, [modelID, window.from, window.to] as [any SQLValueConvertible] + arguments) { row in
                out.append(try make(row, Int(try row.int("label_idx")), Int(try row.int("predicted_idx"))))
            }
            return out
        }
    }

    public func confusionMatrix(model: String, window: TimeWindow) throws -> ConfusionMatrix {
        try driver.read { c in
            let (modelID, schema) = try c.requireModel(model)
            var matrix = ConfusionMatrix(classCount: schema.classes.count)
            // Whole hours come from the per-hour confusion counts; the partial hours at either
            // end of the window from the rows themselves. Exact, and O(hours) for long windows.
            let (wholeHours, edges) = window.byHour
            if let wholeHours {
                try c.forEachRow("""
                    SELECT label_idx, predicted_idx, SUM(n) AS n FROM hourly_confusion
                    WHERE model_id = $1 AND hour >= $2 AND hour < $3 GROUP BY label_idx, predicted_idx
                    """, [modelID, wholeHours.lowerBound, wholeHours.upperBound]) { row in
                    matrix.add(trueClass: Int(try row.int("label_idx")), predicted: Int(try row.int("predicted_idx")), count: Int(try row.int("n")))
                }
            }
            for edge in edges {
                try c.forEachRow("""
                    SELECT label_idx, predicted_idx, COUNT(*) AS n FROM ground_truth
                    WHERE model_id = $1 AND ts >= $2 AND ts < $3 AND label_idx IS NOT NULL AND predicted_idx IS NOT NULL
                    GROUP BY label_idx, predicted_idx
                    """, [modelID, edge.from, edge.to]) { row in
                    matrix.add(trueClass: Int(try row.int("label_idx")), predicted: Int(try row.int("predicted_idx")), count: Int(try row.int("n")))
                }
            }
            return matrix
        }
    }

    public func forEachReviewedImage(model: String, window: TimeWindow, _ body: (String, String) throws -> Void) throws {
        try driver.read { c in
            let (modelID, _) = try c.requireModel(model)
            try c.forEachRow("""
                SELECT COALESCE(\(c.dialect.jsonValue("p.payload", ["boxes"])), '[]') AS predicted, g.boxes FROM ground_truth g
                JOIN predictions p ON p.seq = g.prediction_seq AND p.ts = g.ts
                WHERE g.model_id = $1 AND g.ts >= $2 AND g.ts < $3 AND g.boxes IS NOT NULL
                ORDER BY g.ts, g.prediction_seq
                """, [modelID, window.from, window.to]) { row in
                try body(try row.string("predicted"), try row.string("boxes"))
            }
        }
    }

    public func predictionCount(model: String, window: TimeWindow) throws -> Int {
        try driver.read { c in
            let (modelID, _) = try c.requireModel(model)
            return try c.predictionCount(modelID: modelID, window: window)
        }
    }
}

extension SQLConnection {
    /// Predictions of one model in `window`: whole hours from the per-hour record counts
    /// (class -1), the partial hours at either end from the rows.
    public func predictionCount(modelID: Int64, window: TimeWindow) throws -> Int {
        let (wholeHours, edges) = window.byHour
        var count: Int64 = 0
        if let wholeHours {
            count += try one("""
                SELECT COALESCE(SUM(n), 0) AS n FROM hourly_class_counts WHERE model_id = $1 AND label_idx = -1 AND hour >= $2 AND hour < $3
                """, [modelID, wholeHours.lowerBound, wholeHours.upperBound])!.int("n")
        }
        for edge in edges {
            count += try one("SELECT COUNT(*) AS n FROM predictions WHERE model_id = $1 AND ts >= $2 AND ts < $3", [modelID, edge.from, edge.to])!.int("n")
        }
        return Int(count)
    }
}
