import Foundation
import Testing
import VigilAlerts
import VigilCore
import VigilStore

/// Grouping, repeats, resolution, inhibition, silences and insufficient evidence, on simulated
/// time (a FixedClock moved by hand), against a real SQLite store.
@Suite struct AlertPlannerTests {
    static let receivers = [
        Receiver(name: "team", kind: .webhook, url: "http://127.0.0.1:9/team"),
        Receiver(name: "oncall", kind: .webhook, url: "http://127.0.0.1:9/oncall"),
        Receiver(name: "pager", kind: .pagerduty, url: "http://127.0.0.1:9/pd", routingKey: "${PD_KEY}"),
    ]
    /// Resolves on the first clear run, so each test here sees one rule at a time; flap damping
    /// (the default `resolve_after: 2`) has its own tests below.
    static let routing = AlertRouting(resolveAfter: 1, routes: [
        AlertRoute(receivers: ["team"], severity: [.warning]),
        AlertRoute(receivers: ["oncall", "pager"], severity: [.critical]),
    ])

    func bed() throws -> AlertTestBed { try AlertTestBed(receivers: Self.receivers, routing: Self.routing) }

    @Test func oneNotificationPerModelPerRunPerReceiver() throws {
        let bed = try bed()
        try bed.evaluate([finding("recall", "bag", .warning), finding("recall", "can", .warning), finding("recall", "cup", .critical),
                          finding("accuracy", nil, .ok)])
        let rows = try bed.outbox()
        #expect(rows.filter { $0.notification.receiver == "team" }.count == 1)
        #expect(rows.filter { $0.notification.receiver == "oncall" }.count == 1)
        #expect(rows.filter { $0.notification.receiver == "pager" }.count == 1, "PagerDuty: one incident per model and severity")
        let team = try #require(rows.first { $0.notification.receiver == "team" })
        #expect(webhookAlerts(team).map { $0["rule"] as? String } == ["recall[bag]", "recall[can]"])
        let oncall = try #require(rows.first { $0.notification.receiver == "oncall" })
        #expect(webhookAlerts(oncall).map { $0["rule"] as? String } == ["recall[cup]"])
        #expect(try bed.store.alerts(model: nil).filter { $0.state == .firing }.count == 3)
        let kinds = try bed.store.events(model: AlertTestBed.model, limit: 100).map(\.kind)
        #expect(kinds.filter { $0 == "alert.firing" }.count == 3)
        #expect(kinds.filter { $0 == "alert.notification.queued" }.count == 3)
    }

    @Test func repeatsAfterTheRepeatIntervalOnly() throws {
        let bed = try bed()
        let findings = [finding("recall", "bag", .warning)]
        try bed.evaluate(findings)
        bed.clock.advance(by: 3600)
        try bed.evaluate(findings)
        try bed.reconcile()
        #expect(try bed.outbox().count == 1, "unchanged within 24 h (the default repeat interval): nothing new")
        bed.clock.advance(by: 22 * 3600)
        try bed.reconcile()
        #expect(try bed.outbox().count == 1, "23 h after the first: still nothing new")
        bed.clock.advance(by: 3600)
        try bed.reconcile()
        #expect(try bed.outbox().count == 2, "24 h after the first: repeated")
        try bed.reconcile()
        #expect(try bed.outbox().count == 2)
    }

    @Test func resolvedAlertsAreSentOnceToWhoeverHeardTheyFired() throws {
        let bed = try bed()
        try bed.evaluate([finding("recall", "bag", .warning), finding("recall", "can", .warning)])
        bed.clock.advance(by: 600)
        try bed.evaluate([finding("recall", "bag", .ok, value: 0.9), finding("recall", "can", .warning)])
        let rows = try bed.outbox().filter { $0.notification.receiver == "team" }
        #expect(rows.count == 2)
        let second = webhookAlerts(rows[1])
        #expect(second.map { $0["status"] as? String } == ["firing", "resolved"], "the group lists what still fires and what resolved")
        let bag = try #require(try bed.store.alerts(model: nil).first { $0.rule == "recall[bag]" })
        #expect(bag.state == .resolved && bag.endsAt == bed.now)
        bed.clock.advance(by: 600)
        try bed.evaluate([finding("recall", "bag", .ok, value: 0.9), finding("recall", "can", .warning)])
        #expect(try bed.outbox().filter { $0.notification.receiver == "team" }.count == 2, "nothing changed: nothing sent")
    }

    @Test func criticalInhibitsTheWarningOfTheSameFingerprint() throws {
        // Two findings with one fingerprint cannot come from one stored run (one finding per
        // rule), but can from future rule sources: the planner itself collapses them.
        let bed = try bed()
        let book = AlertBook(model: AlertTestBed.model, now: bed.now, alerts: [:], receipts: [:], silences: [])
        let changes = try bed.planner.plan(book, findings: [finding("recall", "bag", .warning), finding("recall", "bag", .critical, value: 0.5)],
                                           run: .init(id: 1, window: TimeWindow(from: 0, to: bed.now)))
        #expect(changes.alerts.count == 1)
        #expect(changes.alerts[0].severity == .critical)
        #expect(changes.alerts[0].inhibited?.hasPrefix("warning:") == true)
        #expect(!changes.notifications.contains { $0.receiver == "team" }, "the warning route hears nothing of an inhibited warning")
        #expect(changes.notifications.contains { $0.receiver == "oncall" })
    }

    @Test func escalationGoesToTheCriticalRouteAndResolutionToEveryoneTold() throws {
        let bed = try bed()
        try bed.evaluate([finding("recall", "bag", .warning)])
        bed.clock.advance(by: 600)
        try bed.evaluate([finding("recall", "bag", .critical, value: 0.5)])
        var rows = try bed.outbox()
        #expect(rows.filter { $0.notification.receiver == "team" }.count == 1, "escalated past the warning route: inhibited there")
        #expect(rows.filter { $0.notification.receiver == "oncall" }.count == 1)
        bed.clock.advance(by: 600)
        try bed.evaluate([finding("recall", "bag", .ok, value: 0.9)])
        rows = try bed.outbox()
        for name in ["team", "oncall"] {
            let last = try #require(rows.last { $0.notification.receiver == name })
            #expect(webhookAlerts(last).map { $0["status"] as? String } == ["resolved"], "\(name)")
        }
        let pager = rows.filter { $0.notification.receiver == "pager" }.map(json)
        #expect(pager.map { $0["event_action"] as? String } == ["trigger", "resolve"])
        #expect(Set(pager.map { $0["dedup_key"] as? String }).count == 1, "trigger and resolve share the fingerprint's dedup_key")
        #expect(try bed.store.events(model: AlertTestBed.model, limit: 100).contains { $0.kind == "alert.escalated" })
    }

    @Test func silencedAlertsKeepTheirStateAndReceiversGetTheCurrentStateAfterwards() throws {
        let bed = try bed()
        try bed.evaluate([finding("recall", "bag", .warning)])
        #expect(try bed.outbox().count == 1)
        _ = try bed.store.addSilence(Silence(model: AlertTestBed.model, rule: "recall[bag]", startsAt: bed.now, endsAt: bed.now + 6 * 3_600_000,
                                             reason: "camera swap", createdBy: "test"))
        // Fires again (repeat due) and then resolves, all while silenced: recorded, not sent.
        bed.clock.advance(by: 5 * 3600)
        try bed.evaluate([finding("recall", "bag", .warning)])
        bed.clock.advance(by: 1800)
        try bed.evaluate([finding("recall", "bag", .ok, value: 0.9)])
        #expect(try bed.outbox().count == 1, "nothing sent while silenced")
        #expect(try bed.store.alerts(model: nil)[0].state == .resolved, "resolved while silenced is still recorded")
        // The silence ends: the receiver, last told 'firing', now hears 'resolved' — never a stale firing.
        bed.clock.advance(by: 3600)
        try bed.reconcile()
        let rows = try bed.outbox()
        #expect(rows.count == 2)
        #expect(webhookAlerts(rows[1]).map { $0["status"] as? String } == ["resolved"])
    }

    @Test func anAlertThatFiredAndResolvedInsideASilenceIsNeverSent() throws {
        let bed = try bed()
        _ = try bed.store.addSilence(Silence(model: AlertTestBed.model, startsAt: bed.now, endsAt: bed.now + 3_600_000, reason: "maintenance", createdBy: "test"))
        try bed.evaluate([finding("recall", "bag", .warning)])
        bed.clock.advance(by: 600)
        try bed.evaluate([finding("recall", "bag", .ok)])
        bed.clock.advance(by: 7200)
        try bed.reconcile()
        #expect(try bed.outbox().isEmpty)
        #expect(try bed.store.alerts(model: nil)[0].state == .resolved)
    }

    @Test func aFiringAlertIsSentWhenItsSilenceEnds() throws {
        let bed = try bed()
        let silence = try bed.store.addSilence(Silence(model: AlertTestBed.model, startsAt: bed.now, endsAt: bed.now + 3_600_000, reason: "deploy", createdBy: "test"))
        try bed.evaluate([finding("recall", "bag", .warning)])
        #expect(try bed.outbox().isEmpty)
        bed.clock.advance(by: 60)
        #expect(try bed.store.endSilence(id: silence, now: bed.now, actor: "test"))
        try bed.reconcile()
        let rows = try bed.outbox()
        #expect(rows.count == 1)
        #expect(webhookAlerts(rows[0]).map { $0["status"] as? String } == ["firing"])
    }

    @Test func insufficientEvidenceNeitherPagesNorResolves() throws {
        let bed = try bed()
        try bed.evaluate([finding("recall", "bag", .warning), finding("recall", "can", .insufficientEvidence)])
        bed.clock.advance(by: 600)
        try bed.evaluate([finding("recall", "bag", .insufficientEvidence), finding("recall", "can", .insufficientEvidence)])
        let alerts = try bed.store.alerts(model: nil)
        #expect(alerts.map(\.rule) == ["recall[bag]"], "insufficient evidence creates no alert")
        #expect(alerts[0].state == .firing, "and does not resolve one: no verdict on too little evidence")
        #expect(try bed.outbox().count == 1)
    }

    @Test func aRuleThatNoLongerReportsResolves() throws {
        let bed = try bed()
        try bed.evaluate([finding("recall", "bag", .warning)])
        try bed.evaluate([])
        let a = try bed.store.alerts(model: nil)[0]
        #expect(a.state == .resolved)
        #expect(a.message.contains("no longer reports"))
    }

    @Test func fingerprintsAreStableAndDistinct() {
        let a = AlertPlanner.fingerprint(model: "m", rule: "recall[bag]", className: "bag")
        #expect(a == AlertPlanner.fingerprint(model: "m", rule: "recall[bag]", className: "bag"))
        #expect(a != AlertPlanner.fingerprint(model: "m2", rule: "recall[bag]", className: "bag"))
        #expect(a.count == 16)
    }

    // MARK: Flap damping, held alerts, one incident per model and severity

    func dampedBed() throws -> AlertTestBed {
        try AlertTestBed(receivers: Self.receivers, routing: AlertRouting(routes: Self.routing.routes))
    }

    @Test func anAlertResolvesOnlyAfterTwoClearEvaluationsInARow() throws {
        let bed = try dampedBed()
        try bed.evaluate([finding("recall", "bag", .warning)])
        bed.clock.advance(by: 86_400)
        try bed.evaluate([finding("recall", "bag", .ok, value: 0.9)])
        var bag = try #require(try bed.store.alerts(model: nil).first)
        #expect(bag.state == .firing && bag.clearRuns == 1, "one clear evaluation is not enough")
        #expect(try bed.outbox().count == 1, "nothing sent while it is clearing")
        bed.clock.advance(by: 86_400)
        try bed.evaluate([finding("recall", "bag", .warning)])
        bag = try #require(try bed.store.alerts(model: nil).first)
        #expect(bag.state == .firing && bag.clearRuns == 0, "evidence again: the count starts over")
        bed.clock.advance(by: 86_400)
        try bed.evaluate([finding("recall", "bag", .ok, value: 0.9)])
        bed.clock.advance(by: 86_400)
        try bed.evaluate([finding("recall", "bag", .ok, value: 0.9)])
        bag = try #require(try bed.store.alerts(model: nil).first)
        #expect(bag.state == .resolved)
        let team = try bed.outbox().filter { $0.notification.receiver == "team" }
        #expect(webhookAlerts(team.last!).map { $0["status"] as? String } == ["resolved"])
        #expect(try bed.store.events(model: AlertTestBed.model, limit: 100).filter { $0.kind == "alert.clearing" }.count == 2)
    }

    @Test func aCriticalAlertDropsToWarningOnlyAfterTwoEvaluationsInARow() throws {
        let bed = try dampedBed()
        try bed.evaluate([finding("accuracy", nil, .critical)])
        bed.clock.advance(by: 86_400)
        try bed.evaluate([finding("accuracy", nil, .warning)])
        #expect(try bed.store.alerts(model: nil).first?.severity == .critical, "one evaluation below critical's evidence is not enough")
        #expect(try bed.outbox().filter { $0.notification.receiver == "pager" }.count == 1, "no resolve of the incident, so no second page later")
        bed.clock.advance(by: 86_400)
        try bed.evaluate([finding("accuracy", nil, .critical)])
        #expect(try bed.store.alerts(model: nil).first.map { $0.severity == .critical && $0.clearRuns == 0 } == true)
        bed.clock.advance(by: 86_400)
        try bed.evaluate([finding("accuracy", nil, .warning)])
        bed.clock.advance(by: 86_400)
        try bed.evaluate([finding("accuracy", nil, .warning)])
        #expect(try bed.store.alerts(model: nil).first?.severity == .warning)
        let pager = try bed.outbox().filter { $0.notification.receiver == "pager" }
        #expect(json(pager.last!)["event_action"] as? String == "resolve", "the critical incident resolves once critical is gone for good")
    }

    @Test func aHeldAlertIsNotRepagedUntilAnEvaluationConfirmsIt() throws {
        let bed = try dampedBed()
        try bed.evaluate([finding("recall", "cup", .critical)])
        #expect(try bed.outbox().filter { $0.notification.receiver == "pager" }.count == 1)
        // The next windows hold too few labels of 'cup': the alert is held, firing, and not repeated.
        for _ in 0..<3 {
            bed.clock.advance(by: 86_400)
            try bed.evaluate([finding("recall", "cup", .insufficientEvidence)])
            try bed.reconcile()
        }
        #expect(try bed.outbox().filter { $0.notification.receiver == "pager" }.count == 1, "held: no repeat on every interval")
        #expect(try bed.store.alerts(model: nil).first?.state == .firing)
        bed.clock.advance(by: 86_400)
        try bed.evaluate([finding("recall", "cup", .critical)])
        let pager = try bed.outbox().filter { $0.notification.receiver == "pager" }
        #expect(pager.count == 2, "confirmed after the repeat interval: repeated")
        let repeated = try #require((json(pager[1])["payload"] as? [String: Any])?["summary"] as? String)
        #expect(repeated.hasSuffix("unchanged since the last message"), "\(repeated)")
    }

    @Test func pagerDutyGetsOneIncidentPerModelAndSeverity() throws {
        let bed = try bed()
        try bed.evaluate([finding("recall", "bag", .critical), finding("recall", "can", .critical), finding("accuracy", nil, .critical)])
        var pager = try bed.outbox().filter { $0.notification.receiver == "pager" }
        #expect(pager.count == 1, "three critical alerts, one incident")
        let first = json(pager[0])
        #expect(first["dedup_key"] as? String == "vigil/\(AlertTestBed.model)/critical")
        #expect(first["event_action"] as? String == "trigger")
        let summary = try #require((first["payload"] as? [String: Any])?["summary"] as? String)
        #expect(summary.hasPrefix("[critical] \(AlertTestBed.model): "), "\(summary)")
        #expect(summary.contains("+2 more"), "\(summary)")
        // One alert resolves, two still fire: the incident stays open, nothing is sent to the pager.
        bed.clock.advance(by: 600)
        try bed.evaluate([finding("recall", "bag", .ok, value: 0.9), finding("recall", "can", .critical), finding("accuracy", nil, .critical)])
        #expect(try bed.outbox().filter { $0.notification.receiver == "pager" }.count == 1)
        // A new critical alert re-triggers the same incident.
        bed.clock.advance(by: 600)
        try bed.evaluate([finding("recall", "bag", .ok, value: 0.9), finding("recall", "can", .critical), finding("accuracy", nil, .critical),
                          finding("recall", "cup", .critical)])
        pager = try bed.outbox().filter { $0.notification.receiver == "pager" }
        #expect(pager.count == 2 && json(pager[1])["dedup_key"] as? String == "vigil/\(AlertTestBed.model)/critical")
        let retrigger = try #require((json(pager[1])["payload"] as? [String: Any])?["summary"] as? String)
        #expect(retrigger.hasSuffix("new since the last message: recall[cup]"), "\(retrigger)")
        // Everything clears: one resolve closes the incident.
        bed.clock.advance(by: 600)
        try bed.evaluate([finding("recall", "bag", .ok, value: 0.9), finding("recall", "can", .ok, value: 0.9), finding("accuracy", nil, .ok, value: 0.9),
                          finding("recall", "cup", .ok, value: 0.9)])
        pager = try bed.outbox().filter { $0.notification.receiver == "pager" }
        #expect(pager.count == 3)
        #expect(json(pager[2])["event_action"] as? String == "resolve")
        #expect(json(pager[2])["dedup_key"] as? String == "vigil/\(AlertTestBed.model)/critical")
    }
}
