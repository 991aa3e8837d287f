import Foundation
import GRDBSQLite

/// Copies committed WAL pages into the database file from a second connection while a bulk
/// ingest keeps writing, so the copy (mostly I/O) overlaps the parsing and writing instead of
/// all happening after them, and the WAL stays small.
///
/// A passive checkpoint never blocks the writer; it copies what is committed and returns.
final class BackgroundCheckpointer: @unchecked Sendable {
    private let path: String
    private let interval: TimeInterval
    private let condition = NSCondition()
    private var stopping = false
    private var finished = false

    init(path: String, interval: TimeInterval = 0.1) {
        self.path = path
        self.interval = interval
    }

    /// Starts checkpointing until ``stop()``.
    func start() {
        let thread = Thread { [self] in
            var db: OpaquePointer?
            if sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_NOMUTEX, nil) == SQLITE_OK, let db {
                sqlite3_busy_timeout(db, 100)
                // A connection opens the WAL on its first read; until then a checkpoint does nothing.
                sqlite3_exec(db, "PRAGMA schema_version", nil, nil, nil)
                while waitForTick() {
                    sqlite3_wal_checkpoint_v2(db, nil, SQLITE_CHECKPOINT_PASSIVE, nil, nil)
                }
            }
            sqlite3_close(db)
            condition.withLock {
                finished = true
                condition.broadcast()
            }
        }
        thread.start()
    }

    /// Waits `interval` or until stopped; false when stopped.
    private func waitForTick() -> Bool {
        condition.lock(); defer { condition.unlock() }
        if !stopping { _ = condition.wait(until: Date().addingTimeInterval(interval)) }
        return !stopping
    }

    /// Stops and waits for the last checkpoint to end (the connection is closed after it).
    func stop() {
        condition.lock(); defer { condition.unlock() }
        stopping = true
        condition.broadcast()
        while !finished { condition.wait() }
    }
}
