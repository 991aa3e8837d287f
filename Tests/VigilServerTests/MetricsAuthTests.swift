import Foundation
import VigilCore
import Hummingbird
import HummingbirdTesting
import Testing
import VigilJobs
@testable import VigilServer

/// `GET /metrics` names models and counts alerts and queued items: it needs a `read` or
/// `metrics` token unless `server.metrics_auth: none`.
@Suite struct MetricsAuthTests {
    @Test func withoutATokenIs401WithABearerChallenge() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        try await bed.test { client in
            let r = try await client.execute(uri: "/metrics", method: .get)
            #expect(r.status == .unauthorized)
            #expect(r.headers[.wwwAuthenticate] == "Bearer realm=\"vigil\"")
            #expect(json(r)["error"] as? String == "unauthorized")
            #expect(!String(buffer: r.body).contains("vigil_http_requests_total"))
        }
    }

    @Test(arguments: [TokenScope.metrics, .read, .admin])
    func aMetricsReadOrAdminTokenScrapes(_ scope: TokenScope) async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        try await bed.test { client in
            _ = try await client.execute(uri: "/healthz", method: .get)
            let r = try await client.execute(uri: "/metrics", method: .get, headers: bed.headers(scope))
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            #expect(String(buffer: r.body).contains("vigil_http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"} 1"))
        }
    }

    @Test(arguments: [TokenScope.review, .ingest])
    func aTokenWithoutReadOrMetricsIs403NamingTheScope(_ scope: TokenScope) async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        try await bed.test { client in
            let r = try await client.execute(uri: "/metrics", method: .get, headers: bed.headers(scope))
            #expect(r.status == .forbidden)
            #expect((json(r)["message"] as? String ?? "").contains("vigil tokens create --scope metrics"), "\(json(r))")
        }
    }

    @Test func aMetricsTokenReadsNothingElse() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        try await bed.test { client in
            let models = try await client.execute(uri: "/v1/models", method: .get, headers: bed.headers(.metrics))
            let ingest = try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.metrics),
                                                  body: ByteBuffer(text: ServerTestBed.predictions(1)[0]))
            #expect(models.status == .forbidden && ingest.status == .forbidden)
        }
    }

    @Test func metricsAuthNoneOpensItWithoutAToken() async throws {
        var settings = ServerSettings()
        settings.metricsAuth = .none
        let bed = try ServerTestBed(settings: settings)
        defer { bed.remove() }
        try await bed.test { client in
            let r = try await client.execute(uri: "/metrics", method: .get)
            #expect(r.status == .ok)
            #expect(String(buffer: r.body).contains("vigil_review_queue_items{model=\"shelf-classifier\",state=\"open\"} 0"))
            #expect(try await client.execute(uri: "/v1/models", method: .get).status == .unauthorized)
        }
    }

    @Test func metricsAuthIsReadFromVigilYAMLAndAnUnknownValueIsRefused() throws {
        struct File: Decodable { var server: ServerSettings }
        func decode(_ yaml: String) throws -> ServerSettings {
            try ConfigurationFile.decode(File.self, from: yaml, path: "vigil.yaml").server
        }
        #expect(try decode("server:\n  port: 8080\n").metricsAuth == .token)
        #expect(try decode("server:\n  metrics_auth: none\n").metricsAuth == .none)
        #expect(try decode("server:\n  metrics_auth: token\n").metricsAuth == .token)
        let error = #expect(throws: (any Error).self) { try decode("server:\n  metrics_auth: basic\n") }
        #expect("\(error.map { "\($0)" } ?? "")".contains("server.metrics_auth: 'basic' is not allowed; use one of token, none"), "\(String(describing: error))")
    }
}
