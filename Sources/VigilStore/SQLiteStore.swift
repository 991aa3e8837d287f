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
    /// The copy of the store taken before this open migrated it (nil when nothing migrated).
    public let migrationBackup: String?

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
            let (opened, version) = try Self.open(path: path, configuration: config, access: access)
            newerSchemaWarning = try version.admit(access, storePath: path)
            migrationBackup = access == .readWrite ? try Self.backUpBeforeMigrating(opened, path: path, version: version) : nil
            if access == .readWrite { try Self.migrator.migrate(opened) }
            queue = opened
            driver = GRDBDriver(queue: opened)
        } catch let error as DatabaseError {
            throw StoreError("cannot open the store at \(path): \(error.message ?? "\(error)"). Check the path and permissions, or run `vigil init`.")
        }
    }

    /// Opens the file and reads its schema record. A read-only open of a WAL store needs its
    /// `-shm` file; where the folder may not be written (a read-only mount, another user's
    /// store) SQLite cannot create it, and the store is opened `immutable` instead: read as the
    /// file stands, which is what a command that only reads a file nobody may write needs.
    private static func open(path: String, configuration: Configuration, access: StoreAccess) throws -> (DatabaseQueue, StoreSchemaVersion) {
        do {
            let queue = try DatabaseQueue(path: path, configuration: configuration)
            return (queue, try queue.read { db in try readSchemaRecord(db) })
        } catch let error as DatabaseError where access == .readOnly && [ResultCode.SQLITE_READONLY, .SQLITE_CANTOPEN].contains(error.resultCode.primaryResultCode) {
            let uri = "file:" + (path.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? path) + "?immutable=1"
            let queue = try DatabaseQueue(path: uri, configuration: configuration)
            return (queue, try queue.read { db in try readSchemaRecord(db) })
        }
    }
}

extension Database {
    /// This transaction as the shared rules' ``SQLConnection`` (for the SQLite-only paths).
    var sql: GRDBConnection { GRDBConnection(db: self) }
}
