import Foundation
import VigilCore
import VigilStore

/// An alert episode of a model: from the moment one of its alerts started firing while none
/// did, to the moment the last of them resolved. A month with hundreds of repeat
/// notifications to several receivers is still one episode per outbreak; the notifications
/// are counted in it.
public struct AlertEpisode: Sendable, Equatable {
    public var start: Int64
    /// When its last alert resolved; `nil` while one still fires.
    public var end: Int64?
    /// The worst severity any of its alerts reached.
    public var severity: Severity
    /// The rules that fired, in the order they first fired (with the class, `rule (class)`).
    public var rules: [String]
    /// Alert notifications queued from its start to its resolution (repeats and the resolution included), by receiver.
    public var notifications: [String: Int]

    /// Every notification of the episode, to any receiver.
    public var notificationCount: Int { notifications.values.reduce(0, +) }
}

/// An event worth a line in the report's table: alerts opening, escalating and resolving,
/// silences, retraining, registrations, gate verdicts, promotions and rollbacks, baseline changes.
public struct ReportEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable {
        case alert, silence, retraining, registry, promotion, baseline
    }

    public var kind: Kind
    public var time: Int64
    public var text: String
    /// Drawn as a marker on the time lines too: promotions and rollbacks, finished retraining, baseline changes.
    public var marked: Bool = false
}

/// A model's event log as a report shows it: alert episodes instead of notification rows,
/// and the events a person looks for.
public struct ReportEvents: Sendable, Equatable {
    public var episodes: [AlertEpisode]
    public var events: [ReportEvent]
    /// Notices queued that were not about alert state (retraining, gate verdicts, promotions, tests).
    public var notices: Int

    /// Reads `log` (one model's events, oldest first: the whole log, so an episode that began
    /// before `since` is known) and keeps what overlaps `since` and after.
    public init(log: [Event], since: Int64) {
        var episodes: [AlertEpisode] = []
        var events: [ReportEvent] = []
        var notices = 0
        // Alert changes of one evaluation (same instant, same change) share a row: `changes[i]` lists row i's.
        var changes: [Int: (change: String, alerts: [(severity: Severity, rule: String, message: String)])] = [:]
        func alertChange(_ e: Event, _ change: String, _ severity: Severity, _ rule: String, _ message: String) {
            if let last = events.indices.last, events[last].kind == .alert, events[last].time == e.ts, changes[last]?.change == change {
                changes[last]!.alerts.append((severity, rule, message))
                events[last].text = Self.describe(change, changes[last]!.alerts)
            } else {
                changes[events.count] = (change, [(severity, rule, message)])
                events.append(ReportEvent(kind: .alert, time: e.ts, text: Self.describe(change, [(severity, rule, message)])))
            }
        }
        var firing: [String: Severity] = [:]
        var open: AlertEpisode?
        for e in log {
            let details = Self.details(e)
            let fingerprint = e.subject ?? ""
            switch e.kind {
            case "alert.firing", "alert.escalated", "alert.deescalated":
                let severity = details["severity"].flatMap(Severity.init(rawValue:)) ?? .warning
                firing[fingerprint] = severity
                let rule = Self.rule(details)
                if open == nil { open = AlertEpisode(start: e.ts, end: nil, severity: severity, rules: [], notifications: [:]) }
                open!.severity = max(open!.severity, severity)
                if !open!.rules.contains(rule) { open!.rules.append(rule) }
                let change = e.kind == "alert.firing" ? "firing" : e.kind == "alert.escalated" ? "escalated" : "de-escalated"
                alertChange(e, change, severity, rule, details["message"] ?? "")
            case "alert.resolved":
                firing[fingerprint] = nil
                alertChange(e, "resolved", details["severity"].flatMap(Severity.init(rawValue:)) ?? .warning, Self.rule(details), "")
                if firing.isEmpty, var episode = open {
                    episode.end = e.ts
                    episodes.append(episode)
                    open = nil
                }
            case "alert.notification.queued":
                guard details["topic"] == nil else { notices += e.ts >= since ? 1 : 0; continue }
                let receiver = details["receiver"] ?? "?"
                if open != nil {
                    open!.notifications[receiver, default: 0] += 1
                } else if let last = episodes.indices.last, episodes[last].end == e.ts {
                    // The resolution's notification is queued in the transaction that resolved the episode.
                    episodes[last].notifications[receiver, default: 0] += 1
                }
            case "alert.silence":
                let what = [details["rule"], details["class"]].compactMap { $0 }.joined(separator: " / ")
                events.append(ReportEvent(kind: .silence, time: e.ts, text: "silenced \(what.isEmpty ? "every alert" : what) until \(details["ends_at"] ?? "?"): \(details["reason"] ?? "")"))
            case "alert.unsilence":
                events.append(ReportEvent(kind: .silence, time: e.ts, text: "\(e.subject ?? "silence") ended early"))
            case "registry.registered":
                events.append(ReportEvent(kind: .registry, time: e.ts, text: "\(Self.version(e.subject)) registered" + (details["job"].map { $0.isEmpty ? "" : " by retraining job \($0)" } ?? "")))
            case "registry.updated":
                events.append(ReportEvent(kind: .registry, time: e.ts, text: "\(Self.version(e.subject)): " + ((details["state"] ?? "").isEmpty ? "model card updated (gate verdict or notes)" : "is now \(details["state"]!)")))
            case "registry.promoted", "registry.promoted.override", "registry.rollback", "registry.alias":
                let alias = (e.subject ?? "alias/?").replacingOccurrences(of: "alias/", with: "")
                let how = ["registry.promoted": "promoted", "registry.promoted.override": "promoted by override", "registry.rollback": "rolled back",
                           "registry.alias": "set"][e.kind]!
                let reason = (details["reason"] ?? "").isEmpty ? "" : " (\(details["reason"]!))"
                events.append(ReportEvent(kind: .promotion, time: e.ts, text: "\(alias) \(how): \(details["from"].map { $0.isEmpty ? "" : "\($0) → " } ?? "")\(details["to"] ?? "?")\(reason)",
                                          marked: alias == "champion"))
            case BaselineWindow.eventKind:
                let from = details["from"].flatMap { Int64($0) }.map { Timestamp.format(millis: $0) } ?? "?"
                let to = details["to"].flatMap { Int64($0) }.map { Timestamp.format(millis: $0) } ?? "?"
                events.append(ReportEvent(kind: .baseline, time: e.ts, text: "baseline set to \(from) → \(to): \(details["reason"] ?? "")", marked: true))
            default:
                guard e.kind.hasPrefix("retrain.") else { continue }
                let state = String(e.kind.dropFirst("retrain.".count))
                let job = (e.subject ?? "").replacingOccurrences(of: "retrain/", with: "")
                let extra = [details["trigger"].map { "trigger \($0)" }, details["candidate"].map { "candidate \($0)" }, details["error"]]
                    .compactMap { $0 }.joined(separator: ", ")
                events.append(ReportEvent(kind: .retraining, time: e.ts, text: "retraining job \(job) \(state)" + (extra.isEmpty ? "" : " (\(extra))"),
                                          marked: ["succeeded", "failed", "cancelled"].contains(state)))
            }
        }
        if let open { episodes.append(open) }
        self.episodes = episodes.filter { ($0.end ?? .max) >= since }.map { episode in
            var clipped = episode
            clipped.start = max(episode.start, since)
            return clipped
        }
        // In time order (the log is in commit order; a backfilled or imported event may be older than the ones before it).
        self.events = events.enumerated().filter { $0.element.time >= since }
            .sorted { ($0.element.time, $0.offset) < ($1.element.time, $1.offset) }.map(\.element)
        self.notices = notices
    }

    /// The details object of an event, every value as text.
    static func details(_ e: Event) -> [String: String] {
        guard let object = (try? JSONSerialization.jsonObject(with: Data(e.details.utf8))) as? [String: Any] else { return [:] }
        return object.compactMapValues { value in
            if value is NSNull { return nil }
            if let n = value as? NSNumber { return n.stringValue }
            return "\(value)"
        }
    }

    /// The rule, with its class when the rule's name does not already say it.
    static func rule(_ details: [String: String]) -> String {
        let rule = details["rule"] ?? "?"
        guard let c = details["class"], !rule.contains(c) else { return rule }
        return "\(rule) (\(c))"
    }

    /// One alert change (`alert firing critical: map50 — map50 is 0.064 …`), or several of one
    /// evaluation in a line, worst first (`14 alerts firing — critical: recall[cross], map50; info: …`).
    static func describe(_ change: String, _ alerts: [(severity: Severity, rule: String, message: String)]) -> String {
        if alerts.count == 1, let a = alerts.first {
            return change == "resolved" ? "alert resolved: \(a.rule)" : "alert \(change == "firing" ? "firing" : "\(change) to") \(a.severity.rawValue): \(a.rule) — \(a.message)"
        }
        if change == "resolved" { return "\(alerts.count) alerts resolved: " + alerts.map(\.rule).joined(separator: ", ") }
        let bySeverity = Dictionary(grouping: alerts, by: \.severity).sorted { $0.key > $1.key }
        return "\(alerts.count) alerts \(change) — " + bySeverity.map { "\($0.key.rawValue): " + $0.value.map(\.rule).joined(separator: ", ") }.joined(separator: "; ")
    }

    static func version(_ subject: String?) -> String {
        subject.map { $0.replacingOccurrences(of: "version/", with: "v") } ?? "a version"
    }
}
