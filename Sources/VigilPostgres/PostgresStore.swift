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
public final class PostgresStore: SQLStore, @unchecked Sendable {
    let pool: PostgresConnectionPool
    public let driver: any SQLDriver
    /// Where the database is (without its password).
    public let location: PostgresLocation
    /// Days whose partition this process knows exists.
    let partitions = PartitionCache()

    /// Set when a read-only open found a store a newer Vigil migrated: the line to print on stderr.
    public private(set) var newerSchemaWarning: String?

    /// Connects to the database at `url` and, for ``StoreAccess/readWrite``, brings its schema up to date.
    public convenience init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment,
                            access: StoreAccess = .readWrite) throws {
        try self.init(location: PostgresLocation(url: url, environment: environment), access: access)
    }

    /// Connects to the database at `location`. For ``StoreAccess/readWrite`` (the default) its
    /// schema is brought up to date and a store a newer Vigil migrated is refused; for
    /// ``StoreAccess/readOnly`` no migration runs and a newer store is read (see ``newerSchemaWarning``).
    public init(location: PostgresLocation, maxConnections: Int = 16, access: StoreAccess = .readWrite) throws {
        self.location = location
        pool = PostgresConnectionPool(configuration: try location.configuration(), limit: maxConnections)
        driver = PostgresDriver(pool: pool)
        do {
            switch access {
            case .readWrite: try migrate()
            case .readOnly: newerSchemaWarning = try storedSchema().admit(.readOnly)
            }
        } catch let refusal as StoreError {
            throw refusal
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
    public static func shared(url: String, access: StoreAccess = .readWrite) throws -> PostgresStore {
        try opened.withLock {
            let key = "\(access) \(url)"
            if let store = stores[key] { return store }
            let store = try PostgresStore(url: url, access: access)
            stores[key] = store
            return store
        }
    }
}
