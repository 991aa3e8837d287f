import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilCore
import VigilJobs
import VigilQuickstart
import VigilWorkspace

/// The link in a delivered alert, followed as a person would: the built `vigil serve`, an alert
/// made and delivered by the `vigil` commands to a webhook receiver on a loopback port, and the
/// link taken out of the payload it received.
@Suite(.serialized) struct ReportLinkProcessTests {
    /// The commands' fixed clock: the end of the example month.
    static let environment = ProcessInfo.processInfo.environment.merging(["VIGIL_NOW": "2026-10-31T00:00:00Z"]) { _, new in new }

    static func vigil(_ args: [String], _ root: String) throws -> (status: Int32, output: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ServeProcessTests.binary)
        p.arguments = args + ["--workspace", root]
        p.environment = environment
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }

    @Test func theLinkOfADeliveredAlertOpensTheRunPageAndATamperedOneIsRefused() throws {
        let root = NSTemporaryDirectory() + "vigil-links-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Workspace.initialize(at: root, examplePolicy: ExamplePolicies.absoluteClassifier)
        let files = try ExampleDataWriter.write(ExampleData(rows: 6000, seed: 3), to: root + "/data", labeledFraction: 0.4, csv: false)
        for (kind, file) in [("predictions", files.predictions), ("labels", files.labels)] {
            let r = try Self.vigil(["ingest", kind, file], root)
            #expect(r.status == 0, "\(r.output)")
        }
        let policy = root + "/policies/shelf-classifier.yaml"
        try (try String(contentsOfFile: policy, encoding: .utf8).replacingOccurrences(of: "window: 7d", with: "window: 30d")
             + "alerts:\n  routes:\n    - receivers: [hook]\n").write(toFile: policy, atomically: true, encoding: .utf8)
        let token = try ServeProcessTests.run(["tokens", "create", "--scope", "read", "--name", "dashboard", "--workspace", root]).stdout
            .trimmingCharacters(in: .whitespacesAndNewlines)

        // The server, then the address alerts link to.
        let (server, port, _) = try ServeProcessTests.launchServe(["--workspace", root, "--no-scheduler", "--no-deliverer"], environment: Self.environment)
        defer { if server.isRunning { server.terminate() } }
        let receiver = try LoopbackWebhookReceiver()
        defer { receiver.stop() }
        try (try String(contentsOfFile: root + "/vigil.yaml", encoding: .utf8) + """
            server_url: http://127.0.0.1:\(port)
            receivers:
              - {name: hook, kind: webhook, url: "\(receiver.url)/hook"}

            """).write(toFile: root + "/vigil.yaml", atomically: true, encoding: .utf8)

        // An alert, queued by `vigil evaluate` and delivered by `vigil alerts deliver`.
        let evaluate = try Self.vigil(["evaluate"], root)
        #expect(evaluate.status == 1 || evaluate.status == 2, "the month degrades after day 20: \(evaluate.output)")
        let deliver = try Self.vigil(["alerts", "deliver"], root)
        #expect(deliver.output.contains("delivered 1"), "\(deliver.output)")
        let delivered = try #require(receiver.requests().first { $0.path == "/hook" })
        let payload = try #require(try JSONSerialization.jsonObject(with: Data(delivered.body.utf8)) as? [String: Any])
        let link = try #require((payload["data"] as? [String: Any])?["report_url"] as? String)
        #expect(link.hasPrefix("http://127.0.0.1:\(port)/models/shelf-classifier/runs/") && link.contains("?exp=") && link.contains("&sig="))
        #expect(!link.contains(token) && !link.contains("vgl_"), "no token in the URL")

        // What the run says, through the JSON API and its bearer token.
        let (apiStatus, apiBody) = ServeProcessTests.get("http://127.0.0.1:\(port)/v1/models/shelf-classifier/evaluations?limit=1", token: token)
        #expect(apiStatus == 200)
        let evaluations = try #require(try JSONSerialization.jsonObject(with: Data(apiBody.utf8)) as? [String: Any])
        let status = try #require((evaluations["latest"] as? [String: Any])?["status"] as? String)
        let runID = try #require((evaluations["history"] as? [[String: Any]])?.first?["run_id"] as? Int)
        #expect(["warning", "critical"].contains(status))
        #expect(link.contains("/runs/\(runID)?"))

        // The link opens the run's page without a token, with the run's verdict.
        let (code, page) = ServeProcessTests.get(link)
        #expect(code == 200, "\(page)")
        #expect(page.contains(">\(status.uppercased())</span>") && page.contains("evaluation run \(runID)"))
        #expect(page.contains("<h2>Findings</h2>") && page.contains("<h2>Metrics</h2>"))

        // One character of the signature changed: 401, and the page says what to do.
        let flipped = String(link.dropLast()) + (link.last == "0" ? "1" : "0")
        let (refused, message) = ServeProcessTests.get(flipped)
        #expect(refused == 401)
        #expect(message.contains("does not match this page") && message.contains("vigil alerts link --model MODEL --run RUN"))
        // Without the query, only a token opens it.
        let bare = String(link.prefix { $0 != "?" })
        #expect(ServeProcessTests.get(bare).0 == 401)
        #expect(ServeProcessTests.get(bare, token: token).0 == 200)
        // A fresh link from the command line opens the same page.
        let fresh = try Self.vigil(["alerts", "link", "--model", "shelf-classifier", "--run", String(runID)], root)
        #expect(fresh.status == 0 && ServeProcessTests.get(fresh.output.trimmingCharacters(in: .whitespacesAndNewlines)).0 == 200, "\(fresh.output)")
    }
}
