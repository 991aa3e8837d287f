import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilWorkspace

/// `vigil evaluate` → alerts → outbox → `vigil alerts deliver`, and the other alert commands,
/// run as a user would: the built binary against a workspace and the local receiver.
@Suite(.serialized) struct AlertsCommandLineTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let now = ["VIGIL_NOW": "2026-10-31T00:00:00Z", "HOOK_SECRET": secret]

    /// A workspace with a month of example data, two receivers at `receiver`, and routes.
    func workspace(_ receiver: LocalReceiver, routes: String = "[hook, chat]", extraReceiver: String = "") throws -> String {
        let root = NSTemporaryDirectory() + "vigil-cli-\(UUID().uuidString)"
        try Workspace.initialize(at: root, examplePolicy: ExamplePolicies.absoluteClassifier)
        let files = try ExampleDataWriter.write(ExampleData(rows: 6000, seed: 3), to: root + "/data", labeledFraction: 0.4, csv: false)
        for (kind, file) in [("predictions", files.predictions), ("labels", files.labels)] {
            let r = try VigilCommand.run(["ingest", kind, file, "--workspace", root])
            #expect(r.status == 0, "\(r.output)")
        }
        try (try String(contentsOfFile: root + "/vigil.yaml", encoding: .utf8) + """
            server_url: https://vigil.example.com
            receivers:
              - {name: hook, kind: webhook, url: "\(receiver.url)/hook", secret: "${HOOK_SECRET}"}
              - {name: chat, kind: slack, url: "\(receiver.url)/chat"}
            \(extraReceiver)
            """).write(toFile: root + "/vigil.yaml", atomically: true, encoding: .utf8)
        let policy = root + "/policies/shelf-classifier.yaml"
        // The canonical evaluation (`vigil evaluate` with no window) judges the whole 30-day example.
        try (try String(contentsOfFile: policy, encoding: .utf8).replacingOccurrences(of: "window: 7d", with: "window: 30d")
             + "alerts:\n  routes:\n    - receivers: \(routes)\n")
            .write(toFile: policy, atomically: true, encoding: .utf8)
        return root
    }

    func vigil(_ args: [String], _ root: String, env: [String: String] = now) throws -> (status: Int32, output: String) {
        try VigilCommand.run(args + ["--workspace", root], environment: env)
    }

    @Test func evaluateQueuesDeliverSendsAndTheLogTellsTheStory() throws {
        let receiver = try LocalReceiver()
        defer { receiver.stop() }
        let root = try workspace(receiver)
        let evaluate = try vigil(["evaluate"], root)
        #expect(evaluate.status == 1 || evaluate.status == 2, "\(evaluate.output)")
        let outbox = try vigil(["alerts", "outbox"], root)
        #expect(outbox.output.components(separatedBy: "  pending  ").count - 1 == 2, "one notification per receiver: \(outbox.output)")
        let list = try vigil(["alerts", "list"], root)
        #expect(list.output.contains("firing"))
        let deliver = try vigil(["alerts", "deliver"], root)
        #expect(deliver.status == 0, "\(deliver.output)")
        #expect(deliver.output.contains("delivered 2"))
        let requests = try receiver.requests()
        #expect(Set(requests.map(\.path)) == ["/hook", "/chat"])
        let hook = try #require(requests.first { $0.path == "/hook" })
        let data = try #require(hook.json["data"] as? [String: Any])
        #expect((data["evaluate_command"] as? String)?.hasPrefix("vigil evaluate --model shelf-classifier --from 2026-10-01T00:00:00.000Z") == true)
        #expect((data["report_url"] as? String)?.hasPrefix("https://vigil.example.com/models/shelf-classifier/runs/") == true)
        #expect(try python(["scripts/verify_webhook_signature.py", receiver.log, Self.secret]).status == 0)
        // Running the command the alert suggests is an ad-hoc run: stored, but it moves no alert and queues nothing.
        let command = try #require(data["evaluate_command"] as? String).split(separator: " ").map(String.init)
        let adHoc = try vigil(Array(command.dropFirst()) + ["--format", "json"], root)
        #expect(adHoc.output.contains("\"ad_hoc\" : true"), "\(adHoc.output)")
        #expect(try vigil(["alerts", "outbox"], root).output.contains("no pending"), "an ad-hoc run queues nothing")
        let noDrift = try vigil(["evaluate", "--no-drift"], root)
        #expect(noDrift.output.contains("ad-hoc run"), "\(noDrift.output)")
        #expect(try vigil(["alerts", "outbox"], root).output.contains("no pending"), "--no-drift is ad-hoc too: no '9 resolved'")
        #expect(try vigil(["alerts", "list"], root).output.contains("firing"), "the alerts still fire")
        // The secret is expanded at send time only: not in the store.
        let db = try Data(contentsOf: URL(fileURLWithPath: root + "/.vigil/vigil.db"))
        #expect(db.range(of: Data(Self.secret.utf8)) == nil)
        let log = try vigil(["log"], root)
        for kind in ["evaluation.run", "alert.firing", "alert.notification.queued", "alert.delivery.delivered"] {
            #expect(log.output.contains(kind), "\(kind) missing from the event log")
        }
        // Same findings again: nothing new to say.
        _ = try vigil(["evaluate"], root)
        let tick = try vigil(["tick"], root)
        #expect(tick.output.contains("0 queued, 0 delivered"), "\(tick.output)")
    }

    @Test func silencesTestsRetriesAndErrorsThatSayWhatToDo() throws {
        let receiver = try LocalReceiver()
        defer { receiver.stop() }
        let root = try workspace(receiver)
        let silence = try vigil(["alerts", "silence", "--model", "shelf-classifier", "--for", "2h", "--reason", "relabelling"], root)
        #expect(silence.status == 0 && silence.output.contains("silence 1 until 2026-10-31T02:00:00.000Z"), "\(silence.output)")
        #expect(try vigil(["alerts", "silences"], root).output.contains("relabelling"))
        _ = try vigil(["evaluate"], root)
        #expect(try vigil(["alerts", "outbox"], root).output.contains("no pending"), "silenced: nothing queued")
        #expect(try vigil(["alerts", "unsilence", "1"], root).status == 0)
        let again = try vigil(["alerts", "unsilence", "1"], root)
        #expect(again.status == 1 && again.output.contains("no silence 1 in force"))
        let deliver = try vigil(["alerts", "deliver"], root)
        #expect(deliver.output.contains("delivered 2"), "the silence ended: receivers hear the current state. \(deliver.output)")

        let test = try vigil(["alerts", "test", "chat"], root)
        #expect(test.status == 0 && test.output.contains("sent vn_"), "\(test.output)")

        // A refused test says so and leaves nothing behind in the outbox.
        try receiver.script([["status": 400]])
        let refused = try vigil(["alerts", "test", "chat"], root)
        #expect(refused.status == 1 && refused.output.contains("did not take") && refused.output.contains("vigil alerts test chat"), "\(refused.output)")
        #expect(try vigil(["alerts", "outbox", "--dead"], root).output.contains("no dead notifications"))
        // A dead-lettered notification comes back with retry.
        try receiver.script([["status": 400]])
        _ = try vigil(["alerts", "test", "chat", "--queue-only"], root)
        _ = try vigil(["alerts", "deliver"], root)
        let dead = try vigil(["alerts", "outbox", "--dead"], root)
        #expect(dead.output.contains("HTTP 400") && dead.output.contains("vigil alerts retry"), "\(dead.output)")
        let retry = try vigil(["alerts", "retry", "--all-dead"], root)
        #expect(retry.output.contains("1 notification queued again"))
        // A test goes straight to the receiver: the queued one is neither sent with it nor holds it up.
        let direct = try vigil(["alerts", "test", "chat"], root)
        #expect(direct.status == 0 && direct.output.contains("sent vn_"), "\(direct.output)")
        #expect(!(try vigil(["alerts", "outbox"], root).output.contains("no pending")), "the backlog is still pending")
        #expect(try vigil(["alerts", "deliver"], root).output.contains("delivered 1"))

        let noSecret = try vigil(["alerts", "test", "hook"], root, env: ["VIGIL_NOW": "2026-10-31T00:00:00Z"])
        #expect(noSecret.status == 1 && noSecret.output.contains("HOOK_SECRET is not set"), "\(noSecret.output)")
        let unknown = try vigil(["alerts", "test", "nobody"], root)
        #expect(unknown.output.contains("no receiver 'nobody' in vigil.yaml"))
    }

    @Test func misconfigurationIsAClearError() throws {
        let receiver = try LocalReceiver()
        defer { receiver.stop() }
        let badRoute = try workspace(receiver, routes: "[hook, pager]")
        let r = try vigil(["evaluate", "--window", "30d"], badRoute)
        #expect(r.status == 3)
        #expect(r.output.contains("alerts.routes[0].receivers: no receiver 'pager' in vigil.yaml"), "\(r.output)")

        let root = try workspace(receiver, extraReceiver: "  - {name: custom, kind: webhook, url: \"\(receiver.url)/c\", template: alerts/broken.mustache}")
        try FileManager.default.createDirectory(atPath: root + "/alerts", withIntermediateDirectories: true)
        try "{\"text\": {{{title}}}}".write(toFile: root + "/alerts/broken.mustache", atomically: true, encoding: .utf8)
        let broken = try vigil(["alerts", "test", "custom"], root)
        #expect(broken.status == 1)
        #expect(broken.output.contains("alerts/broken.mustache: the rendered body is not valid JSON"), "\(broken.output)")
    }

    @Test(arguments: ["alerts", "alerts list", "alerts deliver", "alerts outbox", "alerts retry", "alerts test", "alerts silence",
                      "alerts silences", "alerts unsilence", "alerts templates", "tick"])
    func everyCommandExplainsItselfWithExamples(command: String) throws {
        let r = try VigilCommand.run(command.split(separator: " ").map(String.init) + ["--help"])
        #expect(r.status == 0)
        #expect(r.output.contains("vigil \(command.split(separator: " ").first!)"), "\(r.output)")
    }

    @Test func theBuiltInTemplatesAreTheOnesInTheRepository() throws {
        let d = NSTemporaryDirectory() + "vigil-tpl-\(UUID().uuidString)"
        let r = try VigilCommand.run(["alerts", "templates", "--out", d])
        #expect(r.status == 0, "\(r.output)")
        for kind in ["slack", "teams", "discord", "alertmanager", "pagerduty", "webhook"] {
            let shipped = try String(contentsOfFile: LocalReceiver.repoRoot + "/alerts/\(kind).mustache", encoding: .utf8)
            let written = try String(contentsOfFile: d + "/\(kind).mustache", encoding: .utf8)
            #expect(written == shipped, "alerts/\(kind).mustache differs from the built-in copy: run scripts/embed_alert_templates.py")
        }
    }
}
