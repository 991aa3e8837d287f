import Foundation
import PostgresNIO
import VigilStore

/// ``SQLDriver`` on PostgreSQL: reads in one REPEATABLE READ, READ ONLY snapshot (as SQLite's
/// reads see one snapshot); writes at READ COMMITTED, retried whole on a deadlock or a
/// serialization failure; ``SQLConnection/lock(_:)`` takes a transaction-scoped advisory lock.
struct PostgresDriver: SQLDriver {
    let pool: PostgresConnectionPool

    func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try pool.withSession { s in try s.transaction(isolation: "REPEATABLE READ, READ ONLY") { try body(PostgresSQLConnection(session: s)) } }
    }

    func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try pool.withSession { s in try s.transaction { try body(PostgresSQLConnection(session: s)) } }
    }
}

/// A ``PostgresSession`` inside a transaction, seen as a ``SQLConnection``.
struct PostgresSQLConnection: SQLConnection {
    let session: PostgresSession

    var dialect: SQLDialect { .postgres }

    func execute(_ sql: String, _ arguments: [any SQLValueConvertible]) throws -> Int {
        try session.execute(sql, arguments.map(\.sqlValue))
    }

    func query(_ sql: String, _ arguments: [any SQLValueConvertible]) throws -> [any SQLRow] {
        try session.query(sql, arguments.map(\.sqlValue)).map(PostgresNamedRow.init)
    }

    func forEachRow(_ sql: String, _ arguments: [any SQLValueConvertible], _ body: (any SQLRow) throws -> Void) throws {
        try session.forEachRow(sql, arguments.map(\.sqlValue)) { row in try body(PostgresNamedRow(row: PostgresResultRow(row))) }
    }

    func lock(_ key: String) throws {
        try session.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", [key])
    }
}

extension PostgresSession {
    /// This session's transaction as the shared rules' ``SQLConnection`` (for the PostgreSQL-only paths).
    var sql: PostgresSQLConnection { PostgresSQLConnection(session: self) }
}

extension SQLValue: PostgresArgument {
    func bind(into b: inout PostgresBindings) throws {
        switch self {
        case .null: b.appendNull()
        case .integer(let i): b.append(i)
        case .real(let d): b.append(d)
        case .text(let s): b.append(s)
        case .blob(let d): try b.append(d)
        case .boolean(let v): b.append(v)
        case .integers(let a): b.append(a)
        }
    }
}

/// A PostgreSQL row read by column name. `SUM` of integers (numeric) reads as an integer and
/// an integer column as a boolean, so one statement reads alike on both engines.
struct PostgresNamedRow: SQLRow {
    let row: PostgresResultRow

    func optionalInt(_ column: String) throws -> Int64? {
        let c = try cell(column)
        if c.dataType == .numeric { return try c.decode(Decimal?.self).map { Int64(truncating: $0 as NSDecimalNumber) } }
        return try c.decode(Int64?.self)
    }

    func optionalDouble(_ column: String) throws -> Double? {
        let c = try cell(column)
        switch c.dataType {
        case .numeric: return try c.decode(Decimal?.self).map { Double(truncating: $0 as NSDecimalNumber) }
        case .int2, .int4, .int8: return try c.decode(Int64?.self).map(Double.init)
        default: return try c.decode(Double?.self)
        }
    }

    func optionalString(_ column: String) throws -> String? { try cell(column).decode(String?.self) }

    func optionalBool(_ column: String) throws -> Bool? {
        let c = try cell(column)
        if [.int2, .int4, .int8].contains(c.dataType) { return try c.decode(Int64?.self).map { $0 != 0 } }
        return try c.decode(Bool?.self)
    }

    func optionalData(_ column: String) throws -> Data? { try cell(column).decode(Data?.self) }

    private func cell(_ column: String) throws -> PostgresCell {
        guard row.cells.contains(column) else {
            throw StoreError("no column '\(column)' in the row (columns: \(row.cells.map(\.columnName).joined(separator: ", ")))")
        }
        return row.cells[column]
    }
}
