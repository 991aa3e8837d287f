import Foundation
import GRDB

/// ``SQLDriver`` on one SQLite file through GRDB: reads see one snapshot, writes take the
/// write lock at once (`BEGIN IMMEDIATE`), so a transaction never fails half-way for a lock.
public struct GRDBDriver: SQLDriver {
    let queue: DatabaseQueue

    public init(queue: DatabaseQueue) { self.queue = queue }

    public func read<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try queue.read { db in try body(GRDBConnection(db: db)) }
    }

    public func write<T>(_ body: (any SQLConnection) throws -> T) throws -> T {
        try immediate { db in try body(GRDBConnection(db: db)) }
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction on the GRDB connection itself (for the
    /// SQLite-only paths) and returns its value.
    func immediate<T>(_ body: (Database) throws -> T) throws -> T {
        var result: T?
        try queue.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
        }
        return result!
    }
}

/// A GRDB `Database` seen as a ``SQLConnection``; statements are prepared once and cached.
struct GRDBConnection: SQLConnection {
    let db: Database

    var dialect: SQLDialect { .sqlite }

    func execute(_ sql: String, _ arguments: [any SQLValueConvertible]) throws -> Int {
        try statement(sql).execute(arguments: try Self.arguments(arguments))
        return db.changesCount
    }

    func query(_ sql: String, _ arguments: [any SQLValueConvertible]) throws -> [any SQLRow] {
        try Row.fetchAll(statement(sql), arguments: try Self.arguments(arguments)).map(GRDBRow.init)
    }

    func forEachRow(_ sql: String, _ arguments: [any SQLValueConvertible], _ body: (any SQLRow) throws -> Void) throws {
        let rows = try Row.fetchCursor(statement(sql), arguments: try Self.arguments(arguments))
        while let row = try rows.next() { try body(GRDBRow(row: row)) }
    }

    func lock(_ key: String) throws {}

    private func statement(_ sql: String) throws -> Statement {
        try db.cachedStatement(sql: SQLiteParameters.numbered(sql))
    }

    static func arguments(_ values: [any SQLValueConvertible]) throws -> StatementArguments {
        StatementArguments(try values.map { value -> DatabaseValue in
            switch value.sqlValue {
            case .null: return .null
            case .integer(let i): return i.databaseValue
            case .real(let d): return d.databaseValue
            case .text(let s): return s.databaseValue
            case .blob(let b): return b.databaseValue
            case .boolean(let b): return b.databaseValue
            case .integers(let a):  // a JSON array, read back with json_each (SQLDialect.integerList)
                return ("[" + a.map(String.init).joined(separator: ",") + "]").databaseValue
            }
        })
    }
}

/// A GRDB row read by column name; a missing column is an error, not a NULL.
struct GRDBRow: SQLRow {
    let row: Row

    func optionalInt(_ column: String) throws -> Int64? { try value(column) }
    func optionalDouble(_ column: String) throws -> Double? { try value(column) }
    func optionalString(_ column: String) throws -> String? { try value(column) }
    func optionalBool(_ column: String) throws -> Bool? { try value(column) }
    func optionalData(_ column: String) throws -> Data? { try value(column) }

    private func value<T: DatabaseValueConvertible>(_ column: String) throws -> T? {
        guard row.hasColumn(column) else { throw StoreError("no column '\(column)' in the row (columns: \(row.columnNames.joined(separator: ", ")))") }
        return try row.decode(T?.self, forColumn: column)
    }
}

/// PostgreSQL's `$n` parameters as SQLite's `?n` (outside quoted text).
enum SQLiteParameters {
    private static let lock = NSLock()
    nonisolated(unsafe) private static var cache: [String: String] = [:]

    static func numbered(_ sql: String) -> String {
        if let hit = lock.withLock({ cache[sql] }) { return hit }
        var out = ""
        out.reserveCapacity(sql.utf8.count)
        var quoted = false
        var previous: Character = " "
        for ch in sql {
            if ch == "'" { quoted.toggle() }
            if !quoted, previous == "$", ch.isNumber { out.removeLast(); out.append("?") }
            out.append(ch)
            previous = ch
        }
        lock.withLock { cache[sql] = out }
        return out
    }
}
