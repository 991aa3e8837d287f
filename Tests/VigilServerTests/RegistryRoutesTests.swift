import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VigilCore
import VigilJobs
import VigilRegistry
import VigilStore
@testable import VigilServer

/// The registry over HTTP: reads with `read`, gate and promote with `admin`, refusals as 404/409.
@Suite struct RegistryRoutesTests {
    /// The bed with v1 registered as the first champion and v2 registered as a candidate, by hand.
    static func registered() throws -> ServerTestBed {
        let bed = try ServerTestBed()
        let policy = try bed.workspace.policy(for: ServerTestBed.model)
        for (n, champion) in [(1, true), (2, false)] {
            let artifact = bed.root + "/model-v\(n).bin"
            try Data("weights \(n)".utf8).write(to: URL(fileURLWithPath: artifact))
            _ = try RegistryCommands.register(ws: bed.workspace, store: bed.environment.store, clock: bed.clock, policy: policy,
                                              artifact: artifact, trainingData: nil, champion: champion, actor: "test")
        }
        return bed
    }

    @Test func readsListVersionsOneVersionAndTheAliasHistory() async throws {
        let bed = try Self.registered()
        defer { bed.remove() }
        try await bed.test { client in
            let list = try await client.execute(uri: "/v1/models/shelf-classifier/versions", method: .get, headers: bed.headers(.read))
            #expect(list.status == .ok)
            let body = json(list)
            #expect((body["versions"] as? [[String: Any]])?.map { $0["version"] as? Int } == [1, 2])
            #expect((body["aliases"] as? [String: Int])?["champion"] == 1)
            let one = try await client.execute(uri: "/v1/models/shelf-classifier/versions/2", method: .get, headers: bed.headers(.read))
            #expect(one.status == .ok && json(one)["state"] as? String == "candidate" && (json(one)["artifact_sha256"] as? String)?.count == 64)
            let missing = try await client.execute(uri: "/v1/models/shelf-classifier/versions/9", method: .get, headers: bed.headers(.read))
            #expect(missing.status == .notFound)
            let bad = try await client.execute(uri: "/v1/models/shelf-classifier/versions/zero", method: .get, headers: bed.headers(.read))
            #expect(bad.status == .badRequest)
            let unknown = try await client.execute(uri: "/v1/models/nope/versions", method: .get, headers: bed.headers(.read))
            #expect(unknown.status == .notFound)
            let history = try await client.execute(uri: "/v1/models/shelf-classifier/aliases/history", method: .get, headers: bed.headers(.read))
            #expect((json(history)["moves"] as? [[String: Any]])?.map { $0["to_version"] as? Int } == [1])
            let anonymous = try await client.execute(uri: "/v1/models/shelf-classifier/versions", method: .get, headers: bed.headers(nil))
            #expect(anonymous.status == .unauthorized)
        }
    }

    @Test func promotionGoesThroughTheGateOrAnOverrideWithAReason() async throws {
        let bed = try Self.registered()
        defer { bed.remove() }
        try await bed.test { client in
            let promote = "/v1/models/shelf-classifier/versions/2/promote"
            // Only admins; a read token is refused before anything moves.
            let forbidden = try await client.execute(uri: promote, method: .post, headers: bed.headers(.read))
            #expect(forbidden.status == .forbidden)
            // v2 came from no retraining job: there is no holdout to gate it on, and no verdict to promote it with.
            let gate = try await client.execute(uri: "/v1/models/shelf-classifier/versions/2/gate", method: .post, headers: bed.headers(.admin))
            #expect(gate.status == .conflict && (json(gate)["message"] as? String ?? "").contains("retraining job"))
            let refused = try await client.execute(uri: promote, method: .post, headers: bed.headers(.admin))
            #expect(refused.status == .conflict && (json(refused)["message"] as? String ?? "").contains("no gate verdict"))
            // An override with its reason moves the alias, in the name of the token.
            let moved = try await client.execute(uri: promote, method: .post, headers: bed.headers(.admin),
                                                 body: ByteBuffer(text: #"{"override_reason": "hotfix for the night camera"}"#))
            #expect(moved.status == .ok)
            let move = json(moved)
            #expect(move["to_version"] as? Int == 2 && move["from_version"] as? Int == 1 && move["kind"] as? String == "override")
            #expect(move["actor"] as? String == "admin-user" && move["reason"] as? String == "hotfix for the night camera")
            let again = try await client.execute(uri: promote, method: .post, headers: bed.headers(.admin),
                                                 body: ByteBuffer(text: #"{"override_reason": "again"}"#))
            #expect(again.status == .conflict)
            let missing = try await client.execute(uri: "/v1/models/shelf-classifier/versions/7/promote", method: .post, headers: bed.headers(.admin))
            #expect(missing.status == .notFound)
        }
        #expect(try bed.environment.store.aliases(model: ServerTestBed.model)["champion"] == 2)
        #expect(try bed.environment.store.aliasHistory(model: ServerTestBed.model, limit: 10).map(\.toVersion) == [2, 1])
    }
}

/// Each kind of registry error has its own status, so a client can tell "no such version" and
/// "MLflow is down" from "the gate refused".
@Suite struct RegistryErrorStatusTests {
    @Test func eachKindHasItsStatusAndCode() {
        let cases: [(RegistryError.Kind, HTTPResponse.Status, String)] = [
            (.notFound, .notFound, "not_found"), (.invalidRequest, .unprocessableContent, "invalid_request"),
            (.refused, .conflict, "registry_refused"), (.unavailable, .badGateway, "registry_unavailable"),
        ]
        for (kind, status, code) in cases {
            let answer = APIError.from(RegistryError(kind, "message"))
            #expect(answer.status == status && answer.code == code && answer.message == "message")
        }
    }
}
