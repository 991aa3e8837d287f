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
}
