import GRDB
import GRDBSQLite

/// A prepared SQLite statement used directly through the C API, for the hot paths of bulk
/// ingest where GRDB's conveniences cost more than the row (see `docs/architecture.md`).
final class RawStatement {
    let handle: OpaquePointer
    let connection: OpaquePointer
    /// The GRDB statement that owns `handle` when it came from the connection's statement
    /// cache (kept alive here; GRDB finalizes it), or `nil` when this object owns it.
    private let cached: Statement?

    init(_ connection: OpaquePointer, _ sql: String) throws {
        var stmt: OpaquePointer?
        let rc = sqlite3_prepare_v3(connection, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else {
            throw StoreError("SQLite could not prepare a statement: \(String(cString: sqlite3_errmsg(connection)))")
        }
        handle = stmt
        self.connection = connection
        cached = nil
    }

    /// The statement `sql` from `db`'s statement cache: prepared once per connection, so a
    /// path that runs for a single record (a reviewer's answer) does not compile its SQL each time.
    init(cachedIn db: Database, _ sql: String) throws {
        guard let connection = db.sqliteConnection else { throw StoreError("the database connection is closed") }
        let statement = try db.cachedStatement(sql: sql)
        sqlite3_reset(statement.sqliteStatement)
        handle = statement.sqliteStatement
        self.connection = connection
        cached = statement
    }

    deinit { if cached == nil { sqlite3_finalize(handle) } }

    static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    @inline(__always) func bind(_ i: Int32, _ v: Int64) { sqlite3_bind_int64(handle, i, v) }
    @inline(__always) func bind(_ i: Int32, _ v: Double) { sqlite3_bind_double(handle, i, v) }
    @inline(__always) func bind(_ i: Int32, _ v: String) {
        var s = v
        s.withUTF8 { buf in
            _ = sqlite3_bind_text(handle, i, UnsafeRawPointer(buf.baseAddress!).assumingMemoryBound(to: CChar.self), Int32(buf.count), Self.transient)
        }
    }
    @inline(__always) func bindNull(_ i: Int32) { sqlite3_bind_null(handle, i) }

    /// Binds text that SQLite must not copy: `bytes` must stay valid until the next reset.
    @inline(__always) func bindStatic(_ i: Int32, _ bytes: UnsafeRawBufferPointer) {
        sqlite3_bind_text(handle, i, bytes.baseAddress?.assumingMemoryBound(to: CChar.self), Int32(bytes.count), nil)
    }
    func bind(_ i: Int32, _ v: String?) { if let v { bind(i, v) } else { bindNull(i) } }
    func bind(_ i: Int32, _ v: Int64?) { if let v { bind(i, v) } else { bindNull(i) } }
    func bind(_ i: Int32, _ v: Double?) { if let v { bind(i, v) } else { bindNull(i) } }

    /// Steps once; true when a row is available.
    @discardableResult func step() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_ROW { return true }
        if rc == SQLITE_DONE { return false }
        throw StoreError("SQLite failed: \(String(cString: sqlite3_errmsg(connection)))")
    }

    /// Resets for the next row; callers bind every parameter again, so bindings are not cleared.
    /// Steps a write once; false (and the statement's changes undone by SQLite) when it broke
    /// a constraint, so the caller can fall back to row-by-row handling.
    func stepUnlessConstraint() throws -> Bool {
        let rc = sqlite3_step(handle)
        if rc == SQLITE_DONE || rc == SQLITE_ROW { return true }
        if rc & 0xFF == SQLITE_CONSTRAINT { sqlite3_reset(handle); return false }
        throw StoreError("SQLite failed: \(String(cString: sqlite3_errmsg(connection)))")
    }

    func reset() {
        sqlite3_reset(handle)
    }

    func int64(_ col: Int32) -> Int64 { sqlite3_column_int64(handle, col) }
    func double(_ col: Int32) -> Double { sqlite3_column_double(handle, col) }
    /// The column as text ("" when NULL).
    func string(_ col: Int32) -> String {
        guard let text = sqlite3_column_text(handle, col) else { return "" }
        return String(cString: text)
    }
    func isNull(_ col: Int32) -> Bool { sqlite3_column_type(handle, col) == SQLITE_NULL }
    func text(_ col: Int32) -> String? {
        guard let p = sqlite3_column_text(handle, col) else { return nil }
        return String(cString: p)
    }

    var changes: Int32 { sqlite3_changes(connection) }
    /// The rowid of the connection's latest successful insert.
    var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(connection) }
}
