import Foundation
import GRDB
import VigilCore

/// The default store: one SQLite file through GRDB, in WAL mode with a busy timeout, so
/// `vigil tick` from cron, `vigil evaluate` and a reviewer can use it at the same time.
///
/// ```swift
/// let store = try SQLiteStore(path: ".vigil/vigil.db")
/// ```
public final class SQLiteStore: Store {
    let queue: DatabaseQueue
    /// The file's path.
    public let path: String

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String, busyTimeout: TimeInterval = 10) throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try Self.createFileIfMissing(path)
        var config = Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = false  // checked by ingest itself; SQLite's checks cost a lookup per row
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            try Self.migrator.migrate(queue)
        } catch let error as DatabaseError {
            throw StoreError("cannot open the store at \(path): \(error.message ?? "\(error)"). Check the path and permissions, or run `vigil init`.")
        }
    }

    // MARK: Models

    public func syncModels(_ schemas: [ModelSchema], now: Int64) throws -> ModelCatalog {
        try queue.write { db in
            var out: [ModelSchema] = []
            for schema in schemas {
                let row = try Row.fetchOne(db, sql: "SELECT id, task FROM models WHERE name = ?", arguments: [schema.name])
                let modelID: Int64
                if let row {
                    modelID = row["id"]
                    let task: String = row["task"]
                    guard task == schema.task.rawValue else {
                        throw StoreError("model '\(schema.name)' is stored as a \(task) model; its policy says \(schema.task.rawValue). A model's task cannot change: use a new model name.")
                    }
                } else {
                    try db.execute(sql: "INSERT INTO models(name, task, created_at) VALUES (?, ?, ?)",
                                   arguments: [schema.name, schema.task.rawValue, now])
                    modelID = db.lastInsertedRowID
                }
                var stored = try String.fetchAll(db, sql: "SELECT name FROM model_classes WHERE model_id = ? ORDER BY idx", arguments: [modelID])
                let missing = stored.filter { schema.index(of: $0) == nil }
                guard missing.isEmpty else {
                    throw StoreError("the policy of '\(schema.name)' no longer lists the stored classes \(missing.joined(separator: ", ")). Classes are append-only: put them back in 'classes' (order does not matter).")
                }
                for name in schema.classes where !stored.contains(name) {
                    try db.execute(sql: "INSERT INTO model_classes(model_id, idx, name) VALUES (?, ?, ?)",
                                   arguments: [modelID, stored.count, name])
                    stored.append(name)
                }
                out.append(ModelSchema(name: schema.name, task: schema.task, classes: stored))
            }
            return ModelCatalog(out)
        }
    }

    public func model(named name: String) throws -> ModelSchema? {
        try queue.read { db in try Self.schema(db, name: name)?.schema }
    }

    static func schema(_ db: Database, name: String) throws -> (id: Int64, schema: ModelSchema)? {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: "SELECT id, task FROM models WHERE name = ?"), arguments: [name]) else { return nil }
        let id: Int64 = row["id"]
        let classes = try String.fetchAll(db.cachedStatement(sql: "SELECT name FROM model_classes WHERE model_id = ? ORDER BY idx"), arguments: [id])
        return (id, ModelSchema(name: name, task: ModelTask(rawValue: row["task"]) ?? .classification, classes: classes))
    }

    static func allModels(_ db: Database) throws -> [Int64: ModelSchema] {
        var out: [Int64: ModelSchema] = [:]
        for name in try String.fetchAll(db.cachedStatement(sql: "SELECT name FROM models")) {
            if let (id, s) = try schema(db, name: name) { out[id] = s }
        }
        return out
    }

    // MARK: Evaluation runs and events

    public func recordEvaluation(_ run: EvaluationRunRecord) throws -> Int64 {
        try queue.write { db in try Self.insertEvaluation(db, run) }
    }

    /// Inserts the run, its findings and its event inside the caller's transaction.
    static func insertEvaluation(_ db: Database, _ run: EvaluationRunRecord) throws -> Int64 {
        guard let (modelID, _) = try Self.schema(db, name: run.model) else { throw StoreError("unknown model '\(run.model)'") }
        try db.execute(sql: """
            INSERT INTO evaluation_runs(model_id, created_at, window_from, window_to, status, labeled, report)
            VALUES (?, ?, ?, ?, ?, ?, ?)
            """, arguments: [modelID, run.createdAt, run.window.from, run.window.to, run.status.rawValue, run.labeled, run.reportJSON])
        let runID = db.lastInsertedRowID
        for f in run.findings {
            try db.execute(sql: """
                INSERT INTO findings(run_id, rule, metric, class, severity, value, lower, upper, evidence, message)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [runID, f.rule, f.metric, f.className, f.severity.rawValue, f.value, f.interval?.lower,
                                 f.interval?.upper, f.evidence, f.message])
        }
        let counts = Dictionary(grouping: run.findings, by: \.severity).mapValues(\.count)
        let details = "{\"status\":\"\(run.status.rawValue)\",\"labeled\":\(run.labeled),\"window_from\":\(run.window.from),\"window_to\":\(run.window.to)"
            + Severity.allCases.map { ",\"\($0.rawValue)\":\(counts[$0] ?? 0)" }.joined() + "}"
        try Self.append(db, Event(ts: run.createdAt, actor: run.actor, kind: "evaluation.run", model: run.model,
                                  subject: "run/\(runID)", details: details))
        return runID
    }

    public func append(_ event: Event) throws {
        try queue.write { db in try Self.append(db, event) }
    }

    static func append(_ db: Database, _ e: Event) throws {
        try db.cachedStatement(sql: "INSERT INTO events(ts, actor, kind, model, subject, details) VALUES (?, ?, ?, ?, ?, ?)")
            .execute(arguments: [e.ts, e.actor, e.kind, e.model, e.subject, e.details])
    }

    public func events(model: String?, kind: String?, limit: Int) throws -> [Event] {
        try queue.read { db in
            let rows = try Row.fetchAll(db, sql: """
                SELECT id, ts, actor, kind, model, subject, details FROM events
                WHERE (?1 IS NULL OR model = ?1) AND (?3 IS NULL OR kind = ?3) ORDER BY id DESC LIMIT ?2
                """, arguments: [model, limit, kind])
            return rows.map { Event(id: $0["id"], ts: $0["ts"], actor: $0["actor"], kind: $0["kind"], model: $0["model"],
                                    subject: $0["subject"], details: $0["details"]) }
        }
    }

    public func firstPredictionTime(model: String) throws -> Int64? {
        try queue.read { db in
            guard let (modelID, _) = try Self.schema(db, name: model) else { return nil }
            return try Int64.fetchOne(db, sql: "SELECT MIN(hour) FROM hourly_class_counts WHERE model_id = ?", arguments: [modelID])
                .map { $0 * 3_600_000 }
        }
    }

    // MARK: Reading for evaluation

    public func confusionMatrix(model: String, window: TimeWindow) throws -> ConfusionMatrix {
        try queue.read { db in
            guard let (modelID, schema) = try Self.schema(db, name: model) else { throw StoreError("unknown model '\(model)'") }
            guard let conn = db.sqliteConnection else { throw StoreError("the database connection is closed") }
            var matrix = ConfusionMatrix(classCount: schema.classes.count)
            // Whole hours come from the per-hour confusion counts; the partial hours at either
            // end of the window from the rows themselves. Exact, and O(hours) for long windows.
            let (wholeHours, edges) = window.byHour
            if let wholeHours {
                let hours = try RawStatement(conn, """
                    SELECT label_idx, predicted_idx, SUM(n) FROM hourly_confusion
                    WHERE model_id = ? AND hour >= ? AND hour < ? GROUP BY label_idx, predicted_idx
                    """)
                hours.bind(1, modelID); hours.bind(2, wholeHours.lowerBound); hours.bind(3, wholeHours.upperBound)
                while try hours.step() {
                    matrix.add(trueClass: Int(hours.int64(0)), predicted: Int(hours.int64(1)), count: Int(hours.int64(2)))
                }
            }
            let rows = try RawStatement(conn, """
                SELECT label_idx, predicted_idx FROM ground_truth
                WHERE model_id = ? AND ts >= ? AND ts < ? AND label_idx IS NOT NULL AND predicted_idx IS NOT NULL
                """)
            for edge in edges {
                rows.bind(1, modelID); rows.bind(2, edge.from); rows.bind(3, edge.to)
                while try rows.step() { matrix.add(trueClass: Int(rows.int64(0)), predicted: Int(rows.int64(1))) }
                rows.reset()
            }
            return matrix
        }
    }

    public func forEachReviewedImage(model: String, window: TimeWindow, _ body: (String, String) throws -> Void) throws {
        try queue.read { db in
            guard let (modelID, _) = try Self.schema(db, name: model) else { throw StoreError("unknown model '\(model)'") }
            let rows = try Row.fetchCursor(db, sql: """
                SELECT COALESCE(json_extract(p.payload, '$.boxes'), '[]'), g.boxes FROM ground_truth g
                JOIN predictions p ON p.seq = g.prediction_seq
                WHERE g.model_id = ? AND g.ts >= ? AND g.ts < ? AND g.boxes IS NOT NULL
                ORDER BY g.ts, g.prediction_seq
                """, arguments: [modelID, window.from, window.to])
            while let row = try rows.next() { try body(row[0], row[1]) }
        }
    }

    public func predictionCount(model: String, window: TimeWindow) throws -> Int {
        try queue.read { db in
            guard let (modelID, _) = try Self.schema(db, name: model) else { throw StoreError("unknown model '\(model)'") }
            return try Self.predictionCount(db, modelID: modelID, window: window)
        }
    }

    /// Whole hours from the per-hour record counts (class -1), edge hours from the rows.
    static func predictionCount(_ db: Database, modelID: Int64, window: TimeWindow) throws -> Int {
        let (wholeHours, edges) = window.byHour
        var count = 0
        if let wholeHours {
            count += try Int.fetchOne(db, sql: """
                SELECT COALESCE(SUM(n), 0) FROM hourly_class_counts WHERE model_id = ? AND label_idx = -1 AND hour >= ? AND hour < ?
                """, arguments: [modelID, wholeHours.lowerBound, wholeHours.upperBound]) ?? 0
        }
        for edge in edges {
            count += try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM predictions WHERE model_id = ? AND ts >= ? AND ts < ?",
                                      arguments: [modelID, edge.from, edge.to]) ?? 0
        }
        return count
    }
}
