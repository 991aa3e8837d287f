import Foundation
import VigilCore
import VigilStore

/// One notification before rendering: which alerts, for whom, and the links back to Vigil.
/// ``context()`` turns it into what the templates in `alerts/` see (documented in docs/formats.md).
public struct AlertNotification: Sendable {
    public var id: String
    public var receiver: Receiver
    /// `alert` for alert state; `test`, `retrain.started`, … for other notices.
    public var topic: String
    public var model: String
    /// The alerts it tells about, each in its current state (firing first).
    public var alerts: [AlertRecord]
    public var runID: Int64?
    public var window: TimeWindow?
    public var createdAt: Int64
    /// The report links (`server_url` from vigil.yaml, signed with the store's secret), or `nil` without a server URL.
    public var links: ReportLinks?
    /// For per-incident receivers (PagerDuty): the model's incident of one severity this notification triggers or resolves.
    public var incident: AlertPlanner.Incident?
    /// Fingerprints of the alerts that are new to this receiver (or changed severity) since its last message: the headline says so.
    public var fresh: Set<String> = []

    public init(id: String, receiver: Receiver, topic: String, model: String, alerts: [AlertRecord], runID: Int64?, window: TimeWindow?,
                createdAt: Int64, links: ReportLinks?) {
        self.id = id
        self.receiver = receiver
        self.topic = topic
        self.model = model
        self.alerts = alerts
        self.runID = runID
        self.window = window
        self.createdAt = createdAt
        self.links = links
    }

    /// A stable id for the notification with `parts` (same parts, same id).
    public static func id(_ parts: [String]) -> String {
        "vn_" + String(SHA256.hex(parts.joined(separator: "\u{1f}")).prefix(24))
    }

    /// `firing` when any alert fires, else `resolved`.
    public var status: AlertState { alerts.contains { $0.state == .firing } ? .firing : .resolved }

    /// The command that repeats the evaluation behind it.
    public var evaluateCommand: String {
        guard let window else { return "vigil evaluate --model \(model)" }
        return "vigil evaluate --model \(model) --from \(Timestamp.format(millis: window.from)) --to \(Timestamp.format(millis: window.to))"
    }

    /// The report page of the run (of the model without a run), when a server is configured:
    /// signed, so it opens from a chat message for ``ReportLinks/validitySeconds``.
    public var reportURL: String? { links?.url(model: model, runID: runID, issuedAt: createdAt) }

    /// How many alerts a body lists before saying "and N more", per kind (message size limits).
    var listLimit: Int {
        switch receiver.kind {
        case .discord: 10
        case .slack, .teams: 40
        default: 100
        }
    }

    /// The template context. Strings are raw (the templates' `{{x}}` escapes them for JSON);
    /// keys ending in `_json` are ready-made JSON for `{{{x_json}}}`.
    public func context() -> [String: Any] {
        let firing = alerts.filter { $0.state == .firing }
        let resolved = alerts.count - firing.count
        let listed = Array(alerts.prefix(listLimit))
        let worst = firing.map(\.severity).max() ?? alerts.map(\.severity).max() ?? .ok
        let title = topic == "alert"
            ? "[\(status.rawValue.uppercased())\(firing.isEmpty ? "" : ":\(firing.count)")] \(model)"
                + (firing.isEmpty ? " recovered" : " \(worst.rawValue)")
            : "[\(topic)] \(model)"
        var c: [String: Any] = [
            "id": id, "topic": topic, "receiver": receiver.name, "model": model, "status": status.rawValue,
            "title": String(title.prefix(150)), "summary": summary(firing: firing.count, resolved: resolved),
            "severity": worst.rawValue, "created_at": Timestamp.format(millis: createdAt),
            "has_run": runID != nil, "run_id": runID.map(String.init) ?? "", "run_id_json": runID.map(String.init) ?? "null",
            "evaluate_command": evaluateCommand,
            "has_report_url": reportURL != nil, "report_url": reportURL ?? "", "report_url_json": JSONText.quote(reportURL),
            // Slack's mrkdwn takes &, < and > as control characters, inside links too: escaped.
            "report_url_mrkdwn": (reportURL ?? "").replacingOccurrences(of: "&", with: "&amp;")
                .replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;"),
            "external_url": links?.serverURL ?? "", "color": String(Self.color(status: status, severity: worst)),
            "alerts": listed.map(alertContext), "truncated_alerts": String(alerts.count - listed.count),
            "has_truncated": alerts.count > listed.count,
            "group_key": "{}:{model=\"\(model)\"}", "group_labels_json": JSONText.object(["model": model]),
        ]
        let labels = alerts.map(Self.labels)
        c["common_labels_json"] = JSONText.object(Self.common(labels))
        c["common_annotations_json"] = JSONText.object(Self.common(alerts.map(annotations)))
        if receiver.kind.isPerAlert, let a = alerts.first {
            // One incident per request: the first (worst) alert's fields at the top level as well.
            for (k, v) in alertContext(a) { c[k] = v }
            let severity = incident?.severity ?? a.severity
            let trigger = incident.map { $0.action == .trigger } ?? (a.state == .firing)
            c["event_action"] = trigger ? "trigger" : "resolve"
            c["is_trigger"] = trigger
            c["dedup_key"] = Self.incidentKey(model: model, severity: severity)
            c["routing_key"] = receiver.routingKey ?? ""
            c["source"] = "vigil/\(model)"
            c["pd_severity"] = Self.pagerDutySeverity(severity)
            c["pd_summary"] = String(headline(severity: severity).prefix(1024))
            c["custom_details_json"] = JSONText.object([
                "alerts": String(alerts.count), "firing": alerts.filter { $0.state == .firing }.map(\.rule).joined(separator: ", "),
                "first": a.message, "since": Timestamp.format(millis: alerts.map(\.startsAt).min() ?? a.startsAt),
                "run_id": runID.map(String.init), "evaluate_command": evaluateCommand,
            ])
        }
        return c
    }

    /// The incident key of a model's alerts of one severity (PagerDuty `dedup_key`).
    public static func incidentKey(model: String, severity: Severity) -> String { "vigil/\(model)/\(severity.rawValue)" }

    /// One line a person reads in five seconds: severity, model, the worst alert's message, since when, and how many more.
    func headline(severity: Severity) -> String {
        guard let a = alerts.first else { return "[\(severity.rawValue)] \(model)" }
        let firing = alerts.filter { $0.state == .firing }
        let more = firing.count > 1 ? " (+\(firing.count - 1) more: \(firing.dropFirst().prefix(4).map(\.rule).joined(separator: ", ")))" : ""
        return "[\(severity.rawValue)] \(model): \(a.rule) — \(a.message); since \(Timestamp.format(millis: a.startsAt))\(more)\(newSince)"
    }

    /// ` — new since the last message: R1, R2` when some listed alerts are new to the receiver, or "" when all were told before (a repeat).
    var newSince: String {
        let new = alerts.filter { fresh.contains($0.fingerprint) && $0.state == .firing }.map(\.rule)
        if new.isEmpty { return fresh.isEmpty && alerts.contains { $0.state == .firing } ? " — unchanged since the last message" : "" }
        return " — new since the last message: " + new.prefix(5).joined(separator: ", ") + (new.count > 5 ? " (+\(new.count - 5))" : "")
    }

    func summary(firing: Int, resolved: Int) -> String {
        let lines = alerts.prefix(5).map { "\($0.state == .firing ? $0.severity.rawValue : "resolved") \($0.rule): \($0.message)" }
        let more = alerts.count > 5 ? " (+\(alerts.count - 5) more)" : ""
        return "\(firing) firing, \(resolved) resolved\(newSince). " + lines.joined(separator: "; ") + more
    }

    func alertContext(_ a: AlertRecord) -> [String: Any] {
        [
            "fingerprint": a.fingerprint, "status": a.state.rawValue, "severity": a.severity.rawValue, "rule": a.rule, "metric": a.metric,
            "class": a.className ?? "", "class_json": JSONText.quote(a.className),
            "value": a.value.map(Self.number) ?? "", "value_json": a.value.map(Self.number) ?? "null",
            "threshold": a.threshold.map(Self.number) ?? "", "threshold_json": a.threshold.map(Self.number) ?? "null",
            "evidence": String(a.evidence), "message": String(a.message.prefix(500)),
            "starts_at": Timestamp.format(millis: a.startsAt),
            "ends_at_or_zero": a.endsAt.map { Timestamp.format(millis: $0) } ?? "0001-01-01T00:00:00Z",
            "ends_at_json": JSONText.quote(a.endsAt.map { Timestamp.format(millis: $0) }),
            "labels_json": JSONText.object(Self.labels(a)), "annotations_json": JSONText.object(annotations(a)),
            "generator_url": reportURL ?? "", "pd_severity": Self.pagerDutySeverity(a.severity),
            "emoji": a.state == .resolved ? "✅" : a.severity == .critical ? "🔴" : a.severity == .warning ? "🟠" : "🔵",
        ]
    }

    static func labels(_ a: AlertRecord) -> [String: String?] {
        ["alertname": a.rule, "model": a.model, "metric": a.metric, "class": a.className, "severity": a.severity.rawValue, "source": "vigil"]
    }

    func annotations(_ a: AlertRecord) -> [String: String?] {
        ["summary": a.message, "value": a.value.map(Self.number), "threshold": a.threshold.map(Self.number), "evidence": String(a.evidence),
         "evaluate_command": evaluateCommand, "run_id": runID.map(String.init)]
    }

    /// Fields with the same value in every map.
    static func common(_ maps: [[String: String?]]) -> [String: String?] {
        guard let first = maps.first else { return [:] }
        return first.filter { k, v in maps.allSatisfy { ($0[k] ?? nil) == v } }
    }

    static func number(_ v: Double) -> String { String(format: "%.4g", v) }

    /// PagerDuty's severity for Vigil's: critical, warning, else info.
    static func pagerDutySeverity(_ severity: Severity) -> String {
        switch severity {
        case .critical: "critical"
        case .warning: "warning"
        default: "info"
        }
    }

    /// Discord embed colours: red critical, orange warning, green resolved, grey otherwise.
    static func color(status: AlertState, severity: Severity) -> Int {
        if status == .resolved { return 0x2E_CC71 }
        switch severity {
        case .critical: return 0xE7_4C3C
        case .warning: return 0xE6_7E22
        default: return 0x95_A5A6
        }
    }
}
