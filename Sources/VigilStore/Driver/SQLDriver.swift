import Foundation

/// The one seam between the store's rules and a database engine (the idea of Hummingbird's
/// `PersistDriver`): transactions, statements, rows by column name and the few phrases whose
/// SQL differs. ``SQLStore`` writes each rule once over it; ``GRDBDriver`` runs it on SQLite
/// and `PostgresDriver` (VigilPostgres) on PostgreSQL.
///
/// Statements are written in PostgreSQL's parameter style (`$1`, `$2`, …, each number may
/// repeat); a parameter whose type PostgreSQL cannot infer (`$1 IS NULL`) is written
/// `CAST($1 AS TEXT)` or `CAST($1 AS BIGINT)`, which both engines read.
///
/// ```swift
/// let versions = try driver.read { c in
///     try c.query("SELECT version FROM model_versions WHERE model = $1", [model]).map { try $0.int("version") }
/// }
/// ```
public protocol SQLDriver: Sendable {
    /// Runs `body` in one read-only snapshot.
    func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T
    /// Runs `body` in one write transaction: committed when it returns, rolled back when it
    /// throws. SQLite takes the write lock at the start (`BEGIN IMMEDIATE`); PostgreSQL runs at
    /// READ COMMITTED and retries the whole body on a deadlock, so `body` must only touch the database.
    func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T
}

/// A connection inside one transaction of a ``SQLDriver``.
public protocol SQLConnection {
    /// How the phrases that differ between engines are spelt.
    var dialect: SQLDialect { get }
    /// Runs one statement and returns how many rows it changed.
    @discardableResult
    func execute(_ sql: String, _ arguments: [any SQLValueConvertible]) throws -> Int
    /// Runs one statement and returns all its rows (for results of bounded size).
    func query(_ sql: String, _ arguments: [any SQLValueConvertible]) throws -> [any SQLRow]
    /// Runs one statement and hands its rows to `body` one at a time, as they are read.
    func forEachRow(_ sql: String, _ arguments: [any SQLValueConvertible], _ body: (any SQLRow) throws -> Void) throws
    /// Serialises writers on `key` until the transaction ends: a PostgreSQL advisory lock;
    /// nothing on SQLite, where a write transaction already excludes every other writer.
    func lock(_ key: String) throws
}

extension SQLConnection {
    /// Runs one statement without parameters.
    @discardableResult
    public func execute(_ sql: String) throws -> Int { try execute(sql, []) }

    /// The first row of `sql`, or `nil`.
    public func one(_ sql: String, _ arguments: [any SQLValueConvertible] = []) throws -> (any SQLRow)? {
        try query(sql, arguments).first
    }

    /// Runs an `INSERT … RETURNING id` and returns the id.
    public func insert(_ sql: String, _ arguments: [any SQLValueConvertible]) throws -> Int64 {
        guard let row = try one(sql, arguments) else { throw StoreError("an insert returned no id: \(sql.prefix(60))") }
        return try row.int("id")
    }
}

/// One result row, read by column name (give computed columns a name with `AS`).
public protocol SQLRow {
    /// The integer in `column`; throws when it is NULL.
    func optionalInt(_ column: String) throws -> Int64?
    func optionalDouble(_ column: String) throws -> Double?
    func optionalString(_ column: String) throws -> String?
    /// A boolean, stored as 0/1 on SQLite.
    func optionalBool(_ column: String) throws -> Bool?
    /// Bytes (a BLOB or a `bytea`).
    func optionalData(_ column: String) throws -> Data?
}

extension SQLRow {
    public func int(_ column: String) throws -> Int64 { try required(optionalInt(column), column) }
    public func double(_ column: String) throws -> Double { try required(optionalDouble(column), column) }
    public func string(_ column: String) throws -> String { try required(optionalString(column), column) }
    public func bool(_ column: String) throws -> Bool { try required(optionalBool(column), column) }
    public func data(_ column: String) throws -> Data { try required(optionalData(column), column) }

    private func required<T>(_ value: T?, _ column: String) throws -> T {
        guard let value else { throw StoreError("column '\(column)' is NULL where a value was expected") }
        return value
    }
}

/// The phrases whose SQL differs between the engines.
public struct SQLDialect: Sendable {
    /// `sqlite` or `postgresql`.
    public var name: String
    /// The JSON (object or array) at `path` inside `column`, as text; NULL when absent or JSON `null`.
    public var jsonValue: @Sendable (_ column: String, _ path: [String]) -> String
    /// The text of the input attribute (`input.attributes.<key>`) inside the prediction payload
    /// in `column`, the key bound to the parameter `keyParameter` (e.g. `$4`).
    public var inputAttribute: @Sendable (_ column: String, _ keyParameter: String) -> String
    /// The values of `expression` joined by `separator` (an aggregate).
    public var stringAggregate: @Sendable (_ expression: String, _ separator: String) -> String
    /// Ends a `SELECT` that claims the rows it finds for this transaction, passing over rows
    /// another transaction holds (`FOR UPDATE SKIP LOCKED`); empty on SQLite, whose write
    /// transaction already excludes every other writer.
    public var claimRows: String
    /// Ends a `SELECT` that locks the rows it reads until the transaction ends (`FOR UPDATE`).
    public var lockRows: String
    /// Orders text byte by byte, whatever the database's locale (`COLLATE "C"`).
    public var bytewise: String
    /// A subquery of the integers of the ``SQLValue/integers(_:)`` bound to `parameter`, for
    /// `x IN \(dialect.integerList("$2"))`.
    public var integerList: @Sendable (_ parameter: String) -> String

    public init(name: String, jsonValue: @escaping @Sendable (String, [String]) -> String,
                inputAttribute: @escaping @Sendable (String, String) -> String,
                stringAggregate: @escaping @Sendable (String, String) -> String,
                claimRows: String, lockRows: String, bytewise: String, integerList: @escaping @Sendable (String) -> String) {
        self.integerList = integerList
        self.name = name
        self.jsonValue = jsonValue
        self.inputAttribute = inputAttribute
        self.stringAggregate = stringAggregate
        self.claimRows = claimRows
        self.lockRows = lockRows
        self.bytewise = bytewise
    }

    /// SQLite's JSON1 functions and `group_concat`.
    public static let sqlite = SQLDialect(
        name: "sqlite",
        jsonValue: { column, path in "json_extract(\(column), '\(sqlitePath(path))')" },
        inputAttribute: { column, key in "CAST(json_extract(\(column), '$.input.attributes.\"' || \(key) || '\"') AS TEXT)" },
        stringAggregate: { expression, separator in "group_concat(\(expression), '\(separator)')" },
        claimRows: "", lockRows: "", bytewise: "COLLATE BINARY",
        integerList: { parameter in "(SELECT value FROM json_each(\(parameter)))" })

    /// PostgreSQL's `#>>` / `#>` on `json` and `string_agg`.
    public static let postgres = SQLDialect(
        name: "postgresql",
        jsonValue: { column, path in "NULLIF(((\(column))::json #> '{\(path.joined(separator: ","))}')::text, 'null')" },
        inputAttribute: { column, key in "((\(column))::json #>> ARRAY['input', 'attributes', CAST(\(key) AS TEXT)])" },
        stringAggregate: { expression, separator in "string_agg(\(expression), '\(separator)')" },
        claimRows: "FOR UPDATE SKIP LOCKED", lockRows: "FOR UPDATE", bytewise: "COLLATE \"C\"",
        integerList: { parameter in "(SELECT unnest(CAST(\(parameter) AS bigint[])))" })

    private static func sqlitePath(_ path: [String]) -> String {
        "$" + path.map { ".\"\($0)\"" }.joined()
    }
}
