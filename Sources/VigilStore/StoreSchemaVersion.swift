import Foundation
import VigilCore

/// How a command means to use the store: commands that only read open it read-only, run no
/// migrations and may read a store that a newer Vigil migrated.
public enum StoreAccess: Sendable {
    /// Brings the schema up to date and refuses a store newer than this build.
    case readWrite
    /// Reads only: no migration runs, nothing is written; a newer store is read with a warning.
    case readOnly
}

/// The rule both backends apply when they open a store: compare the schema version the store
/// records with the one this build knows. Written once here; SQLite and PostgreSQL only read
/// their own records (`PRAGMA user_version` and `grdb_migrations`, or `vigil_migrations`).
public struct StoreSchemaVersion: Sendable, Equatable {
    /// The version the store records (the highest, counting migrations this build does not know).
    public var stored: Int
    /// The version this build writes.
    public var known: Int
    /// Migration names in the store that this build does not know (left by a newer Vigil).
    public var unknownMigrations: [String]

    /// The store's record as read by a backend.
    public init(stored: Int, known: Int, unknownMigrations: [String] = []) {
        self.stored = stored
        self.known = known
        self.unknownMigrations = unknownMigrations
    }

    /// True when a newer Vigil wrote this store: a higher version or a migration this build does not know.
    public var isNewer: Bool { stored > known || !unknownMigrations.isEmpty }

    /// The version to name: an unknown migration counts as at least one past what this build knows.
    public var reportedVersion: Int { unknownMigrations.isEmpty ? stored : max(stored, known + 1) }

    /// "this store has schema version 99; this vigil (0.1.0) knows up to 13"
    public var comparison: String {
        var text = "this store has schema version \(reportedVersion)"
        if !unknownMigrations.isEmpty { text += " (migrations this vigil does not know: \(unknownMigrations.joined(separator: ", ")))" }
        return text + "; this vigil (\(VigilVersion.current)) knows up to \(known)"
    }

    /// The refusal for a command that writes, with the way out: `backup` is the copy an upgrade
    /// took of this store (SQLite), when it is there.
    public func refusal(backup: String?) -> StoreError {
        let restore = backup.map { "restore the backup taken before that upgrade (\($0))" } ?? "restore the backup taken before the upgrade"
        return StoreError(comparison + ": upgrade vigil, or " + restore
            + " (docs/operations.md, \"Upgrades and migrations\"); commands that only read, such as `vigil check`, still work")
    }

    /// The stderr line a read-only command prints before reading a newer store.
    public var readWarning: String {
        "warning: " + comparison + "; reading only (commands that write refuse this store until vigil is upgraded)"
    }

    /// Throws ``refusal(backup:)`` when `access` writes and the store is newer, or when `access`
    /// only reads and the store is older (it needs `vigil migrate`); returns the
    /// warning to print when a read-only command reads a newer store, nil otherwise. `storePath`
    /// (SQLite) lets the refusal name the backup the newer Vigil took, when it exists.
    public func admit(_ access: StoreAccess, storePath: String? = nil) throws -> String? {
        try admitOlder(access)
        guard isNewer else { return nil }
        switch access {
        case .readWrite:
            let backup = storePath.map { Self.backupPath(store: $0, migratingTo: reportedVersion) }
            throw refusal(backup: backup.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil })
        case .readOnly: return readWarning
        }
    }

    /// Throws for a read-only command on a store an older Vigil left: the commands that only
    /// read do not migrate, and the tables they read may not be there yet.
    func admitOlder(_ access: StoreAccess) throws {
        guard access == .readOnly, stored < known, unknownMigrations.isEmpty else { return }
        throw StoreError("this store has schema version \(stored); this vigil (\(VigilVersion.current)) knows up to \(known) and reads only stores at that version: run `vigil migrate` (it keeps a copy of a SQLite store first), then this command again")
    }

    /// True when the store holds an earlier schema that migrations will change (not a new, empty store).
    public var needsMigration: Bool { stored > 0 && stored < known && unknownMigrations.isEmpty }

    /// Where an upgrade to `version` keeps the copy of a SQLite store it took before migrating:
    /// next to the store, named for the version it migrated to, so an older binary can name it.
    public static func backupPath(store: String, migratingTo version: Int) -> String {
        "\(store).before-v\(version).backup"
    }

    /// `vigil check`'s line: "schema: version 13 (this vigil knows up to 13)".
    public var checkLine: String { "schema: version \(reportedVersion) (this vigil knows up to \(known))" }
}
