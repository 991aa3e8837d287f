import Foundation
import Testing
import VigilCore
@testable import VigilStore

/// `AlertStore`: alert state planned inside the store's transaction, silences, and the outbox
/// with its claims, leases, delivery bookkeeping and dead letters.
@Suite struct AlertConformanceTests {
    struct PlannerFailed: Error {}

    static func alert(_ fingerprint: String, model: String = "shelf", rule: String, state: AlertState = .firing, className: String? = nil,
                      at: Int64 = 10, runID: Int64? = nil, clearRuns: Int = 0) -> AlertRecord {
        AlertRecord(fingerprint: fingerprint, model: model, rule: rule, metric: "accuracy", className: className, severity: .warning, state: state,
                    startsAt: at, endsAt: state == .resolved ? at + 5 : nil, updatedAt: at, runID: runID,
                    window: TimeWindow(from: 0, to: at), value: 0.7, threshold: 0.8, evidence: 120, message: "\(rule) is 0.7",
                    inhibited: className == nil ? nil : "recall warning", clearRuns: clearRuns)
    }

    static func note(_ id: String, _ receiver: String, at: Int64, model: String? = "shelf") -> OutboxNotification {
        OutboxNotification(id: id, receiver: receiver, model: model, topic: "test", body: #"{"id":"\#(id)"}"#, createdAt: at)
    }

    static func changes(alerts: [AlertRecord] = [], receipts: [AlertReceipt] = [], notifications: [OutboxNotification] = [], events: [Event] = []) -> AlertChanges {
        var c = AlertChanges()
        c.alerts = alerts
        c.receipts = receipts
        c.notifications = notifications
        c.events = events
        return c
    }

    // MARK: Alert state

    @Test(arguments: Backend.all) func anEvaluationAndItsAlertChangesCommitTogether(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let firing = Self.alert("f1", rule: "accuracy")
        let receipt = AlertReceipt(fingerprint: "f1", receiver: "ops", status: .firing, severity: .warning, sentAt: 11)
        try store.updateAlerts(model: "shelf", now: 11) { _ in Self.changes(alerts: [firing], receipts: [receipt]) }
        let silenceID = try store.addSilence(Silence(model: "shelf", rule: "recall", startsAt: 0, endsAt: 10_000, reason: "known", createdBy: "ana"))
        _ = try store.addSilence(Silence(model: "dock", startsAt: 0, endsAt: 10_000, reason: "other model", createdBy: "ana"))
        _ = try store.addSilence(Silence(model: "shelf", startsAt: 0, endsAt: 50, reason: "over", createdBy: "ana"))
        let window = TimeWindow(from: 0, to: 100)
        var seen: (Int64, AlertBook)?
        let runID = try store.recordEvaluation(run(at: 100, window: window, findings: [("accuracy", .ok)])) { runID, book in
            seen = (runID, book)
            var resolved = firing
            resolved.state = .resolved
            resolved.endsAt = 100
            resolved.runID = runID
            return Self.changes(alerts: [resolved, Self.alert("f2", rule: "recall", className: "can", at: 100, runID: runID)],
                                receipts: [AlertReceipt(fingerprint: "f1", receiver: "ops", status: .resolved, severity: .warning, sentAt: 100)],
                                notifications: [Self.note("n-\(runID)", "ops", at: 100)],
                                events: [Event(ts: 100, actor: "planner", kind: "alert.resolved", model: "shelf", subject: "alert/f1", details: "{}")])
        }
        // The planner saw the run's id and the model's book at the run's time.
        let (plannedID, book) = try #require(seen)
        #expect(plannedID == runID && book.model == "shelf" && book.now == 100)
        #expect(book.alerts == ["f1": firing])
        #expect(book.receipts == ["f1": ["ops": receipt]])
        #expect(book.silences.map(\.id) == [silenceID] && book.silences.first?.reason == "known")
        // Everything it decided is stored with the run.
        #expect(try store.evaluationRuns(model: "shelf", window: window).map(\.id) == [runID])
        let stored = try store.alerts(model: "shelf")
        try #require(stored.count > 1, "stored has too few elements")
        #expect(stored.map(\.fingerprint) == ["f2", "f1"], "firing first")
        #expect(stored[1].state == .resolved && stored[1].endsAt == 100 && stored[1].runID == runID)
        #expect(stored[0] == Self.alert("f2", rule: "recall", className: "can", at: 100, runID: runID))
        #expect(try store.outbox(states: [.pending], limit: 10).map(\.notification.id) == ["n-\(runID)"])
        #expect(try c.events("alert.resolved").first?.subject == "alert/f1")
        #expect(try c.events("evaluation.run").first?.subject == "run/\(runID)")
        try store.updateAlerts(model: "shelf", now: 101) { book in
            #expect(book.receipts["f1"]?["ops"]?.status == .resolved)
            return AlertChanges()
        }
        // A planner that fails leaves no run, no alert, no notification and no event behind.
        let later = TimeWindow(from: 100, to: 200)
        #expect(throws: PlannerFailed.self) {
            try store.recordEvaluation(run(at: 200, window: later)) { runID, _ in
                _ = Self.changes(alerts: [Self.alert("f3", rule: "macro_f1", runID: runID)])
                throw PlannerFailed()
            }
        }
        #expect(try store.evaluationRuns(model: "shelf", window: later).isEmpty)
        #expect(try c.events("evaluation.run").count == 1)
        #expect(try store.alerts(model: nil).map(\.fingerprint) == ["f2", "f1"])
        #expect(throws: (any Error).self) { try store.recordEvaluation(run("ghost", at: 1, window: window)) { _, _ in AlertChanges() } }
    }

    @Test(arguments: Backend.all) func alertUpdatesAreAtomicAndListedFiringFirst(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let a = Self.alert("s-acc", rule: "accuracy", state: .resolved, clearRuns: 0)
        let r = Self.alert("s-rec", rule: "recall", className: "jar", clearRuns: 2)
        let d = Self.alert("d-map", model: "dock", rule: "map")
        try store.updateAlerts(model: "shelf", now: 20) { book in
            #expect(book.alerts.isEmpty && book.now == 20 && book.model == "shelf")
            return Self.changes(alerts: [a, r], notifications: [Self.note("n1", "ops", at: 20)],
                                events: [Event(ts: 20, actor: "planner", kind: "alert.fired", model: "shelf", subject: "alert/s-rec", details: "{}")])
        }
        try store.updateAlerts(model: "dock", now: 21) { book in
            #expect(book.alerts.isEmpty, "another model's alerts are not in the book")
            return Self.changes(alerts: [d])
        }
        #expect(try store.alerts(model: nil) == [d, r, a])
        #expect(try store.alerts(model: "shelf") == [r, a])
        #expect(try store.alerts(model: "ghost").isEmpty)
        // A plan that throws changes nothing.
        #expect(throws: PlannerFailed.self) {
            try store.updateAlerts(model: "shelf", now: 30) { book in
                #expect(Set(book.alerts.keys) == ["s-acc", "s-rec"])
                _ = Self.changes(alerts: [Self.alert("s-new", rule: "f1")], notifications: [Self.note("n2", "ops", at: 30)])
                throw PlannerFailed()
            }
        }
        #expect(try store.alerts(model: "shelf") == [r, a])
        #expect(try store.outbox(states: OutboxState.allCases, limit: 10).map(\.notification.id) == ["n1"])
        #expect(try c.events("alert.fired").count == 1)
        // A changed alert replaces the stored one.
        var cleared = r
        cleared.clearRuns = 0
        cleared.state = .resolved
        cleared.endsAt = 40
        try store.updateAlerts(model: "shelf", now: 40) { _ in Self.changes(alerts: [cleared]) }
        #expect(try store.alerts(model: "shelf") == [a, cleared])
    }

    // MARK: Silences

    @Test(arguments: Backend.all) func silencesAreInForceBetweenTheirStartAndEnd(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let s1 = Silence(model: "shelf", rule: "accuracy", startsAt: 100, endsAt: 200, reason: "retraining", createdBy: "ana")
        let s2 = Silence(model: "shelf", className: "can", startsAt: 150, endsAt: 300, reason: "new supplier", createdBy: "bo")
        let s3 = Silence(model: "dock", startsAt: 0, endsAt: 50, reason: "camera moved", createdBy: "ana")
        let id1 = try store.addSilence(s1), id2 = try store.addSilence(s2), id3 = try store.addSilence(s3)
        #expect(Set([id1, id2, id3]).count == 3)
        func with(_ s: Silence, _ id: Int64, endsAt: Int64? = nil) -> Silence {
            var out = s
            out.id = id
            if let endsAt { out.endsAt = endsAt }
            return out
        }
        #expect(try store.silences(activeAt: 160) == [with(s2, id2), with(s1, id1)])
        #expect(try store.silences(activeAt: 200) == [with(s2, id2)], "the end is exclusive")
        #expect(try store.silences(activeAt: 99).isEmpty)
        #expect(try store.silences(activeAt: nil) == [with(s3, id3), with(s2, id2), with(s1, id1)])
        let added = try c.events("alert.silence")
        try #require(added.count > 2, "added has too few elements")
        #expect(added.map(\.subject) == ["silence/\(id3)", "silence/\(id2)", "silence/\(id1)"])
        #expect(added[2].ts == 100 && added[2].actor == "ana" && added[2].model == "shelf" && Conformance.details(added[2])["reason"] == "retraining")
        // Ending: once, only while in force.
        #expect(try store.endSilence(id: id1, now: 170, actor: "bo"))
        #expect(try !store.endSilence(id: id1, now: 180, actor: "bo"))
        #expect(try !store.endSilence(id: id3, now: 100, actor: "bo"), "already over")
        #expect(try !store.endSilence(id: 999_999, now: 100, actor: "bo"))
        #expect(try store.silences(activeAt: 175) == [with(s2, id2)])
        // A silence that has not started yet can be cancelled: it ends before it begins and never takes effect.
        let planned = try store.addSilence(Silence(model: "shelf", startsAt: 1_000, endsAt: 2_000, reason: "maintenance window", createdBy: "ana"))
        #expect(try store.endSilence(id: planned, now: 500, actor: "bo"))
        #expect(try store.silences(activeAt: 1_500).allSatisfy { $0.id != planned })
        #expect(try !store.endSilence(id: planned, now: 600, actor: "bo"), "a cancelled silence cannot be ended again")
        #expect(try store.silences(activeAt: 175) == [with(s2, id2)])
        #expect(try store.silences(activeAt: nil).first { $0.id == id1 } == with(s1, id1, endsAt: 170))
        let ended = try c.events("alert.unsilence").filter { $0.subject == "silence/\(id1)" }
        try #require(ended.count > 0, "ended has too few elements")
        #expect(ended.count == 1 && ended[0].subject == "silence/\(id1)" && ended[0].actor == "bo" && ended[0].ts == 170 && ended[0].model == "shelf")
        // The planner's book holds the model's silences in force at its time.
        try store.updateAlerts(model: "shelf", now: 160) { book in
            #expect(book.silences.map(\.id) == [id1, id2])
            return AlertChanges()
        }
        try store.updateAlerts(model: "shelf", now: 180) { book in
            #expect(book.silences.map(\.id) == [id2])
            return AlertChanges()
        }
        try store.updateAlerts(model: "dock", now: 10) { book in
            #expect(book.silences == [with(s3, id3)])
            return AlertChanges()
        }
    }

    // MARK: Outbox

    @Test(arguments: Backend.all) func outboxClaimsGoPerReceiverInOrderUnderALease(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let notes = [Self.note("n1", "r1", at: 100), Self.note("n2", "r1", at: 200), Self.note("n3", "r1", at: 300),
                     Self.note("n4", "r2", at: 150, model: nil), Self.note("n5", "r3", at: 1_000)]
        try store.enqueue(notes, events: [Event(ts: 100, actor: "cli", kind: "alert.test", model: nil, subject: "receiver/r1", details: "{}")])
        // A notification id is stored once, however often it is written.
        try store.enqueue([Self.note("n1", "r1", at: 100)], events: [])
        let pending = try store.outbox(states: [.pending], limit: 10)
        #expect(pending.map(\.notification) == notes)
        #expect(pending.allSatisfy { $0.state == .pending && $0.attempts == 0 && $0.nextAttemptAt == $0.notification.createdAt && $0.finishedAt == nil })
        #expect(pending.map(\.seq) == pending.map(\.seq).sorted())
        #expect(try c.events("alert.test").map(\.subject) == ["receiver/r1"])
        // Due rows of each receiver, in order, stopping at the first that is not due.
        let first = try store.claimOutbox(now: 250, owner: "d1", leaseMillis: 1_000, perReceiverLimit: 10)
        #expect(first.map(\.notification.id) == ["n1", "n2", "n4"])
        // Receivers with rows leased by someone else are skipped; the owner may claim again.
        #expect(try store.claimOutbox(now: 260, owner: "d2", leaseMillis: 1_000, perReceiverLimit: 10).isEmpty)
        #expect(try store.claimOutbox(now: 300, owner: "d1", leaseMillis: 1_000, perReceiverLimit: 1).map(\.notification.id) == ["n1", "n4"])
        #expect(try store.claimOutbox(now: 1_299, owner: "d2", leaseMillis: 1_000, perReceiverLimit: 10).map(\.notification.id) == ["n5"])
        // Once the lease has passed, anyone may claim the rows.
        let later = try store.claimOutbox(now: 1_301, owner: "d3", leaseMillis: 1_000, perReceiverLimit: 10)
        #expect(later.map(\.notification.id) == ["n1", "n2", "n3", "n4"])
    }

    @Test(arguments: Backend.all) func deliveriesAreRecordedAndReleaseTheirLeases(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try store.enqueue([Self.note("n1", "r1", at: 100), Self.note("n2", "r1", at: 110), Self.note("n4", "r1", at: 120), Self.note("n3", "r2", at: 100)], events: [])
        let claimed = try store.claimOutbox(now: 200, owner: "d1", leaseMillis: 1_000, perReceiverLimit: 2)
        #expect(claimed.map(\.notification.id) == ["n1", "n2", "n3"])
        let seq = Dictionary(uniqueKeysWithValues: claimed.map { ($0.notification.id, $0.seq) })
        try store.recordDeliveries([], owner: "d1")
        try store.recordDeliveries([
            DeliveryOutcome(seq: seq["n1"]!, notificationID: "n1", receiver: "r1", model: "shelf", at: 210, status: 200, error: nil, result: .delivered),
            DeliveryOutcome(seq: seq["n2"]!, notificationID: "n2", receiver: "r1", model: "shelf", at: 211, status: 503, error: "unavailable", result: .retry(at: 500)),
            DeliveryOutcome(seq: seq["n3"]!, notificationID: "n3", receiver: "r2", model: "shelf", at: 212, status: 410, error: "gone", result: .dead),
        ], owner: "d1")
        let delivered = try #require(try store.outbox(states: [.delivered], limit: 10).first)
        #expect(delivered.notification.id == "n1" && delivered.attempts == 1 && delivered.lastStatus == 200 && delivered.lastError == nil && delivered.finishedAt == 210)
        let retried = try #require(try store.outbox(states: [.pending], limit: 10).first)
        #expect(retried.notification.id == "n2" && retried.attempts == 1 && retried.lastStatus == 503 && retried.lastError == "unavailable")
        #expect(retried.nextAttemptAt == 500 && retried.finishedAt == nil)
        let dead = try #require(try store.outbox(states: [.dead], limit: 10).first)
        #expect(dead.notification.id == "n3" && dead.attempts == 1 && dead.lastStatus == 410 && dead.lastError == "gone" && dead.finishedAt == 212)
        let log = try store.events(model: "shelf", kind: nil, limit: 10)
        try #require(log.count > 2, "log has too few elements")
        #expect(log.map(\.kind) == ["alert.delivery.dead", "alert.delivery.retry", "alert.delivery.delivered"])
        #expect(log.map(\.subject) == ["notification/n3", "notification/n2", "notification/n1"] && log.allSatisfy { $0.actor == "d1" })
        #expect(log.map(\.ts) == [212, 211, 210])
        #expect(Conformance.details(log[1])["next_attempt_at"] == When.iso(500) && Conformance.details(log[1])["attempt"] == "1")
        #expect(Conformance.details(log[2])["status"] == "200" && Conformance.details(log[0])["error"] == "gone")
        // The retried row waits until it is due, and the receiver's later rows wait behind it.
        #expect(try store.claimOutbox(now: 300, owner: "d2", leaseMillis: 1_000, perReceiverLimit: 10).isEmpty)
        // Recording released d1's leases (they ran to 1,200): d2 may take the rows once due.
        let again = try store.claimOutbox(now: 600, owner: "d2", leaseMillis: 1_000, perReceiverLimit: 10)
        #expect(again.map(\.notification.id) == ["n2", "n4"])
        try store.recordDeliveries([DeliveryOutcome(seq: seq["n2"]!, notificationID: "n2", receiver: "r1", model: "shelf", at: 610, status: 200, error: nil,
                                                    result: .delivered)], owner: "d2")
        let second = try #require(try store.outbox(states: [.delivered], limit: 10).first { $0.notification.id == "n2" })
        #expect(second.attempts == 2 && second.lastError == nil && second.finishedAt == 610 && second.lastStatus == 200)
        #expect(try c.events("alert.delivery.delivered").first.map(Conformance.details)?["attempt"] == "2")
        // A row waiting for its retry holds back the later rows of its receiver, even due ones.
        try store.enqueue([Self.note("m1", "r5", at: 1_000), Self.note("m2", "r5", at: 1_001), Self.note("m3", "r5", at: 1_002)], events: [])
        let batch = try store.claimOutbox(now: 1_100, owner: "d1", leaseMillis: 1_000, perReceiverLimit: 10)
        #expect(batch.map(\.notification.id) == ["m1", "m2", "m3"])
        try #require(batch.count == 3)
        try store.recordDeliveries([DeliveryOutcome(seq: batch[1].seq, notificationID: "m2", receiver: "r5", model: nil, at: 1_101, status: nil,
                                                    error: "timeout", result: .retry(at: 9_000))], owner: "d1")
        try store.releaseOutbox(seqs: [batch[0].seq, batch[2].seq], owner: "d1")
        let r5 = try store.claimOutbox(now: 1_200, owner: "d2", leaseMillis: 1_000, perReceiverLimit: 10).filter { $0.notification.receiver == "r5" }
        #expect(r5.map(\.notification.id) == ["m1"])
    }

    @Test(arguments: Backend.all) func leasesAreRenewedAndReleasedOnlyByTheirOwner(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try store.enqueue([Self.note("n1", "r1", at: 100), Self.note("n2", "r2", at: 100)], events: [])
        let claimed = try store.claimOutbox(now: 100, owner: "d1", leaseMillis: 100, perReceiverLimit: 10)
        try #require(claimed.count > 0, "claimed has too few elements")
        #expect(claimed.map(\.notification.id) == ["n1", "n2"])
        let n1 = claimed[0].seq
        // d1 still sends r1's rows: its lease there runs to 1,000; r2's lapses at 200.
        try store.renewLeases(receiver: "r1", owner: "d1", until: 1_000)
        try store.renewLeases(receiver: "r2", owner: "d9", until: 5_000)
        #expect(try store.claimOutbox(now: 300, owner: "d2", leaseMillis: 100, perReceiverLimit: 10).map(\.notification.id) == ["n2"])
        // Someone else's renewal or release changes nothing.
        try store.renewLeases(receiver: "r1", owner: "d2", until: 9_000)
        try store.releaseOutbox(seqs: [n1], owner: "d3")
        try store.releaseOutbox(seqs: [], owner: "d1")
        #expect(try store.claimOutbox(now: 500, owner: "d3", leaseMillis: 100, perReceiverLimit: 10).map(\.notification.id) == ["n2"])
        // The owner gives n1 back without an attempt: it is claimable at once, unchanged.
        try store.releaseOutbox(seqs: [n1], owner: "d1")
        let back = try store.claimOutbox(now: 700, owner: "d4", leaseMillis: 100, perReceiverLimit: 10)
        #expect(back.map(\.notification.id) == ["n1", "n2"])
        #expect(back.allSatisfy { $0.attempts == 0 && $0.state == .pending })
        // And past the renewed lease r1 is free anyway.
        #expect(try store.claimOutbox(now: 10_000, owner: "d5", leaseMillis: 100, perReceiverLimit: 10).map(\.notification.id) == ["n1", "n2"])
    }

    @Test(arguments: Backend.all) func deadRowsAreRetriedOnRequest(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let notes = [Self.note("n1", "r1", at: 100), Self.note("n2", "r2", at: 101), Self.note("n3", "r3", at: 102), Self.note("n4", "r4", at: 103)]
        try store.enqueue(notes, events: [])
        let claimed = try store.claimOutbox(now: 200, owner: "d1", leaseMillis: 1_000, perReceiverLimit: 10)
        try #require(claimed.count > 3, "claimed has too few elements")
        try store.recordDeliveries(claimed.prefix(3).map {
            DeliveryOutcome(seq: $0.seq, notificationID: $0.notification.id, receiver: $0.notification.receiver, model: "shelf", at: 210, status: 500,
                            error: "boom", result: .dead)
        } + [DeliveryOutcome(seq: claimed[3].seq, notificationID: "n4", receiver: "r4", model: "shelf", at: 210, status: 200, error: nil, result: .delivered)],
            owner: "d1")
        #expect(try store.outbox(states: [.dead], limit: 10).map(\.notification.id) == ["n1", "n2", "n3"])
        #expect(try store.outbox(states: [.dead], limit: 2).map(\.notification.id) == ["n1", "n2"])
        #expect(try store.outbox(states: [.dead, .delivered], limit: 10).map(\.notification.id) == ["n1", "n2", "n3", "n4"])
        #expect(try store.outbox(states: [], limit: 10).isEmpty)
        // One row by id: pending again, due now, attempts from zero.
        #expect(try store.retryDead(ids: ["n2"], now: 500, actor: "ana") == 1)
        let n2 = try #require(try store.outbox(states: [.pending], limit: 10).first)
        #expect(n2.notification.id == "n2" && n2.attempts == 0 && n2.nextAttemptAt == 500 && n2.finishedAt == nil)
        let requeued = try #require(try c.events("alert.delivery.requeued").first)
        #expect(requeued.subject == "notification/n2" && requeued.actor == "ana" && requeued.ts == 500 && requeued.model == "shelf")
        #expect(try store.retryDead(ids: ["n2", "n4", "nope"], now: 600, actor: "ana") == 0, "neither dead any more nor known")
        #expect(try store.claimOutbox(now: 500, owner: "d2", leaseMillis: 1_000, perReceiverLimit: 10).map(\.notification.id) == ["n2"])
        // Every dead row.
        #expect(try store.retryDead(ids: nil, now: 700, actor: "bo") == 2)
        #expect(try store.outbox(states: [.dead], limit: 10).isEmpty)
        #expect(try store.outbox(states: [.pending], limit: 10).map(\.notification.id) == ["n1", "n2", "n3"])
        #expect(try c.events("alert.delivery.requeued").map(\.subject) == ["notification/n3", "notification/n1", "notification/n2"])
    }
}
