import Foundation
import VigilCore
import VigilStore

/// Turns findings into alert state and alert state into notifications: the rules of alerting,
/// with no I/O, run inside the store's transaction so that the run, the alerts and the outbox
/// change together.
///
/// - A warning or critical finding fires the alert of its fingerprint (model, rule, class).
/// - An `ok` finding, or a rule that no longer reports, resolves it.
/// - An `insufficient-evidence` finding changes nothing: no verdict on too little evidence, so a
///   firing alert is held (still firing, but not repeated until a run confirms it again) and a
///   resolved one stays resolved.
/// - Flap damping: a firing alert resolves (or drops to a lower severity) only after
///   `resolve_after` evaluations in a row do not confirm it (default 2); a rule that no longer
///   reports resolves at once.
/// - Repeats: an unchanged firing alert is re-sent after `repeat_interval`, and only when an
///   evaluation has confirmed it since the last message.
/// - Inhibition: of two findings with one fingerprint, the critical one wins; the warning is
///   recorded on the alert as inhibited. A warning-only route hears nothing more of an alert
///   that became critical, except its resolution.
/// - Per receiver, one notification per model per run lists every firing alert routed to it
///   plus the ones that just resolved. PagerDuty: one incident per model and severity (dedup key
///   `vigil/<model>/<severity>`): a trigger lists every firing alert of that severity, and the
///   incident resolves when none is left. It is sent when something changed for that receiver,
///   or on a repeat.
/// - Silenced alerts are left out; their state is still recorded. When the silence ends, the
///   next pass tells each receiver the current state (a resolved alert is sent as resolved).
///
/// ```swift
/// let planner = AlertPlanner(routing: policy.alerts, receivers: config.receivers, templates: templates, links: nil, actor: "cli")
/// let runID = try store.recordEvaluation(run) { runID, book in
///     try planner.plan(book, findings: run.findings, run: .init(id: runID, window: run.window))
/// }
/// ```
public struct AlertPlanner: Sendable {
    public var routing: AlertRouting
    public var receivers: [String: Receiver]
    public var templates: TemplateSet
    /// Where notifications link to (``ReportLinks``), or `nil`.
    public var links: ReportLinks?
    public var actor: String

    /// The run the findings come from.
    public struct Run: Sendable {
        public var id: Int64
        public var window: TimeWindow
        public init(id: Int64, window: TimeWindow) { self.id = id; self.window = window }
    }

    public init(routing: AlertRouting, receivers: [Receiver], templates: TemplateSet, links: ReportLinks?, actor: String) {
        self.routing = routing
        self.receivers = Dictionary(receivers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.templates = templates
        self.links = links
        self.actor = actor
    }

    /// The fingerprint of (model, rule, class): 16 hex digits of SHA-256.
    public static func fingerprint(model: String, rule: String, className: String?) -> String {
        String(SHA256.hex([model, rule, className ?? ""].joined(separator: "\u{1f}")).prefix(16))
    }

    /// Alert changes and notifications for a run's findings.
    public func plan(_ book: AlertBook, findings: [Finding], run: Run) throws -> AlertChanges {
        var changes = AlertChanges()
        var alerts = book.alerts
        let now = book.now
        var winners: [String: Finding] = [:]
        var inhibited: [String: [Finding]] = [:]
        var seen = Set<String>()
        var undecided = Set<String>()
        for f in findings {
            let fp = Self.fingerprint(model: book.model, rule: f.rule, className: f.className)
            seen.insert(fp)
            if f.severity == .insufficientEvidence { undecided.insert(fp) }
            guard f.severity.alerts else { continue }
            if let w = winners[fp], w.severity >= f.severity {
                inhibited[fp, default: []].append(f)
            } else {
                if let w = winners[fp] { inhibited[fp, default: []].append(w) }
                winners[fp] = f
            }
        }
        for (fp, f) in winners.sorted(by: { $0.key < $1.key }) {
            let old = alerts[fp]
            let threshold = f.severity == .critical ? f.critical : f.warning
            var a = AlertRecord(fingerprint: fp, model: book.model, rule: f.rule, metric: f.metric, className: f.className, severity: f.severity,
                                state: .firing, startsAt: now, updatedAt: now, runID: run.id, window: run.window, value: f.value,
                                threshold: threshold, evidence: f.evidence, message: f.message,
                                inhibited: inhibited[fp].map { $0.map { "\($0.severity.rawValue): \($0.message)" }.joined(separator: "; ") })
            if let old, old.state == .firing {
                a.startsAt = old.startsAt
                if a.severity < old.severity && old.clearRuns + 1 < routing.resolveAfter {
                    // Flap damping applies to de-escalation too: still at its severity until enough evaluations in a row do not confirm it.
                    alerts[fp] = clearing(old, run: run, book: book, into: &changes)
                    continue
                }
                if old.severity != a.severity {
                    changes.events.append(event("alert.\(a.severity > old.severity ? "escalated" : "deescalated")", a, book))
                }
            } else {
                changes.events.append(event("alert.firing", a, book))
            }
            alerts[fp] = a
            changes.alerts.append(a)
        }
        for (fp, old) in alerts.sorted(by: { $0.key < $1.key }) where old.state == .firing && winners[fp] == nil && !undecided.contains(fp) {
            if seen.contains(fp) && old.clearRuns + 1 < routing.resolveAfter {
                // Flap damping: cleared once is not resolved yet.
                alerts[fp] = clearing(old, run: run, book: book, into: &changes)
                continue
            }
            var a = old
            a.clearRuns = old.clearRuns + 1
            a.state = .resolved
            a.endsAt = now
            a.updatedAt = now
            a.runID = run.id
            a.window = run.window
            if let f = findings.first(where: { Self.fingerprint(model: book.model, rule: $0.rule, className: $0.className) == fp }) {
                a.value = f.value
                a.message = f.message
                a.evidence = f.evidence
            } else if !seen.contains(fp) {
                a.message = "rule \(a.rule) no longer reports: resolved"
            }
            alerts[fp] = a
            changes.alerts.append(a)
            changes.events.append(event("alert.resolved", a, book))
        }
        var updated = book
        updated.alerts = alerts
        try notify(updated, run: run, into: &changes)
        return changes
    }

    /// `old`, still firing at its severity, with one more evaluation that did not confirm it
    /// (`alert.clearing`). Not a confirmation either: `updatedAt` stays, so it is not repeated.
    func clearing(_ old: AlertRecord, run: Run, book: AlertBook, into changes: inout AlertChanges) -> AlertRecord {
        var a = old
        a.clearRuns = old.clearRuns + 1
        a.runID = run.id
        a.window = run.window
        changes.alerts.append(a)
        changes.events.append(event("alert.clearing", a, book))
        return a
    }

    /// Notifications due without a new run: repeats, and current state after a silence ends.
    public func reconcile(_ book: AlertBook) throws -> AlertChanges {
        var changes = AlertChanges()
        try notify(book, run: nil, into: &changes)
        return changes
    }

    func notify(_ book: AlertBook, run: Run?, into changes: inout AlertChanges) throws {
        let now = book.now
        let ordered = book.alerts.values.sorted(by: Self.listOrder)
        var names = routing.routes.flatMap(\.receivers)
        for receipts in book.receipts.values { names += receipts.keys.sorted() }
        var done = Set<String>()
        for name in names where done.insert(name).inserted {
            guard let receiver = receivers[name] else { continue }
            var listed: [AlertRecord] = []
            var changed: [AlertRecord] = []
            var fresh = Set<String>()
            for a in ordered {
                let silenced = book.silences.contains { $0.mutes(a, at: now) }
                let receipt = book.receipts[a.fingerprint]?[name]
                if silenced { continue }
                switch a.state {
                case .firing:
                    guard routing.receivers(model: a.model, severity: a.severity).contains(name) else { continue }
                    listed.append(a)
                    if let r = receipt, r.status == .firing, r.severity == a.severity,
                       now - r.sentAt < routing.repeatSeconds * 1000 || a.updatedAt <= r.sentAt || a.clearRuns > 0 { continue }
                    changed.append(a)
                    if !(receipt.map { $0.status == .firing && $0.severity == a.severity } ?? false) { fresh.insert(a.fingerprint) }
                case .resolved:
                    guard receipt?.status == .firing else { continue }
                    if routing.sendResolved {
                        listed.append(a)
                        changed.append(a)
                    } else {
                        changes.receipts.append(AlertReceipt(fingerprint: a.fingerprint, receiver: name, status: .resolved, severity: a.severity, sentAt: now))
                    }
                }
            }
            let groups: [(alerts: [AlertRecord], incident: Incident?)]
            if receiver.kind.isPerAlert {
                groups = Self.incidents(book, receiver: name, listed: listed, changed: changed, sendResolved: routing.sendResolved)
            } else {
                groups = changed.isEmpty ? [] : [(listed, nil)]
            }
            for (group, incident) in groups {
                let runID = run?.id ?? group.compactMap(\.runID).max()
                let window = run?.window ?? group.first(where: { $0.runID == runID })?.window
                let id = AlertNotification.id([name, book.model, String(now)] + group.map { "\($0.fingerprint):\($0.state.rawValue):\($0.severity.rawValue)" })
                var n = AlertNotification(id: id, receiver: receiver, topic: "alert", model: book.model, alerts: group, runID: runID, window: window,
                                          createdAt: now, links: links)
                n.incident = incident
                n.fresh = fresh
                changes.notifications.append(OutboxNotification(id: id, receiver: name, model: book.model, topic: "alert",
                                                                body: try templates.render(n.context(), for: receiver), createdAt: now))
                changes.events.append(Event(ts: now, actor: actor, kind: "alert.notification.queued", model: book.model, subject: "notification/\(id)",
                                            details: JSONText.object(["receiver": name, "status": n.status.rawValue,
                                                                             "alerts": String(group.count), "run_id": runID.map(String.init)])))
                for a in group {
                    // An incident's resolve closes it for this receiver even for an alert still firing at another severity.
                    let status: AlertState = incident?.action == .resolve ? .resolved : a.state
                    changes.receipts.append(AlertReceipt(fingerprint: a.fingerprint, receiver: name, status: status, severity: a.severity, sentAt: now))
                }
            }
        }
    }

    /// A per-incident receiver's incident (PagerDuty): one per model and severity.
    public struct Incident: Sendable, Equatable {
        public enum Action: String, Sendable { case trigger, resolve }
        public var severity: Severity
        public var action: Action
    }

    /// The incidents to tell a per-incident receiver about: for each severity, a resolve when
    /// it was told alerts of that severity fire and none does now (sent first, so a trigger's
    /// receipts win), then a trigger listing every firing alert of that severity when one of
    /// them changed or is due.
    static func incidents(_ book: AlertBook, receiver: String, listed: [AlertRecord], changed: [AlertRecord],
                          sendResolved: Bool) -> [(alerts: [AlertRecord], incident: Incident?)] {
        var resolves: [(alerts: [AlertRecord], incident: Incident?)] = []
        var triggers: [(alerts: [AlertRecord], incident: Incident?)] = []
        for severity in [Severity.critical, .warning, .info] {
            let firing = listed.filter { $0.state == .firing && $0.severity == severity }
            let told = book.alerts.values.filter { book.receipts[$0.fingerprint]?[receiver].map { $0.status == .firing && $0.severity == severity } ?? false }
                .sorted(by: listOrder)
            if firing.isEmpty, !told.isEmpty, sendResolved {
                let toldResolved = told.map { a in changed.first { $0.fingerprint == a.fingerprint } ?? a }
                resolves.append((toldResolved, Incident(severity: severity, action: .resolve)))
            } else if changed.contains(where: { $0.state == .firing && $0.severity == severity }) {
                triggers.append((firing, Incident(severity: severity, action: .trigger)))
            }
        }
        return resolves + triggers
    }

    /// Firing before resolved, then critical before warning, then by rule.
    static func listOrder(_ a: AlertRecord, _ b: AlertRecord) -> Bool {
        if a.state != b.state { return a.state == .firing }
        if a.severity != b.severity { return a.severity > b.severity }
        return a.rule < b.rule
    }

    func event(_ kind: String, _ a: AlertRecord, _ book: AlertBook) -> Event {
        let silenced = book.silences.first { $0.mutes(a, at: book.now) }
        return Event(ts: book.now, actor: actor, kind: kind, model: a.model, subject: "alert/\(a.fingerprint)",
                     details: JSONText.object(["rule": a.rule, "class": a.className, "severity": a.severity.rawValue,
                                                      "message": a.message, "inhibited": a.inhibited,
                                                      "silenced_by": silenced?.id.map { "silence/\($0)" }]))
    }
}
