import Foundation
import Testing
import VigilPostgres
import VigilStore

/// `store: postgres://…` in vigil.yaml: host, port, database, user, where the password comes from, TLS.
@Suite struct PostgresLocationTests {
    @Test func theURLNamesServerDatabaseAndUser() throws {
        let l = try PostgresLocation(url: "postgres://vigil@db.internal:6432/monitoring", environment: [:])
        #expect(l.host == "db.internal" && l.port == 6432 && l.database == "monitoring" && l.user == "vigil")
        #expect(l.password == nil && l.sslMode == "disable")
        #expect(l.displayURL == "postgres://vigil@db.internal:6432/monitoring")
        let d = try PostgresLocation(url: "postgresql://db/vigil", environment: [:])
        #expect(d.port == 5432 && d.user == "postgres")
    }

    @Test func thePasswordComesFromAFileTheEnvironmentOrTheURL() throws {
        let file = NSTemporaryDirectory() + "vigil-pg-password-\(UUID().uuidString)"
        try "s3cret\n".write(toFile: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: file) }
        let fromFile = try PostgresLocation(url: "postgres://vigil@db/vigil?password_file=\(file)", environment: ["VIGIL_PG_PASSWORD": "env"])
        #expect(fromFile.password == "s3cret")
        #expect(try PostgresLocation(url: "postgres://vigil:url@db/vigil", environment: ["VIGIL_PG_PASSWORD": "env"]).password == "env")
        #expect(try PostgresLocation(url: "postgres://vigil:url@db/vigil", environment: [:]).password == "url")
        #expect(throws: StoreError.self) { try PostgresLocation(url: "postgres://vigil@db/vigil?password_file=/nonexistent/x", environment: [:]) }
    }

    @Test func tlsAndMistakesAreNamed() throws {
        #expect(try PostgresLocation(url: "postgres://vigil@db/vigil?sslmode=require", environment: [:]).sslMode == "require")
        for bad in ["postgres://vigil@db/vigil?sslmode=verify-full", "postgres://vigil@db/", "mysql://db/vigil", "postgres://vigil@db/vigil?pool=3"] {
            #expect(throws: StoreError.self, "\(bad)") { try PostgresLocation(url: bad, environment: [:]) }
        }
    }
}
