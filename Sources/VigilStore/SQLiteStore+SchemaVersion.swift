import Foundation
import GRDB

extension SQLiteStore {
    /// The schema version in `PRAGMA user_version` and `grdb_migrations`, compared with ``schemaVersion``.
    public func storedSchema() throws -> StoreSchemaVersion {
        try queue.read { db in try Self.readSchemaRecord(db) }
    }

    /// Reads the store's record: `user_version`, and the applied migrations this build does not register.
    static func readSchemaRecord(_ db: Database) throws -> StoreSchemaVersion {
        let stored = try Int.fetchOne(db, sql: "PRAGMA user_version") ?? 0
        var unknown: [String] = []
        if try db.tableExists("grdb_migrations") {
            let known = Set(migrator.migrations)
            unknown = try String.fetchAll(db, sql: "SELECT identifier FROM grdb_migrations ORDER BY identifier").filter { !known.contains($0) }
        }
        return StoreSchemaVersion(stored: stored, known: Self.schemaVersion, unknownMigrations: unknown)
    }

    /// Before migrations change an existing store, copies it as it stands with `VACUUM INTO`
    /// (a consistent, compacted copy) to ``StoreSchemaVersion/backupPath(store:migratingTo:)``.
    /// A copy already there (an earlier, interrupted upgrade) is the older state and is kept.
    /// Returns the copy's path when one was taken or found, nil when nothing migrates.
    static func backUpBeforeMigrating(_ queue: DatabaseQueue, path: String, version: StoreSchemaVersion) throws -> String? {
        guard version.needsMigration else { return nil }
        let target = StoreSchemaVersion.backupPath(store: path, migratingTo: version.known)
        if FileManager.default.fileExists(atPath: target) { return target }
        do {
            try queue.writeWithoutTransaction { db in try db.execute(sql: "VACUUM INTO ?", arguments: [target]) }
        } catch let error as DatabaseError {
            try? FileManager.default.removeItem(atPath: target)
            throw StoreError("cannot back up the store to \(target) before migrating it from schema version \(version.stored) to \(version.known): \(error.message ?? "\(error)"). Free space next to the store (the copy is about its size), or take a backup yourself (docs/operations.md, \"Backup\"), remove nothing, and run the command again.")
        }
        return target
    }
}
