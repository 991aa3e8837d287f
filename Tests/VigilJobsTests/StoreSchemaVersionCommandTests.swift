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
        let more = dir + "/more.ndjson"
        try (predictionLine("d") + "\n").write(toFile: more, atomically: true, encoding: .utf8)
        let env = ["VIGIL_NOW": "2026-10-31T00:00:00Z"]
        for args in [["ingest", "predictions", more], ["evaluate", "--model", "shelf-classifier", "--window", "7d"]] {
            let out = try VigilProcess.run(args + ["--workspace", dir], environment: env)
            #expect(out.status != 0, "vigil \(args.joined(separator: " ")) wrote into a newer store: \(out.stdout)")
            #expect(out.stderr.contains("this store has schema version 99"), "\(out.stderr)")
            #expect(out.stderr.contains("knows up to \(SQLiteStore.schemaVersion)"), "\(out.stderr)")
            #expect(out.stderr.contains("upgrade vigil, or restore the backup"), "\(out.stderr)")
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
                let started = Date()
                let out = try VigilProcess.run(args + ["--workspace", dir])
                #expect(out.status == 0, "vigil \(args.joined(separator: " ")): \(out.stderr)")
                #expect(Date().timeIntervalSince(started) < 8, "vigil \(args.joined(separator: " ")) waited for the write lock")
            }
            let write = try VigilProcess.run(["ingest", "predictions", more, "--workspace", dir])
            #expect(write.status != 0)
            #expect(write.stderr.contains("locked"), "\(write.stderr)")
            return .rollback
        }
        #expect(try predictionCount(db) == 3)
    }
}
