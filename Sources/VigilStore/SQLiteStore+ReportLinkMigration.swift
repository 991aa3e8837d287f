import GRDB

extension SQLiteStore {
    /// `v13-report-link-secret`: secrets the store keeps for itself, by name; the row
    /// `report-links` signs the report links of alerts (`TokenStore.reportLinkSecret`).
    static func migrateReportLinkSecret(_ db: Database) throws {
        try db.execute(sql: """
            CREATE TABLE store_secrets(
              name TEXT PRIMARY KEY,
              secret BLOB NOT NULL);
            PRAGMA user_version = 13;
            """)
    }
}
