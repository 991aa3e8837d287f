import Foundation
import VigilCore
import Hummingbird
import HummingbirdTesting
import Testing
import VigilStore
@testable import VigilServer

@Suite struct AuthTests {
    @Test func healthAndReadinessNeedNoToken() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        try await bed.test { client in
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(health.status == .ok)
            #expect(json(health)["status"] as? String == "ok")
            let ready = try await client.execute(uri: "/readyz", method: .get)
            #expect(ready.status == .ok)
            #expect(json(ready)["status"] as? String == "ready")
        }
    }

    @Test func readinessIs503WhileDraining() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        bed.environment.lifecycle.draining = true
        try await bed.test { client in
            let ready = try await client.execute(uri: "/readyz", method: .get)
            let health = try await client.execute(uri: "/healthz", method: .get)
            #expect(ready.status == .serviceUnavailable)
            #expect(health.status == .ok)
        }
    }

    @Test(arguments: [nil, "Bearer nope", "Bearer vgl_000000000000_" + String(repeating: "0", count: 64), "Basic abc", "vgl_x"])
    func missingOrWrongTokensAre401WithAJSONError(_ header: String?) async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        try await bed.test { client in
            var headers: HTTPFields = [:]
            if let header { headers[.authorization] = header }
            let r = try await client.execute(uri: "/v1/models", method: .get, headers: headers)
            #expect(r.status == .unauthorized)
            let body = json(r)
            #expect(body["error"] as? String == "unauthorized")
            #expect((body["request_id"] as? String)?.isEmpty == false)
            #expect(r.headers[ServerMiddleware.requestIDHeader] == body["request_id"] as? String)
        }
    }

    @Test func aTokenWithTheRightKeyButWrongSecretIs401() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        let real = bed.tokens[.admin]!
        let forged = String(real.dropLast()) + (real.last == "0" ? "1" : "0")
        try await bed.test { client in
            let r = try await client.execute(uri: "/v1/models", method: .get, headers: [.authorization: "Bearer \(forged)"])
            #expect(r.status == .unauthorized)
        }
    }

    @Test func scopesAreEnforcedAndAdminMayDoEverything() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        try await bed.test { client in
            #expect(try await client.execute(uri: "/v1/models", method: .get, headers: bed.headers(.read)).status == .ok)
            #expect(try await client.execute(uri: "/v1/models", method: .get, headers: bed.headers(.admin)).status == .ok)
            let denied = try await client.execute(uri: "/v1/models", method: .get, headers: bed.headers(.ingest))
            #expect(denied.status == .forbidden)
            #expect(json(denied)["error"] as? String == "forbidden")
            #expect(try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.read), body: ByteBuffer(text: "[]")).status == .forbidden)
            #expect(try await client.execute(uri: "/v1/review/claim", method: .post, headers: bed.headers(.ingest)).status == .forbidden)
            #expect(try await client.execute(uri: "/v1/alerts", method: .get, headers: bed.headers(.review)).status == .forbidden)
        }
    }

    @Test func aRevokedTokenIsRefused() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        let key = APITokens.key(of: bed.tokens[.read]!)!
        try await bed.test { client in
            #expect(try await client.execute(uri: "/v1/models", method: .get, headers: bed.headers(.read)).status == .ok)
            let revoked = try bed.environment.store.revokeToken(key: key, now: 1, actor: "test")
            #expect(revoked)
            #expect(try await client.execute(uri: "/v1/models", method: .get, headers: bed.headers(.read)).status == .unauthorized)
        }
    }

    @Test func aWrongMethodOnAKnownPathIs405WithAllow() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        try await bed.test { client in
            let r = try await client.execute(uri: "/v1/predictions", method: .get, headers: bed.headers(.admin))
            #expect(r.status == .methodNotAllowed)
            #expect(r.headers[.allow] == "POST")
            #expect(json(r)["error"] as? String == "method_not_allowed")
            let templated = try await client.execute(uri: "/v1/review/12/label", method: .delete, headers: bed.headers(.admin))
            #expect(templated.status == .methodNotAllowed)
            #expect(try await client.execute(uri: "/healthz", method: .post).status == .methodNotAllowed)
        }
    }

    @Test func unexpectedErrorsAre500WithoutDetails() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        let router = APIRoutes.router(bed.environment)
        let routes = APIRoutes(router: router, environment: bed.environment, table: RouteTable())
        routes.on(.get, "/v1/explode", scope: .read) { _, _, _ in throw StoreError("near \"SELEKT\": syntax error in SELECT * FROM api_tokens") }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.router) { client in
            let r = try await client.execute(uri: "/v1/explode", method: .get, headers: bed.headers(.read))
            #expect(r.status == .internalServerError)
            let text = String(buffer: r.body)
            #expect(!text.contains("SELECT") && !text.contains("api_tokens"))
            #expect(json(r)["error"] as? String == "internal")
            #expect(json(r)["request_id"] as? String == r.headers[ServerMiddleware.requestIDHeader])
        }
    }

    @Test func unknownRoutesAre404InJSON() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        try await bed.test { client in
            let r = try await client.execute(uri: "/v1/nothing-here", method: .get, headers: bed.headers(.admin))
            #expect(r.status == .notFound)
            #expect(json(r)["error"] as? String == "not_found")
        }
    }
}

@Suite struct APITokensTests {
    @Test func tokensHaveTheirKeyAndOnlyTheirHashIsKept() {
        let (token, record) = APITokens.generate(name: "alice", scopes: [.review, .read, .review], now: 5)
        #expect(token.hasPrefix("vgl_"))
        #expect(APITokens.key(of: token) == record.key)
        #expect(record.scopes == [.review, .read])
        #expect(record.hash == APITokens.hash(token))
        #expect(!record.hash.isEmpty && record.hash.count == 32)
        let (other, _) = APITokens.generate(name: "alice", scopes: [.review], now: 5)
        #expect(other != token)
    }

    @Test(arguments: ["", "vgl_", "vgl_abc_def", "xyz_000000000000_" + String(repeating: "0", count: 64),
                      "vgl_00000000000G_" + String(repeating: "0", count: 64), "vgl_000000000000_" + String(repeating: "0", count: 63)])
    func malformedTokensHaveNoKey(_ text: String) {
        #expect(APITokens.key(of: text) == nil)
    }

    @Test func constantTimeComparison() {
        #expect(APITokens.constantTimeEquals([1, 2, 3], [1, 2, 3]))
        #expect(!APITokens.constantTimeEquals([1, 2, 3], [1, 2, 4]))
        #expect(!APITokens.constantTimeEquals([1, 2, 3], [1, 2]))
    }

    @Test func theStoreKeepsTokensAndRevokesThem() throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        let all = try bed.environment.store.tokens(includeRevoked: false)
        #expect(all.count == TokenScope.allCases.count)
        let key = all[0].key
        #expect(try bed.environment.store.revokeToken(key: key, now: 9, actor: "test"))
        #expect(try !bed.environment.store.revokeToken(key: key, now: 10, actor: "test"))
        #expect(try bed.environment.store.tokens(includeRevoked: false).count == TokenScope.allCases.count - 1)
        #expect(try bed.environment.store.tokens(includeRevoked: true).first { $0.key == key }?.revokedAt == 9)
        // The JSON of a token never holds its hash.
        let text = String(decoding: try JSONEncoder().encode(all[1]), as: UTF8.self)
        #expect(!text.contains("hash"))
    }
}
