import Foundation
import GRDB
import Testing
import VigilStore

/// The real `vigil` binary on a store a newer Vigil migrated, and on a store it must not write:
/// commands that write refuse a newer schema and leave the file as it was; commands that only
/// read open the store read-only and still work.
@Suite struct StoreSchemaVersionCommandTests {
    /// The commands that only read, with the arguments they need.
    static let readOnlyCommands: [[String]] = [
        ["check"], ["log"], ["queue", "status"], ["jobs"], ["alerts", "outbox"], ["alerts", "list"],
    ]

    /// A workspace made by `vigil init` holding three predictions; returns its folder and database path.
    func workspaceWithPredictions() throws -> (dir: String, db: String) {
        let dir = NSTemporaryDirectory() + "vigil-schema-\(UUID().uuidString)"
        #expect(try VigilProcess.run(["init", "--dir", dir]).status == 0)
        let input = dir + "/first.ndjson"
        try ["a", "b", "c"].map { predictionLine($0) }.joined(separator: "\n").appending("\n").write(toFile: input, atomically: true, encoding: .utf8)
        let ingest = try VigilProcess.run(["ingest", "predictions", input, "--workspace", dir])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        return (dir, dir + "/.vigil/vigil.db")
    }

    func predictionCount(_ db: String) throws -> Int {
        try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM predictions") ?? -1 }
    }

    @Test func aNewerSchemaIsRefusedForWritingAndReadWithAWarning() throws {
        let (dir, db) = try workspaceWithPredictions()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try DatabaseQueue(path: db).write { db in
            try db.execute(sql: "PRAGMA user_version = 99")
            try db.execute(sql: "INSERT INTO grdb_migrations(identifier) VALUES ('v99-from-a-newer-vigil')")
        }
        #expect(try predictionCount(db) == 3)
        FileManager.default.createFile(atPath: db + ".before-v99.backup", contents: Data())
        let more = dir + "/more.ndjson"
        try (predictionLine("d") + "\n").write(toFile: more, atomically: true, encoding: .utf8)
        let env = ["VIGIL_NOW": "2026-10-31T00:00:00Z"]
        for args in [["ingest", "predictions", more], ["evaluate", "--model", "shelf-classifier", "--window", "7d"]] {
            let out = try VigilProcess.run(args + ["--workspace", dir], environment: env)
            #expect(out.status != 0, "vigil \(args.joined(separator: " ")) wrote into a newer store: \(out.stdout)")
            #expect(out.stderr.contains("this store has schema version 99"), "\(out.stderr)")
            #expect(out.stderr.contains("knows up to \(SQLiteStore.schemaVersion)"), "\(out.stderr)")
            #expect(out.stderr.contains("upgrade vigil, or restore the backup"), "\(out.stderr)")
            #expect(out.stderr.contains("\(db).before-v99.backup"), "the backup the newer vigil took is named: \(out.stderr)")
        }
        #expect(try predictionCount(db) == 3)
        #expect(try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == 99)
        for args in Self.readOnlyCommands {
            let out = try VigilProcess.run(args + ["--workspace", dir], environment: env)
            #expect(out.status == 0, "vigil \(args.joined(separator: " ")): \(out.stderr)")
            #expect(out.stderr.contains("warning: this store has schema version 99"), "vigil \(args.joined(separator: " ")): \(out.stderr)")
        }
        let check = try VigilProcess.run(["check", "--workspace", dir])
        #expect(check.stdout.contains("schema: version 99 (this vigil knows up to \(SQLiteStore.schemaVersion))"), "\(check.stdout)")
    }

    @Test func checkPrintsTheSchemaVersionOfACurrentStore() throws {
        let (dir, _) = try workspaceWithPredictions()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let check = try VigilProcess.run(["check", "--workspace", dir])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("schema: version \(SQLiteStore.schemaVersion) (this vigil knows up to \(SQLiteStore.schemaVersion))"))
        #expect(!check.stderr.contains("warning"))
    }

    /// Root ignores file permissions, so the test makes every write fail another way: it holds
    /// SQLite's exclusive lock for the whole run. Readers still read (WAL); any write would wait
    /// out the busy timeout and fail with "database is locked", as the control `vigil ingest` shows.
    @Test func readOnlyCommandsWriteNothing() throws {
        let (dir, db) = try workspaceWithPredictions()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        var config = Configuration()
        config.journalMode = .wal
        let holder = try DatabaseQueue(path: db, configuration: config)
        let more = dir + "/more.ndjson"
        try (predictionLine("d") + "\n").write(toFile: more, atomically: true, encoding: .utf8)
        try holder.inTransaction(.exclusive) { _ in
            for args in Self.readOnlyCommands + [["report", "--html", dir + "/report.html"]] {
                let out = try VigilProcess.run(args + ["--workspace", dir])
                #expect(out.status == 0, "vigil \(args.joined(separator: " ")): \(out.stderr)")
            }
            let write = try VigilProcess.run(["ingest", "predictions", more, "--workspace", dir])
            #expect(write.status != 0)
            #expect(write.stderr.contains("locked"), "\(write.stderr)")
            return .rollback
        }
        #expect(try predictionCount(db) == 3)
    }

    /// Makes the store look as version 12 left it: `v13-report-link-secret` (one new, empty
    /// table) not applied yet.
    func rewindToVersion12(_ db: String) throws {
        try DatabaseQueue(path: db).write { db in
            try db.execute(sql: "DROP TABLE store_secrets")
            try db.execute(sql: "DELETE FROM grdb_migrations WHERE identifier = 'v13-report-link-secret'")
            try db.execute(sql: "PRAGMA user_version = 12")
        }
    }

    @Test func migrateKeepsACopyOfAnOlderStoreAndReadOnlyCommandsAskForIt() throws {
        let (dir, db) = try workspaceWithPredictions()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try rewindToVersion12(db)
        let check = try VigilProcess.run(["check", "--workspace", dir])
        #expect(check.status == 1)
        #expect(check.stderr.contains("this store has schema version 12") && check.stderr.contains("run `vigil migrate`"), "\(check.stderr)")
        let migrate = try VigilProcess.run(["migrate", "--workspace", dir])
        #expect(migrate.status == 0, "\(migrate.stderr)")
        #expect(migrate.stdout.contains("schema: version \(SQLiteStore.schemaVersion)"), "\(migrate.stdout)")
        let backup = db + ".before-v\(SQLiteStore.schemaVersion).backup"
        #expect(migrate.stderr.contains(backup), "\(migrate.stderr)")
        #expect(try DatabaseQueue(path: backup).read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == 12)
        #expect(try predictionCount(backup) == 3)
        #expect(try DatabaseQueue(path: db).read { try Int.fetchOne($0, sql: "PRAGMA user_version") } == SQLiteStore.schemaVersion)
        let again = try VigilProcess.run(["migrate", "--workspace", dir])
        #expect(again.status == 0 && !again.stderr.contains("backup"), "nothing to migrate, no copy: \(again.stderr)")
        #expect(try VigilProcess.run(["check", "--workspace", dir]).status == 0)
    }

    /// A store in a folder the user may not write (another user's store, a read-only mount):
    /// SQLite cannot create the WAL's `-shm` file there. Run as `nobody`, since root may write anywhere.
    @Test func readOnlyCommandsReadAFolderTheUserMayNotWrite() throws {
        let runuser = "/usr/sbin/runuser"
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: runuser) else { return }
        let asNobody = [runuser, "-u", "nobody", "--"]
        let (dir, db) = try workspaceWithPredictions()
        defer { try? FileManager.default.removeItem(atPath: dir) }
        #expect(!FileManager.default.fileExists(atPath: db + "-shm"), "the last writer removed the WAL files")
        for args in Self.readOnlyCommands + [["report", "--html", NSTemporaryDirectory() + "vigil-report-\(UUID().uuidString).html"]] {
            let out = try VigilProcess.run(args + ["--workspace", dir], launcher: asNobody)
            #expect(out.status == 0, "nobody: vigil \(args.joined(separator: " ")): \(out.stderr)")
        }
        let more = dir + "/more.ndjson"
        try (predictionLine("d") + "\n").write(toFile: more, atomically: true, encoding: .utf8)
        let write = try VigilProcess.run(["ingest", "predictions", more, "--workspace", dir], launcher: asNobody)
        #expect(write.status != 0, "nobody may not write this store")
        #expect(try predictionCount(db) == 3)
    }
}
