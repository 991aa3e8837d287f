import Foundation
import Testing
import VigilAlerts
import VigilCore
import VigilStore

/// The deliverer against the real local receiver: retries on 500 and timeouts, 429 with
/// Retry-After, an outage with everything delivered in order afterwards, dead letters.
/// Time between attempts is simulated (FixedClock); only the HTTP exchanges are real.
@Suite(.serialized) struct DeliveryTests {
    /// A bed with one generic webhook receiver at the local receiver, and `count` test notices queued.
    func bed(_ receiver: LocalReceiver, kind: ReceiverKind = .webhook, count: Int = 3, settings: DeliverySettings = AlertTestBed.fastDelivery) throws -> AlertTestBed {
        let bed = try AlertTestBed(receivers: [Receiver(name: "hook", kind: kind, url: receiver.url + "/hook", routingKey: kind == .pagerduty ? "k" : nil)],
                                   routing: AlertRouting(), delivery: settings)
        let notices = Notices(store: bed.store, setup: bed.setup, clock: bed.clock)
        for i in 0..<count {
            try notices.enqueue(Notice(model: AlertTestBed.model, topic: "test", severity: .warning, message: "notice \(i)"), to: ["hook"])
        }
        return bed
    }

    func messages(_ receiver: LocalReceiver) throws -> [String] {
        try receiver.requests().filter { $0.status == 200 }.compactMap { r in
            (((r.json["data"] as? [String: Any])?["alerts"] as? [[String: Any]])?.first?["message"] as? String)
        }
    }

    @Test func serverErrorsAreRetriedWithBackoffAndTheOrderIsKept() throws {
        let receiver = try LocalReceiver()
        defer { receiver.stop() }
        let bed = try bed(receiver)
        try receiver.script([["status": 500, "count": 2]])
        var s = try bed.deliver()
        #expect(s.retrying == 1 && s.delivered == 0, "the first row fails; the rows behind it wait")
        let row = try #require(try bed.outbox([.pending]).first)
        #expect(row.attempts == 1 && row.lastStatus == 500)
        #expect(row.nextAttemptAt >= bed.now && row.nextAttemptAt <= bed.now + 1000, "full jitter within base·2^0 = 1 s")
        bed.clock.advance(by: 1)
        s = try bed.deliver()
        #expect(s.retrying == 1)
        bed.clock.advance(by: 2)
        s = try bed.deliver()
        #expect(s.delivered == 3)
        #expect(try messages(receiver) == ["notice 0", "notice 1", "notice 2"])
        let ids = try receiver.requests().filter { $0.body.contains("notice 0") }.map { $0.headers["webhook-id"] }
        #expect(ids.count == 3 && Set(ids).count == 1, "the same webhook-id on every attempt")
        let events = try bed.store.events(model: AlertTestBed.model, limit: 100).map(\.kind)
        #expect(events.filter { $0 == "alert.delivery.retry" }.count == 2)
        #expect(events.filter { $0 == "alert.delivery.delivered" }.count == 3)
    }

    @Test func timeoutsAreRetried() throws {
        let receiver = try LocalReceiver()
        defer { receiver.stop() }
        let bed = try bed(receiver, count: 1)
        try receiver.script([["sleep": 2.5, "count": 1]])
        var s = try bed.deliver()
        #expect(s.retrying == 1)
        #expect(try bed.outbox([.pending]).first?.lastError?.contains("timed out") == true)
        bed.clock.advance(by: 2)
        s = try bed.deliver()
        #expect(s.delivered == 1)
    }

    @Test func tooManyRequestsWaitsForRetryAfter() throws {
        let receiver = try LocalReceiver()
        defer { receiver.stop() }
        let bed = try bed(receiver, count: 2)
        try receiver.script([["status": 429, "retry_after": "30", "count": 1]])
        var s = try bed.deliver()
        #expect(s.retrying == 1)
        #expect(try bed.outbox([.pending]).first?.nextAttemptAt == bed.now + 30_000, "Retry-After: 30 seconds, not the 1 s backoff")
        bed.clock.advance(by: 29)
        s = try bed.deliver()
        #expect(s.attempts == 0, "not before Retry-After")
        bed.clock.advance(by: 1)
        s = try bed.deliver()
        #expect(s.delivered == 2)
        // The HTTP-date form.
        #expect(DeliveryPolicy.retryAfter("Sat, 31 Oct 2026 06:01:00 GMT", now: Timestamp.date(millis: Timestamp.parseMillis("2026-10-31T06:00:00Z")!)) == 60)
        #expect(DeliveryPolicy.retryAfter("7", now: Date()) == 7)
        #expect(DeliveryPolicy.retryAfter("soon", now: Date()) == nil)
    }

    @Test func aReceiverThatIsDownGetsEverythingInOrderWhenItIsBack() throws {
        let receiver = try LocalReceiver()
        defer { receiver.stop() }
        let bed = try bed(receiver, count: 20)
        receiver.stop()
        for _ in 0..<3 {
            let s = try bed.deliver()
            #expect(s.retrying == 1 && s.delivered == 0)
            bed.clock.advance(by: 5)
        }
        #expect(try bed.outbox([.pending]).first?.lastError?.contains("connection") == true)
        try receiver.start()
        let s = try bed.deliver()
        #expect(s.delivered == 20)
        #expect(try messages(receiver) == (0..<20).map { "notice \($0)" })
        #expect(try bed.outbox([.pending, .dead]).isEmpty)
    }

    @Test func clientErrorsRedirectsAndGoneEndpointsAreDeadLettered() throws {
        let receiver = try LocalReceiver()
        defer { receiver.stop() }
        let pd = try bed(receiver, kind: .pagerduty, count: 2)
        try receiver.script([["status": 400, "count": 1]])
        var s = try pd.deliver()
        #expect(s.dead == 1 && s.delivered == 1, "PagerDuty 400 is never retried; the next row goes on")
        #expect(try pd.outbox([.dead]).first?.lastError?.contains("HTTP 400") == true)
        #expect(try pd.store.retryDead(ids: nil, now: pd.now, actor: "test") == 1)
        s = try pd.deliver()
        #expect(s.delivered == 1, "`vigil alerts retry` puts it back")

        let redirect = try bed(receiver, count: 1)
        try receiver.script([["status": 302, "location": receiver.url + "/elsewhere", "count": 1]])
        s = try redirect.deliver()
        #expect(s.dead == 1)
        #expect(!(try receiver.requests().contains { $0.path == "/elsewhere" }), "redirects are not followed")

        let discord = try bed(receiver, kind: .discord, count: 3)
        try receiver.script([["status": 404, "count": 1]])
        s = try discord.deliver()
        #expect(s.dead == 3, "Discord 404: the webhook is gone, stop sending to it")
        #expect(try discord.outbox([.dead]).allSatisfy { $0.lastError?.contains("deleted") == true })
    }

    @Test func givesUpAfterMaxAttempts() throws {
        let receiver = try LocalReceiver()
        defer { receiver.stop() }
        var settings = AlertTestBed.fastDelivery
        settings.maxAttempts = 3
        let bed = try bed(receiver, count: 1, settings: settings)
        try receiver.script([["status": 503, "count": 10]])
        for _ in 0..<3 {
            _ = try bed.deliver()
            bed.clock.advance(by: 10)
        }
        let dead = try #require(try bed.outbox([.dead]).first)
        #expect(dead.attempts == 3)
        #expect(dead.lastError?.contains("gave up after 3 attempts") == true)
    }

    @Test(arguments: [(200, "delivered"), (204, "delivered"), (408, "retry"), (429, "retry"), (502, "retry"), (400, "dead"), (401, "dead"),
                      (404, "dead"), (301, "dead"), (410, "gone")])
    func responseClassification(status: Int, expected: String) {
        let policy = DeliveryPolicy(settings: DeliverySettings())
        let verdict = policy.verdict(kind: .webhook, status: status, retryAfter: nil, error: nil, attempts: 0, jitter: 0.5)
        switch verdict {
        case .delivered: #expect(expected == "delivered")
        case .retry(let s): #expect(expected == "retry"); #expect(s == 2.5, "full jitter: 0.5 × min(cap, 5 s × 2^0)")
        case .dead: #expect(expected == "dead")
        case .gone: #expect(expected == "gone")
        }
    }

    @Test func backoffGrowsExponentiallyUpToTheCap() {
        let policy = DeliveryPolicy(settings: DeliverySettings(backoffBase: 5, backoffCap: 60))
        let ceilings = (0..<6).map { attempt -> Double in
            if case .retry(let s) = policy.verdict(kind: .slack, status: 503, retryAfter: nil, error: nil, attempts: attempt, jitter: 1.0) { return s }
            return -1
        }
        #expect(ceilings == [5, 10, 20, 40, 60, 60])
    }
}
