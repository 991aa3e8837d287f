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
    /// Set when a read-only open found a store a newer Vigil migrated: the line to print on stderr.
    public let newerSchemaWarning: String?

    /// Opens the database at `path`. For ``StoreAccess/readWrite`` (the default) the file is
    /// created if needed and its schema brought up to date, and a store a newer Vigil migrated is
    /// refused. For ``StoreAccess/readOnly`` the file must exist, the connection is read-only
    /// (SQLite refuses any write), no migration runs, and a newer store is read; its warning is in
    /// ``newerSchemaWarning``.
    public init(path: String, busyTimeout: TimeInterval = 10, access: StoreAccess = .readWrite) throws {
        self.path = path
        var config = Configuration()
        config.busyMode = .timeout(busyTimeout)
        config.foreignKeysEnabled = false  // checked by ingest itself; SQLite's checks cost a lookup per row
        switch access {
        case .readWrite:
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            try Self.createFileIfMissing(path)
            config.journalMode = .wal
            config.prepareDatabase { db in
                try db.execute(sql: "PRAGMA synchronous = NORMAL")
            }
        case .readOnly:
            guard FileManager.default.fileExists(atPath: path) else {
                throw StoreError("no store at \(path): run `vigil init` to create one")
            }
            config.readonly = true
        }
        do {
            let opened = try DatabaseQueue(path: path, configuration: config)
            let version = try opened.read { db in try Self.readSchemaRecord(db) }
            newerSchemaWarning = try version.admit(access)
            if access == .readWrite { try Self.migrator.migrate(opened) }
            queue = opened
            driver = GRDBDriver(queue: opened)
        } catch let error as DatabaseError {
            throw StoreError("cannot open the store at \(path): \(error.message ?? "\(error)"). Check the path and permissions, or run `vigil init`.")
        }
    }
}

extension Database {
    /// This transaction as the shared rules' ``SQLConnection`` (for the SQLite-only paths).
    var sql: GRDBConnection { GRDBConnection(db: self) }
}
