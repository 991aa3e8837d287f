import Foundation
import GRDBSQLite

extension SQLiteStore {
    /// The page size of new store files (bytes): 32 KiB, not SQLite's 4 KiB, because ingest is
    /// bound by writing pages twice (to the WAL, then the checkpoint) and a quarter as many
    /// larger pages cost less: 1M predictions took 4.83/4.71/4.99 s with 4 KiB pages and
    /// 4.23/4.07/4.62 s with 32 KiB (kernel time 1.6 → 1.0 s), alternated on this 2-core machine.
    /// `VIGIL_SQLITE_PAGE_SIZE` (a power of two, 512…65536) overrides it. SQLite fixes the page
    /// size when the file is created (a WAL file changes it only by a full VACUUM).
    static var newFilePageSize: Int {
        if let text = ProcessInfo.processInfo.environment["VIGIL_SQLITE_PAGE_SIZE"], let n = Int(text),
           n >= 512, n <= 65_536, n & (n - 1) == 0 { return n }
        return 32_768
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
