import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilPostgres
import VigilStore
import VigilWorkspace

/// The real `vigil` binary on a PostgreSQL store a newer Vigil migrated (a `vigil_migrations`
/// row this build does not know): commands that write refuse it, commands that read still work.
/// Runs when `VIGIL_TEST_POSTGRES_URL` names a server.
@Suite struct PostgresSchemaVersionTests {
    static var adminURL: String? {
        let url = ProcessInfo.processInfo.environment["VIGIL_TEST_POSTGRES_URL"] ?? ""
        return url.isEmpty ? nil : url
    }

    func vigil(_ args: [String], _ dir: String) throws -> (status: Int32, stdout: String, stderr: String) {
        try VigilCLI.run(args, workspace: dir, environment: ["VIGIL_NOW": "2026-10-31T00:00:00Z"])
    }

    @Test(.enabled(if: adminURL != nil)) func anUnknownMigrationIsRefusedForWriting() throws {
        let url = try PostgresStore.createScratchDatabase(adminURL: Self.adminURL!, prefix: "vigil_schema")
        let dir = NSTemporaryDirectory() + "vigil-pg-schema-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try WorkspaceConfig.template.replacingOccurrences(of: "store: sqlite:.vigil/vigil.db", with: "store: \(url)")
            .write(toFile: dir + "/vigil.yaml", atomically: true, encoding: .utf8)
        try Workspace.initialize(at: dir, examplePolicy: ExamplePolicies.absoluteClassifier)
        let store = try PostgresStore(url: url)
        let before = try store.verify().predictions
        let newer = PostgresStore.schemaVersion + 1
        try store.execute("INSERT INTO vigil_migrations(name, version) VALUES ('pg-v\(newer)-from-a-newer-vigil', \(newer))")

        let input = dir + "/p.ndjson"
        try "{\"id\":\"a\",\"ts\":\"2026-10-30T10:00:00Z\",\"model\":\"shelf-classifier\",\"label\":\"can\",\"score\":0.9}\n"
            .write(toFile: input, atomically: true, encoding: .utf8)
        let ingest = try vigil(["ingest", "predictions", input], dir)
        #expect(ingest.status != 0)
        #expect(ingest.stderr.contains("this store has schema version \(newer)"), "\(ingest.stderr)")
        #expect(ingest.stderr.contains("knows up to \(PostgresStore.schemaVersion)"), "\(ingest.stderr)")
        #expect(ingest.stderr.contains("upgrade vigil, or restore the backup"), "\(ingest.stderr)")
        #expect(try store.verify().predictions == before)

        let check = try vigil(["check"], dir)
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("schema: version \(newer) (this vigil knows up to \(PostgresStore.schemaVersion))"), "\(check.stdout)")
        #expect(check.stderr.contains("warning: this store has schema version \(newer)"), "\(check.stderr)")
        let log = try vigil(["log"], dir)
        #expect(log.status == 0, "\(log.stderr)")
    }
}
