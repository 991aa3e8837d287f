import Testing
import VigilCore
import VigilJobs
@testable import VigilServer

/// `header_timeout`, `idle_timeout` and `max_connections` in `server:`, and the cap fitted to
/// the file limit (``ConnectionBudget``).
struct ConnectionSettingsTests {
    func decode(_ yaml: String) throws -> ServerSettings {
        struct File: Decodable { var server: ServerSettings }
        return try ConfigurationFile.decode(File.self, from: yaml, path: "vigil.yaml").server
    }

    @Test func theLimitsHaveDefaultsAndAreReadFromVigilYAML() throws {
        let defaults = try decode("server:\n  port: 8080\n")
        #expect(defaults.headerTimeout == 10 && defaults.idleTimeout == 60 && defaults.maxConnections == 512)
        let set = try decode("server:\n  header_timeout: 5s\n  idle_timeout: 2m\n  max_connections: 100\n")
        #expect(set.headerTimeout == 5 && set.idleTimeout == 120 && set.maxConnections == 100)
    }

    @Test func badValuesAreRefusedSayingWhatIsAllowed() throws {
        for (yaml, message) in [
            ("server:\n  header_timeout: soon\n", "'soon' is not a duration such as 30s, 5m or 1h"),
            ("server:\n  idle_timeout: 0s\n", "server.idle_timeout: '0s' is not a duration such as 30s, 5m or 1h"),
            ("server:\n  max_connections: 0\n", "max_connections must be at least 1 (it is 0); the default is 512"),
            ("server:\n  max_conections: 10\n", "did you mean `max_connections`?"),
        ] {
            let error = #expect(throws: (any Error).self) { try decode(yaml) }
            #expect("\(error.map { "\($0)" } ?? "")".contains(message), "\(String(describing: error))")
        }
    }

    @Test func theCapIsLoweredToFitTheFileLimitAndSaysHowToRaiseIt() {
        let roomy = ConnectionBudget(requested: 512, fileLimit: 1024)
        #expect(roomy.maxConnections == 512 && roomy.loweredNote == nil)
        #expect(roomy.maxAccepted == 512 + ConnectionBudget.rejectionSlots)
        #expect(ConnectionBudget(requested: 512, fileLimit: nil).maxConnections == 512)

        let tight = ConnectionBudget(requested: 512, fileLimit: 256)
        #expect(tight.maxConnections == 256 - ConnectionBudget.reservedDescriptors - ConnectionBudget.rejectionSlots)
        #expect(tight.loweredNote?.contains("lowered from 512 to 160 to fit the file limit of 256") == true)
        #expect(tight.loweredNote?.contains("raise it to at least 608") == true)
        #expect(ConnectionBudget(requested: 512, fileLimit: 50).maxConnections == 1)
    }

    @Test func theGateAdmitsUpToTheCapAndAgainAfterARelease() {
        let gate = ConnectionGate(maxConnections: 2)
        #expect(gate.admit() && gate.admit())
        #expect(!gate.admit())
        gate.release()
        #expect(gate.admit())
        #expect(gate.openConnections == 2)
    }
}
