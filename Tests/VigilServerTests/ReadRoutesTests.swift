import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VigilCore
import VigilJobs
import VigilStore
@testable import VigilServer

@Suite struct ReadRoutesTests {
    /// The bed with 400 predictions and labels (about a fifth wrong, at random) over 2026-09-24…10-07, evaluated
    /// once (window [10-01, 10-08): e-202…e-399, 198 labelled).
    static func evaluated() throws -> ServerTestBed {
        let bed = try ServerTestBed()
        let classes = ExampleData.classes
        var predictions: [String] = []
        var labels: [String] = []
        for i in 0..<400 {
            let truth = classes[i % classes.count]
            var mix = SplitMix64(seed: UInt64(i))
            let predicted = mix.next() % 5 == 0 ? classes[Int(mix.next() % UInt64(classes.count))] : truth
            let ts = Timestamp.format(millis: Timestamp.parseMillis("2026-09-24T00:00:00Z")! + Int64(i) * 3_000_000)
            predictions.append("{\"id\":\"e-\(i)\",\"ts\":\"\(ts)\",\"model\":\"shelf-classifier\",\"label\":\"\(predicted)\",\"score\":\(0.5 + Double(i % 50) / 100)}")
            labels.append("{\"prediction_id\":\"e-\(i)\",\"label\":\"\(truth)\"}")
        }
        try ingest(bed, predictions, kind: .predictions)
        try ingest(bed, labels, kind: .labels)
        let policy = try bed.workspace.policy(for: ServerTestBed.model)
        _ = try EvaluateJob(store: bed.environment.store, clock: bed.clock).run(policy: policy, window: .last("7d"))
        return bed
    }

    static func ingest(_ bed: ServerTestBed, _ lines: [String], kind: IngestRequest.Kind) throws {
        let path = bed.root + "/\(kind.rawValue).ndjson"
        try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        let catalog = ModelCatalog(bed.environment.schemas)
        _ = try IngestJob(store: bed.environment.store, catalog: catalog, clock: bed.clock, rejectsDirectory: bed.root).run(IngestRequest(kind: kind, path: path))
    }

    @Test func modelsListThePoliciesModelsWithTheirLatestEvaluation() async throws {
        let bed = try Self.evaluated()
        defer { bed.remove() }
        try await bed.test { client in
            let r = try await client.execute(uri: "/v1/models", method: .get, headers: bed.headers(.read))
            #expect(r.status == .ok)
            let models = json(r)["models"] as? [[String: Any]] ?? []
            #expect(models.map { $0["name"] as? String } == ["shelf-classifier"])
            #expect(models.first?["classes"] as? [String] == ExampleData.classes)
            let latest = models.first?["latest_evaluation"] as? [String: Any]
            #expect(latest?["status"] as? String != nil)
            #expect((latest?["window"] as? [String: Any])?["to"] as? String == "2026-10-08T00:00:00.000Z")
        }
    }

    @Test func evaluationsReturnTheLatestReportAndTheHistory() async throws {
        let bed = try Self.evaluated()
        defer { bed.remove() }
        bed.clock.set(Timestamp.date(millis: Timestamp.parseMillis("2026-10-09T00:00:00Z")!))
        let policy = try bed.workspace.policy(for: ServerTestBed.model)
        _ = try EvaluateJob(store: bed.environment.store, clock: bed.clock).run(policy: policy, window: .last("7d"))
        try await bed.test { client in
            let r = try await client.execute(uri: "/v1/models/shelf-classifier/evaluations", method: .get, headers: bed.headers(.read))
            #expect(r.status == .ok)
            let body = json(r)
            let latest = body["latest"] as? [String: Any]
            #expect(latest?["model"] as? String == "shelf-classifier")
            #expect(latest?["labeled"] as? Int == 169)  // e-231…e-399 are in [2026-10-02, 2026-10-09)
            let history = body["history"] as? [[String: Any]] ?? []
            #expect(history.count == 2)
            #expect((history.first?["window"] as? [String: Any])?["to"] as? String == "2026-10-09T00:00:00.000Z")
            let one = try await client.execute(uri: "/v1/models/shelf-classifier/evaluations?limit=1", method: .get, headers: bed.headers(.read))
            #expect((json(one)["history"] as? [Any])?.count == 1)
            let bad = try await client.execute(uri: "/v1/models/shelf-classifier/evaluations?limit=0", method: .get, headers: bed.headers(.read))
            #expect(bad.status == .badRequest)
            let badSince = try await client.execute(uri: "/v1/models/shelf-classifier/evaluations?since=yesterday", method: .get, headers: bed.headers(.read))
            #expect(badSince.status == .badRequest)
            let unknown = try await client.execute(uri: "/v1/models/nope/evaluations", method: .get, headers: bed.headers(.read))
            #expect(unknown.status == .notFound)
        }
    }

    @Test func driftIsTheLatestReportsDriftPart() async throws {
        let bed = try Self.evaluated()
        defer { bed.remove() }
        let stored = try bed.environment.store.evaluationHistory(model: ServerTestBed.model, since: 0, limit: 1)[0]
        let expected = try normalized(ReportJSON.member("drift", of: stored.report)!)
        try await bed.test { client in
            let r = try await client.execute(uri: "/v1/models/shelf-classifier/drift", method: .get, headers: bed.headers(.read))
            #expect(r.status == .ok)
            let drift = try #require(json(r)["drift"] as? [String: Any])
            #expect(try normalized(String(decoding: JSONSerialization.data(withJSONObject: drift), as: UTF8.self)) == expected)
            #expect(json(r)["run_id"] as? Int == Int(stored.id))
        }
    }

    @Test func driftAndEvaluationsOfAModelNeverEvaluated() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        try await bed.test { client in
            let e = try await client.execute(uri: "/v1/models/shelf-classifier/evaluations", method: .get, headers: bed.headers(.read))
            #expect(e.status == .ok)
            #expect(json(e)["latest"] is NSNull)
            let d = try await client.execute(uri: "/v1/models/shelf-classifier/drift", method: .get, headers: bed.headers(.read))
            #expect(d.status == .notFound)
        }
    }

    @Test func reportMembersAreReadWithoutDecoding() {
        #expect(ReportJSON.member("drift", of: "{\"a\":1,\"drift\":{\"x\":[1,2]},\"status\":\"ok\"}") == "{\"x\":[1,2]}")
        #expect(ReportJSON.member("status", of: "{\"drift\":null,\"status\":\"ok\"}") == "\"ok\"")
        #expect(ReportJSON.member("missing", of: "{\"a\":1}") == nil)
        #expect(ReportJSON.member("a", of: "not json") == nil)
    }

    @Test func alertsAreListedAndFilteredByState() async throws {
        let bed = try Self.evaluated()
        defer { bed.remove() }
        let stored = try bed.environment.store.alerts(model: nil)
        try await bed.test { client in
            let r = try await client.execute(uri: "/v1/alerts", method: .get, headers: bed.headers(.read))
            #expect(r.status == .ok)
            let alerts = json(r)["alerts"] as? [[String: Any]] ?? []
            #expect(alerts.count == stored.count)
            #expect(alerts.map { $0["fingerprint"] as? String } == stored.map(\.fingerprint))
            let firing = try await client.execute(uri: "/v1/alerts?state=firing&model=shelf-classifier", method: .get, headers: bed.headers(.read))
            #expect((json(firing)["alerts"] as? [Any])?.count == stored.filter { $0.state == .firing }.count)
            #expect(try await client.execute(uri: "/v1/alerts?state=on-fire", method: .get, headers: bed.headers(.read)).status == .badRequest)
            #expect(try await client.execute(uri: "/v1/alerts?model=nope", method: .get, headers: bed.headers(.read)).status == .notFound)
        }
    }

    @Test func metricsExposeCountersQueueDepthAndLatestMetricValues() async throws {
        let bed = try Self.evaluated()
        defer { bed.remove() }
        try await bed.test { client in
            _ = try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.ingest),
                                         body: ByteBuffer(text: ServerTestBed.predictions(3).joined(separator: "\n")))
            let r = try await client.execute(uri: "/metrics", method: .get, headers: bed.headers(.metrics))
            #expect(r.status == .ok)
            #expect(r.headers[.contentType] == "text/plain; version=0.0.4; charset=utf-8")
            let text = String(buffer: r.body)
            #expect(text.contains("vigil_ingest_records_total{kind=\"predictions\",outcome=\"inserted\"} 3"))
            #expect(text.contains("vigil_ingest_records_total{kind=\"labels\",outcome=\"rejected\"} 0"))
            #expect(text.contains("vigil_http_requests_total{method=\"POST\",route=\"/v1/predictions\",status=\"200\"} 1"))
            #expect(text.contains("vigil_http_request_duration_seconds_bucket{method=\"POST\",route=\"/v1/predictions\""))
            #expect(text.contains("vigil_review_queue_items{model=\"shelf-classifier\",state=\"open\"} 0"))
            #expect(text.contains("vigil_model_metric{model=\"shelf-classifier\",metric=\"accuracy\"} 0."))
            #expect(text.contains("vigil_class_metric{model=\"shelf-classifier\",class=\"bottle\",metric=\"recall\"}"))
            #expect(text.contains("vigil_alert_deliveries_total{outcome=\"delivered\"} 0"))
            #expect(text.contains("vigil_evaluation_status{model=\"shelf-classifier\"}"))
        }
    }
}

/// `text` re-encoded with sorted keys, to compare JSON documents.
func normalized(_ text: String) throws -> String {
    let object = try JSONSerialization.jsonObject(with: Data(text.utf8))
    return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
}
