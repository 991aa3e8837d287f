import Foundation
import PostgresNIO

/// A value that can be bound to a query parameter (`$1`, `$2`, …).
protocol PostgresArgument {
    func bind(into bindings: inout PostgresBindings) throws
}

extension Int64: PostgresArgument { func bind(into b: inout PostgresBindings) { b.append(self) } }
extension Int: PostgresArgument { func bind(into b: inout PostgresBindings) { b.append(Int64(self)) } }
extension Int32: PostgresArgument { func bind(into b: inout PostgresBindings) { b.append(Int64(self)) } }
extension String: PostgresArgument { func bind(into b: inout PostgresBindings) { b.append(self) } }
extension Double: PostgresArgument { func bind(into b: inout PostgresBindings) { b.append(self) } }
extension Bool: PostgresArgument { func bind(into b: inout PostgresBindings) { b.append(self) } }
extension Data: PostgresArgument { func bind(into b: inout PostgresBindings) throws { try b.append(self) } }
extension Array: PostgresArgument where Element: PostgresArrayEncodable & PostgresArgument {
    func bind(into b: inout PostgresBindings) throws { try b.append(self) }
}
extension Optional: PostgresArgument where Wrapped: PostgresArgument {
    func bind(into b: inout PostgresBindings) throws {
        if let value = self { try value.bind(into: &b) } else { b.appendNull() }
    }
}

/// One result row, read by column position.
struct PostgresResultRow {
    let cells: PostgresRandomAccessRow

    init(_ row: PostgresRow) { cells = row.makeRandomAccess() }

    func int(_ i: Int) throws -> Int64 { try cells[i].decode(Int64.self) }
    func optionalInt(_ i: Int) throws -> Int64? { try cells[i].decode(Int64?.self) }
    func string(_ i: Int) throws -> String { try cells[i].decode(String.self) }
    func optionalString(_ i: Int) throws -> String? { try cells[i].decode(String?.self) }
    func double(_ i: Int) throws -> Double { try cells[i].decode(Double.self) }
    func optionalDouble(_ i: Int) throws -> Double? { try cells[i].decode(Double?.self) }
    func bool(_ i: Int) throws -> Bool { try cells[i].decode(Bool.self) }
    func optionalBool(_ i: Int) throws -> Bool? { try cells[i].decode(Bool?.self) }
    func data(_ i: Int) throws -> Data { try cells[i].decode(Data.self) }
}

/// One checked-out connection, used synchronously from the calling thread: every query is
/// sent on the connection's event loop and waited for (the store protocol is synchronous and
/// is called from Dispatch threads, never from an event loop).
struct PostgresSession {
    let connection: PostgresConnection
    let logger: Logger

    /// Runs one statement with parameters and returns all its rows.
    @discardableResult
    func query(_ sql: String, _ arguments: [any PostgresArgument] = []) throws -> [PostgresResultRow] {
        try run(sql, arguments).rows.map(PostgresResultRow.init)
    }

    /// Runs one statement and returns how many rows it changed (INSERT, UPDATE, DELETE).
    @discardableResult
    func execute(_ sql: String, _ arguments: [any PostgresArgument] = []) throws -> Int {
        try run(sql, arguments).metadata.rows ?? 0
    }

    /// The first row, or `nil`.
    func one(_ sql: String, _ arguments: [any PostgresArgument] = []) throws -> PostgresResultRow? {
        try query(sql, arguments).first
    }

    /// Runs several statements without parameters (migrations), one by one: a statement
    /// ends with `;` at the end of a line (a `;` inside a line, as in a function body, does not).
    func script(_ sql: String) throws {
        for statement in sql.components(separatedBy: ";\n") {
            let trimmed = statement.trimmingCharacters(in: .whitespacesAndNewlines)
            guard !trimmed.isEmpty else { continue }
            try execute(trimmed.hasSuffix(";") ? String(trimmed.dropLast()) : trimmed)
        }
    }

    private func run(_ sql: String, _ arguments: [any PostgresArgument]) throws -> PostgresQueryResult {
        var bindings = PostgresBindings(capacity: arguments.count)
        for a in arguments { try a.bind(into: &bindings) }
        do {
            return try connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger).wait()
        } catch {
            throw PostgresStore.describe(error, sql: sql)
        }
    }

    /// Runs `body` in a transaction (committed when it returns, rolled back when it throws).
    /// A deadlock or serialization failure, which PostgreSQL resolves by aborting one of the
    /// transactions, is retried a few times: `body` must only touch the database.
    func transaction<T>(isolation: String = "READ COMMITTED", _ body: () throws -> T) throws -> T {
        var attempt = 0
        while true {
            attempt += 1
            try execute("BEGIN ISOLATION LEVEL \(isolation)")
            do {
                let value = try body()
                try execute("COMMIT")
                return value
            } catch {
                _ = try? execute("ROLLBACK")
                if attempt < 5, let e = error as? PostgresStoreError, e.isRetryable {
                    usleep(useconds_t(1000 * attempt * Int.random(in: 1...5)))
                    continue
                }
                throw error
            }
        }
    }
}

/// An error from PostgreSQL, with its SQLSTATE and the statement that raised it.
struct PostgresStoreError: Error, CustomStringConvertible, Sendable {
    var sqlState: String?
    var message: String
    var description: String { message }

    /// Deadlock detected, serialization failure: the transaction may simply be run again.
    var isRetryable: Bool { sqlState == "40P01" || sqlState == "40001" }
    var isUniqueViolation: Bool { sqlState == "23505" }
}
