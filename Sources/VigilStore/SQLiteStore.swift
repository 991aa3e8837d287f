import Foundation
import GRDB
import VigilCore

/// The default store: one SQLite file through GRDB, in WAL mode with a busy timeout, so
/// `vigil tick` from cron, `vigil evaluate` and a reviewer can use it at the same time.
///
/// ```swift
/// let store = try SQLiteStore(path: ".vigil/vigil.db")
/// ```
public final class SQLiteStore: SQLStore {
    let queue: DatabaseQueue
    public let driver: any SQLDriver
    /// The file's path.
    public let path: String

    /// Opens (creating if needed) the database at `path` and brings its schema up to date.
    public init(path: String, busyTimeout: TimeInterval = 10) throws {
        self.path = path
        let dir = (path as NSString).deletingLastPathComponent
        if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
        try Self.createFileIfMissing(path)
        var config = Configuration()
        config.journalMode = .wal
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = false  // checked by ingest itself; SQLite's checks cost a lookup per row
        config.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        do {
            queue = try DatabaseQueue(path: path, configuration: config)
            driver = GRDBDriver(queue: queue)
            try Self.migrator.migrate(queue)
        } catch let error as DatabaseError {
            throw StoreError("cannot open the store at \(path): \(error.message ?? "\(error)"). Check the path and permissions, or run `vigil init`.")
        }
    }
}

extension Database {
    /// This transaction as the shared rules' ``SQLConnection`` (for the SQLite-only paths).
    var sql: GRDBConnection { GRDBConnection(db: self) }
}
