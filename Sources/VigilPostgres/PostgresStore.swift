import Foundation
import PostgresNIO
import VigilCore
import VigilStore

/// The store on PostgreSQL, for several `vigil serve` and `vigil tick` instances sharing one
/// database: the same ``Store`` semantics as ``SQLiteStore``, with row locks where SQLite
/// serializes whole transactions.
///
/// - Ingest claims prediction ids with `INSERT … ON CONFLICT DO NOTHING`, so the same batch sent
///   to two instances is stored once; an id stored with other content is a conflict.
/// - Per-hour aggregates are upserts (`n = n + EXCLUDED.n`), written in key order.
/// - Predictions are partitioned by UTC day (created on demand): ``dropPartitions(before:)``
///   drops whole days instead of deleting rows.
/// - Review claims, retraining jobs and schedule slots are taken with `FOR UPDATE SKIP LOCKED`
///   or `INSERT … ON CONFLICT DO NOTHING`.
///
/// The protocol is synchronous: each call checks out a connection, sends its statements and
/// waits for them on the calling thread (never call it from an event loop).
///
/// ```swift
/// let store = try PostgresStore(url: "postgres://vigil@127.0.0.1:5432/vigil")
/// ```
public final class PostgresStore: Store, @unchecked Sendable {
    let pool: PostgresConnectionPool
    /// Where the database is (without its password).
    public let location: PostgresLocation
    /// Days whose partition this process knows exists.
    let partitions = PartitionCache()

    /// Connects to the database at `url` and brings its schema up to date.
    public convenience init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        try self.init(location: PostgresLocation(url: url, environment: environment))
    }

    /// Connects to the database at `location` and brings its schema up to date.
    public init(location: PostgresLocation, maxConnections: Int = 16) throws {
        self.location = location
        pool = PostgresConnectionPool(configuration: try location.configuration(), limit: maxConnections)
        do {
            try migrate()
        } catch {
            throw StoreError("cannot open the store at \(location.displayURL): \(error). Check that the server runs, the database exists and the user may connect (password from VIGIL_PG_PASSWORD or ?password_file=).")
        }
    }

    /// Runs `body` with a connection of its own (for tests and tools).
    func withSession<T>(_ body: (PostgresSession) throws -> T) throws -> T { try pool.withSession(body) }

    /// Runs `body` in one transaction on a connection of its own.
    func write<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        try pool.withSession { s in try s.transaction { try body(s) } }
    }

    /// Runs `body` in one read-only snapshot (REPEATABLE READ), as SQLite's reads see one snapshot.
    func read<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        try pool.withSession { s in try s.transaction(isolation: "REPEATABLE READ, READ ONLY") { try body(s) } }
    }

    /// Runs one SQL statement (tests).
    public func execute(_ sql: String) throws {
        try pool.withSession { s in _ = try s.execute(sql) }
    }

    /// A PostgreSQL error as a ``StoreError``-like message that names the SQLSTATE.
    static func describe(_ error: any Error, sql: String?) -> any Error {
        guard let e = error as? PSQLError else { return error }
        let state = e.serverInfo?[.sqlState]
        let message = e.serverInfo?[.message] ?? "\(e.code)"
        let detail = e.serverInfo?[.detail].map { " (\($0))" } ?? ""
        let statement = sql.map { " in: \($0.split(separator: "\n").first ?? "")" } ?? ""
        return PostgresStoreError(sqlState: state, message: "PostgreSQL: \(message)\(detail)\(state.map { " [\($0)]" } ?? "")\(statement)")
    }

    // MARK: Models

    public func syncModels(_ schemas: [ModelSchema], now: Int64) throws -> ModelCatalog {
        try write { s in
            // Several instances start together: one at a time registers models.
            try s.execute("SELECT pg_advisory_xact_lock($1)", [Self.migrationLock + 1])
            var out: [ModelSchema] = []
            for schema in schemas {
                let modelID: Int64
                if let row = try s.one("SELECT id, task FROM models WHERE name = $1", [schema.name]) {
                    modelID = try row.int(0)
                    let task = try row.string(1)
                    guard task == schema.task.rawValue else {
                        throw StoreError("model '\(schema.name)' is stored as a \(task) model; its policy says \(schema.task.rawValue). A model's task cannot change: use a new model name.")
                    }
                } else {
                    modelID = try s.one("INSERT INTO models(name, task, created_at) VALUES ($1, $2, $3) RETURNING id",
                                        [schema.name, schema.task.rawValue, now])!.int(0)
                }
                var stored = try s.query("SELECT name FROM model_classes WHERE model_id = $1 ORDER BY idx", [modelID]).map { try $0.string(0) }
                let missing = stored.filter { schema.index(of: $0) == nil }
                guard missing.isEmpty else {
                    throw StoreError("the policy of '\(schema.name)' no longer lists the stored classes \(missing.joined(separator: ", ")). Classes are append-only: put them back in 'classes' (order does not matter).")
                }
                for name in schema.classes where !stored.contains(name) {
                    try s.execute("INSERT INTO model_classes(model_id, idx, name) VALUES ($1, $2, $3)", [modelID, stored.count, name])
                    stored.append(name)
                }
                out.append(ModelSchema(name: schema.name, task: schema.task, classes: stored))
            }
            return ModelCatalog(out)
        }
    }

    public func model(named name: String) throws -> ModelSchema? {
        try pool.withSession { s in try Self.schema(s, name: name)?.schema }
    }

    static func schema(_ s: PostgresSession, name: String) throws -> (id: Int64, schema: ModelSchema)? {
        guard let row = try s.one("SELECT id, task FROM models WHERE name = $1", [name]) else { return nil }
        let id = try row.int(0)
        let classes = try s.query("SELECT name FROM model_classes WHERE model_id = $1 ORDER BY idx", [id]).map { try $0.string(0) }
        return (id, ModelSchema(name: name, task: ModelTask(rawValue: try row.string(1)) ?? .classification, classes: classes))
    }

    static func requireSchema(_ s: PostgresSession, name: String) throws -> (id: Int64, schema: ModelSchema) {
        guard let found = try schema(s, name: name) else { throw StoreError("unknown model '\(name)'") }
        return found
    }

    static func allModels(_ s: PostgresSession) throws -> [Int64: ModelSchema] {
        var out: [Int64: ModelSchema] = [:]
        for name in try s.query("SELECT name FROM models").map({ try $0.string(0) }) {
            if let (id, schema) = try schema(s, name: name) { out[id] = schema }
        }
        return out
    }

    // MARK: Evaluation runs and events

    public func recordEvaluation(_ run: EvaluationRunRecord) throws -> Int64 {
        try write { s in try Self.insertEvaluation(s, run) }
    }

    static func insertEvaluation(_ s: PostgresSession, _ run: EvaluationRunRecord) throws -> Int64 {
        let (modelID, _) = try requireSchema(s, name: run.model)
        let runID = try s.one("""
            INSERT INTO evaluation_runs(model_id, created_at, window_from, window_to, status, labeled, report)
            VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
            """, [modelID, run.createdAt, run.window.from, run.window.to, run.status.rawValue, run.labeled, run.reportJSON])!.int(0)
        for f in run.findings {
            try s.execute("""
                INSERT INTO findings(run_id, rule, metric, class, severity, value, lower, upper, evidence, message)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10)
                """, [runID, f.rule, f.metric, f.className, f.severity.rawValue, f.value, f.interval?.lower, f.interval?.upper, f.evidence, f.message])
        }
        let counts = Dictionary(grouping: run.findings, by: \.severity).mapValues(\.count)
        let details = "{\"status\":\"\(run.status.rawValue)\",\"labeled\":\(run.labeled),\"window_from\":\(run.window.from),\"window_to\":\(run.window.to)"
            + Severity.allCases.map { ",\"\($0.rawValue)\":\(counts[$0] ?? 0)" }.joined() + "}"
        try append(s, Event(ts: run.createdAt, actor: run.actor, kind: "evaluation.run", model: run.model, subject: "run/\(runID)", details: details))
        return runID
    }

    public func append(_ event: Event) throws {
        try pool.withSession { s in try Self.append(s, event) }
    }

    static func append(_ s: PostgresSession, _ e: Event) throws {
        try s.execute("INSERT INTO events(ts, actor, kind, model, subject, details) VALUES ($1, $2, $3, $4, $5, $6)",
                      [e.ts, e.actor, e.kind, e.model, e.subject, e.details])
    }

    public func events(model: String?, kind: String?, limit: Int) throws -> [Event] {
        try pool.withSession { s in
            try s.query("""
                SELECT id, ts, actor, kind, model, subject, details FROM events
                WHERE ($1::text IS NULL OR model = $1) AND ($3::text IS NULL OR kind = $3) ORDER BY id DESC LIMIT $2
                """, [model, limit, kind]).map {
                Event(id: try $0.int(0), ts: try $0.int(1), actor: try $0.string(2), kind: try $0.string(3), model: try $0.optionalString(4),
                      subject: try $0.optionalString(5), details: try $0.string(6))
            }
        }
    }

    public func firstPredictionTime(model: String) throws -> Int64? {
        try read { s in
            guard let (modelID, _) = try Self.schema(s, name: model) else { return nil }
            return try s.query("SELECT MIN(hour) FROM hourly_class_counts WHERE model_id = $1", [modelID]).first
                .flatMap { try $0.optionalInt(0) }.map { $0 * 3_600_000 }
        }
    }

    // MARK: Reading for evaluation

    public func confusionMatrix(model: String, window: TimeWindow) throws -> ConfusionMatrix {
        try read { s in
            let (modelID, schema) = try Self.requireSchema(s, name: model)
            var matrix = ConfusionMatrix(classCount: schema.classes.count)
            // Whole hours from the per-hour confusion counts, the partial hours at either end from the rows.
            let (wholeHours, edges) = window.byHour
            if let wholeHours {
                for row in try s.query("""
                    SELECT label_idx, predicted_idx, SUM(n)::bigint FROM hourly_confusion
                    WHERE model_id = $1 AND hour >= $2 AND hour < $3 GROUP BY label_idx, predicted_idx
                    """, [modelID, wholeHours.lowerBound, wholeHours.upperBound]) {
                    matrix.add(trueClass: Int(try row.int(0)), predicted: Int(try row.int(1)), count: Int(try row.int(2)))
                }
            }
            for edge in edges {
                for row in try s.query("""
                    SELECT label_idx, predicted_idx, COUNT(*) FROM ground_truth
                    WHERE model_id = $1 AND ts >= $2 AND ts < $3 AND label_idx IS NOT NULL AND predicted_idx IS NOT NULL
                    GROUP BY label_idx, predicted_idx
                    """, [modelID, edge.from, edge.to]) {
                    matrix.add(trueClass: Int(try row.int(0)), predicted: Int(try row.int(1)), count: Int(try row.int(2)))
                }
            }
            return matrix
        }
    }

    public func forEachReviewedImage(model: String, window: TimeWindow, _ body: (String, String) throws -> Void) throws {
        let rows = try read { s in
            let (modelID, _) = try Self.requireSchema(s, name: model)
            return try s.query("""
                SELECT COALESCE((p.payload::json -> 'boxes')::text, '[]'), g.boxes FROM ground_truth g
                JOIN predictions p ON p.seq = g.prediction_seq AND p.ts = g.ts
                WHERE g.model_id = $1 AND g.ts >= $2 AND g.ts < $3 AND g.boxes IS NOT NULL
                ORDER BY g.ts, g.prediction_seq
                """, [modelID, window.from, window.to])
        }
        for row in rows { try body(try row.string(0), try row.string(1)) }
    }

    public func predictionCount(model: String, window: TimeWindow) throws -> Int {
        try read { s in
            let (modelID, _) = try Self.requireSchema(s, name: model)
            return try Self.predictionCount(s, modelID: modelID, window: window)
        }
    }

    /// Whole hours from the per-hour record counts (class -1), edge hours from the rows.
    static func predictionCount(_ s: PostgresSession, modelID: Int64, window: TimeWindow) throws -> Int {
        let (wholeHours, edges) = window.byHour
        var count: Int64 = 0
        if let wholeHours {
            count += try s.one("""
                SELECT COALESCE(SUM(n), 0)::bigint FROM hourly_class_counts WHERE model_id = $1 AND label_idx = -1 AND hour >= $2 AND hour < $3
                """, [modelID, wholeHours.lowerBound, wholeHours.upperBound])!.int(0)
        }
        for edge in edges {
            count += try s.one("SELECT COUNT(*) FROM predictions WHERE model_id = $1 AND ts >= $2 AND ts < $3",
                               [modelID, edge.from, edge.to])!.int(0)
        }
        return Int(count)
    }

    /// A flat JSON object of strings, for event details.
    static func jsonObject(_ fields: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}

/// The days whose prediction partition exists, as far as this process knows.
final class PartitionCache: @unchecked Sendable {
    private let lock = NSLock()
    private var days: Set<Int64> = []
    func contains(_ day: Int64) -> Bool { lock.withLock { days.contains(day) } }
    func insert(_ day: Int64) { lock.withLock { _ = days.insert(day) } }
    func removeAll() { lock.withLock { days.removeAll() } }
}

extension PostgresStore {
    /// Creates an empty database next to the one `adminURL` names and returns its URL: each
    /// test (or benchmark run) gets a database of its own on one server.
    public static func createScratchDatabase(adminURL: String, prefix: String = "vigil_test") throws -> String {
        let admin = try PostgresLocation(url: adminURL)
        let name = "\(prefix)_\(UInt64.random(in: 0..<UInt64.max) % 1_000_000_000_000)"
        let pool = PostgresConnectionPool(configuration: try admin.configuration(), limit: 1)
        try pool.withSession { s in _ = try s.execute("CREATE DATABASE \(name)") }
        guard var parts = URLComponents(string: adminURL) else { throw StoreError("'\(adminURL)' is not a URL") }
        parts.path = "/" + name
        return parts.string ?? adminURL
    }

    /// Every row of one SQL statement, each value as text (`nil` for NULL): for tests that look
    /// at the tables directly, as the SQLite tests do through GRDB.
    public func rows(_ sql: String) throws -> [[String?]] {
        try pool.withSession { s in
            try s.query(sql).map { row in
                try (0..<row.cells.count).map { i -> String? in
                    let cell = row.cells[i]
                    switch cell.dataType {
                    case .int2, .int4, .int8: return try cell.decode(Int64?.self).map(String.init)
                    case .float4, .float8: return try cell.decode(Double?.self).map { String($0) }
                    case .bool: return try cell.decode(Bool?.self).map { $0 ? "1" : "0" }
                    case .numeric: return try cell.decode(Decimal?.self).map { "\($0)" }
                    default: return try cell.decode(String?.self)
                    }
                }
            }
        }
    }
}

extension PostgresStore {
    private static let opened = NSLock()
    nonisolated(unsafe) private static var stores: [String: PostgresStore] = [:]

    /// The store at `url`, one per process: every part of a `vigil serve` (requests, scheduler,
    /// deliverer) shares its connections instead of opening a pool each.
    public static func shared(url: String) throws -> PostgresStore {
        try opened.withLock {
            if let store = stores[url] { return store }
            let store = try PostgresStore(url: url)
            stores[url] = store
            return store
        }
    }
}
