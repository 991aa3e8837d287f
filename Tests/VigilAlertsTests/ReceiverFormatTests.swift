import Foundation
import Testing
import VigilAlerts
import VigilCore
import VigilStore

/// Each receiver kind's body: checked against its format's rules, compared with a golden file
/// (fixed clock and ids; regenerate with VIGIL_UPDATE_GOLDEN=1), then sent to the real local
/// receiver, where the webhook signature is verified by Python's hmac.
@Suite(.serialized) struct ReceiverFormatTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures").path

    static func receivers(_ base: String) -> [Receiver] {
        ReceiverKind.allCases.map { kind in
            Receiver(name: kind.rawValue, kind: kind, url: "\(base)/\(kind.rawValue)", secret: kind == .webhook ? secret : nil,
                     routingKey: kind == .pagerduty ? "${PD_KEY}" : nil)
        }
    }

    /// A bed whose policy routes everything to all six kinds, after one run with three alerts.
    static func firedBed(base: String) throws -> AlertTestBed {
        let bed = try AlertTestBed(receivers: receivers(base), routing: AlertRouting(resolveAfter: 1, routes: [AlertRoute(receivers: ReceiverKind.allCases.map(\.rawValue))]))
        try bed.evaluate([finding("recall", "bag", .critical, value: 0.5), finding("precision", "can", .warning, value: 0.75),
                          Finding(rule: "macro_f1", metric: "macro_f1", className: nil, severity: .warning, value: 0.78, interval: nil, warning: 0.8,
                                  critical: 0.7, evidence: 300, message: "macro_f1 is 0.78, below \"0.8\"\nsee\tthe report"),
                          finding("recall", "cup", .ok, value: 0.9)])
        return bed
    }

    func golden(_ name: String, _ body: String) throws {
        let path = Self.fixtures + "/\(name).json"
        if ProcessInfo.processInfo.environment["VIGIL_UPDATE_GOLDEN"] == "1" {
            try body.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let expected = try String(contentsOfFile: path, encoding: .utf8)
        #expect(body == expected, "\(name) differs from \(path); if the change is intended, rerun with VIGIL_UPDATE_GOLDEN=1")
    }

    @Test func bodiesFollowEachFormatAndMatchTheGoldenFiles() throws {
        let bed = try Self.firedBed(base: "http://127.0.0.1:9")
        let rows = try bed.outbox()
        func body(_ kind: ReceiverKind) throws -> [String: Any] {
            json(try #require(rows.first { $0.notification.receiver == kind.rawValue }))
        }
        for kind in ReceiverKind.allCases {
            let row = try #require(rows.first { $0.notification.receiver == kind.rawValue })
            try golden(kind.rawValue, row.notification.body)
        }

        let slack = try body(.slack)
        #expect((slack["text"] as? String)?.hasPrefix("[FIRING:3] shelf-classifier critical") == true)
        let blocks = try #require(slack["blocks"] as? [[String: Any]])
        #expect(blocks.count <= 50)
        #expect(blocks.first?["type"] as? String == "header")
        #expect(blocks.filter { $0["type"] as? String == "section" }.count == 3)
        for b in blocks { if let t = (b["text"] as? [String: Any])?["text"] as? String { #expect(t.count <= 3000) } }

        let teams = try body(.teams)
        #expect(teams["type"] as? String == "message")
        let attachment = try #require((teams["attachments"] as? [[String: Any]])?.first)
        #expect(attachment["contentType"] as? String == "application/vnd.microsoft.card.adaptive")
        #expect(attachment["contentUrl"] is NSNull)
        let card = try #require(attachment["content"] as? [String: Any])
        #expect(card["type"] as? String == "AdaptiveCard")
        #expect(card["version"] as? String == "1.2")
        #expect(card["$schema"] as? String == "http://adaptivecards.io/schemas/adaptive-card.json")
        #expect((card["body"] as? [[String: Any]])?.allSatisfy { $0["type"] as? String == "TextBlock" } == true)
        #expect(((card["actions"] as? [[String: Any]])?.first?["url"] as? String)?.hasPrefix("https://vigil.example.com/") == true)

        let discord = try body(.discord)
        #expect((discord["content"] as? String ?? "").count <= 2000)
        let embeds = try #require(discord["embeds"] as? [[String: Any]])
        #expect(embeds.count <= 10)
        #expect((embeds[0]["title"] as? String ?? "").count <= 256)
        #expect((embeds[0]["description"] as? String ?? "").count <= 4096)
        #expect(embeds[0]["color"] as? Int == 0xE74C3C)
        #expect((embeds[0]["fields"] as? [Any])?.count ?? 99 <= 25)

        let am = try body(.alertmanager)
        for key in ["version", "groupKey", "truncatedAlerts", "status", "receiver", "groupLabels", "commonLabels", "commonAnnotations", "externalURL", "alerts"] {
            #expect(am[key] != nil, "alertmanager body lacks \(key)")
        }
        #expect(am["version"] as? String == "4")
        #expect(am["status"] as? String == "firing")
        #expect(am["truncatedAlerts"] as? Int == 0)
        #expect((am["commonLabels"] as? [String: String])?["model"] == "shelf-classifier")
        let amAlerts = try #require(am["alerts"] as? [[String: Any]])
        #expect(amAlerts.count == 3)
        for a in amAlerts {
            for key in ["status", "labels", "annotations", "startsAt", "endsAt", "generatorURL", "fingerprint"] { #expect(a[key] != nil, "alert lacks \(key)") }
            #expect(a["endsAt"] as? String == "0001-01-01T00:00:00Z", "firing alerts carry the zero time")
            #expect((a["labels"] as? [String: String])?["alertname"] != nil)
        }

        let pd = try body(.pagerduty)
        #expect(pd["routing_key"] as? String == "${PD_KEY}", "the outbox keeps the placeholder, never the key")
        #expect(pd["event_action"] as? String == "trigger")
        #expect((pd["dedup_key"] as? String ?? "").count <= 255)
        let payload = try #require(pd["payload"] as? [String: Any])
        #expect((payload["summary"] as? String ?? "").count <= 1024)
        #expect(["critical", "error", "warning", "info"].contains(payload["severity"] as? String ?? ""))
        #expect(payload["source"] as? String == "vigil/shelf-classifier")
        #expect(rows.filter { $0.notification.receiver == "pagerduty" }.count == 2, "one PagerDuty incident per model and severity: critical, warning")
        #expect(pd["dedup_key"] as? String == "vigil/shelf-classifier/critical")

        let hook = try body(.webhook)
        #expect(hook["id"] as? String == rows.first { $0.notification.receiver == "webhook" }?.notification.id)
        let data = try #require(hook["data"] as? [String: Any])
        #expect(data["evaluate_command"] as? String == "vigil evaluate --model shelf-classifier --from 2026-10-24T06:00:00.000Z --to 2026-10-31T06:00:00.000Z")
        #expect(data["report_url"] as? String == "https://vigil.example.com/models/shelf-classifier/runs/1")
        let macro = try #require(webhookAlerts(rows.first { $0.notification.receiver == "webhook" }!).first { $0["rule"] as? String == "macro_f1" })
        #expect(macro["message"] as? String == "macro_f1 is 0.78, below \"0.8\"\nsee\tthe report", "quotes, newlines and tabs survive JSON escaping")
        #expect(macro["class"] is NSNull)
    }

    /// A signed report link carries `&sig=`: Slack's mrkdwn needs it as `&amp;`, JSON fields keep it as is.
    @Test func signedLinksAreEscapedForSlackMrkdwn() throws {
        let links = try #require(ReportLinks(serverURL: "https://vigil.example.com", secret: Array(repeating: 7, count: 32)))
        let alert = AlertRecord(fingerprint: "f", model: "shelf-classifier", rule: "accuracy", metric: "accuracy", className: nil, severity: .critical,
                                state: .firing, startsAt: 0, updatedAt: 0, runID: 3, window: nil, value: 0.7, threshold: 0.8, evidence: 100,
                                message: "accuracy is 0.7")
        let slack = Receiver(name: "chat", kind: .slack, url: "http://127.0.0.1:9/slack")
        let n = AlertNotification(id: "vn_1", receiver: slack, topic: "alert", model: "shelf-classifier", alerts: [alert], runID: 3, window: nil,
                                  createdAt: 0, links: links)
        let url = try #require(n.context()["report_url"] as? String)
        #expect(url.contains("?exp=") && url.contains("&sig="))
        let body = try TemplateSet(receivers: [slack], workspaceRoot: nil).render(n.context(), for: slack)
        #expect(body.contains(url.replacingOccurrences(of: "&", with: "&amp;") + "|report>"), "\(body)")
        #expect(!body.contains("&sig="))
    }

    @Test func pagerDutyResolveCarriesOnlyTheKeyTheDedupKeyAndTheAction() throws {
        let bed = try Self.firedBed(base: "http://127.0.0.1:9")
        bed.clock.advance(by: 3600)
        try bed.evaluate([finding("recall", "bag", .ok, value: 0.9), finding("precision", "can", .warning, value: 0.75),
                          finding("macro_f1", nil, .warning, value: 0.78)])
        let resolve = try #require(try bed.outbox().last { $0.notification.receiver == "pagerduty" })
        try golden("pagerduty-resolve", resolve.notification.body)
        #expect(Set(json(resolve).keys) == ["routing_key", "event_action", "dedup_key"])
        #expect(json(resolve)["event_action"] as? String == "resolve")
        let am = json(try #require(try bed.outbox().last { $0.notification.receiver == "alertmanager" }))
        let resolved = (am["alerts"] as? [[String: Any]])?.first { $0["status"] as? String == "resolved" }
        #expect(resolved?["endsAt"] as? String == "2026-10-31T07:00:00.000Z")
    }

    @Test func everyKindReachesTheReceiverAndWebhookSignaturesVerifyInPython() throws {
        let receiver = try LocalReceiver()
        defer { receiver.stop() }
        let bed = try Self.firedBed(base: receiver.url)
        let summary = try bed.deliver()
        #expect(summary.delivered == 7, "one body each for five kinds, two PagerDuty incidents (critical, warning)")
        let requests = try receiver.requests()
        #expect(Set(requests.map(\.path)) == Set(ReceiverKind.allCases.map { "/\($0.rawValue)" }))
        #expect(requests.first { $0.path == "/discord" }?.query == "wait=true")
        #expect(requests.filter { $0.path == "/pagerduty" }.allSatisfy { $0.json["routing_key"] as? String == "pd-secret-key" },
                "the routing key is expanded at send time")
        let rows = try bed.outbox()
        for r in requests {
            #expect(rows.contains { $0.notification.id == r.headers["x-vigil-notification"] })
            #expect(r.headers["content-type"] == "application/json")
        }
        let hook = try #require(requests.first { $0.path == "/webhook" })
        #expect(hook.headers["webhook-id"] == hook.json["id"] as? String)
        #expect(hook.headers["webhook-signature"]?.hasPrefix("v1,") == true)
        #expect(hook.headers["webhook-timestamp"] == String(Int64(bed.clock.now.timeIntervalSince1970)))
        let verify = try python(["scripts/verify_webhook_signature.py", receiver.log, Self.secret])
        #expect(verify.status == 0, "\(verify.output)")
        #expect(verify.output.contains("verified 1"))
        let wrong = try python(["scripts/verify_webhook_signature.py", receiver.log, "whsec_" + Data("another key of 24 bytes!".utf8).base64EncodedString()])
        #expect(wrong.status == 1, "a wrong key must fail: the check is real")
    }
}

/// Runs `python3 ARGS` in the repository root.
func python(_ args: [String]) throws -> (status: Int32, output: String) {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
    p.arguments = ["python3"] + args
    p.currentDirectoryURL = URL(fileURLWithPath: LocalReceiver.repoRoot)
    let out = Pipe()
    p.standardOutput = out
    p.standardError = out
    try p.run()
    let data = out.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return (p.terminationStatus, String(decoding: data, as: UTF8.self))
}
