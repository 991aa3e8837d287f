import Foundation
import GRDBSQLite

extension SQLiteStore {
    /// The page size of new store files (bytes). SQLite fixes it when the file is created (a
    /// WAL file can only change it by a full VACUUM), so it is set before anything else.
    static var newFilePageSize: Int {
        if let text = ProcessInfo.processInfo.environment["VIGIL_SQLITE_PAGE_SIZE"], let n = Int(text),
           n >= 512, n <= 65_536, n & (n - 1) == 0 { return n }
        return 4096
    }

    /// Creates an empty database file at `path` with ``newFilePageSize`` pages in WAL mode,
    /// unless a file is there already.
    static func createFileIfMissing(_ path: String) throws {
        guard !FileManager.default.fileExists(atPath: path) else { return }
        var db: OpaquePointer?
        defer { sqlite3_close(db) }
        guard sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE, nil) == SQLITE_OK else {
            throw StoreError("cannot create the store at \(path): \(db.map { String(cString: sqlite3_errmsg($0)) } ?? "out of memory"). Check the folder's permissions.")
        }
        // page_size applies to an empty file only, and must come before the switch to WAL.
        guard sqlite3_exec(db, "PRAGMA page_size = \(newFilePageSize); PRAGMA journal_mode = WAL", nil, nil, nil) == SQLITE_OK else {
            throw StoreError("cannot create the store at \(path): \(String(cString: sqlite3_errmsg(db)))")
        }
    }
}
