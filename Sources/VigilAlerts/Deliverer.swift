import Foundation
import VigilCore
import VigilStore

/// Sends what waits in the outbox: claims due rows under a lease, POSTs them, records every
/// attempt. Receivers are served concurrently (at most `workers` at once), each strictly in
/// order: a receiver's next row is not sent before its older one is delivered or dead.
///
/// At-least-once: a row is marked delivered only after the receiver answered 2xx, so a crash
/// in between sends it again, with the same id and body.
///
/// ```swift
/// let deliverer = Deliverer(store: store, receivers: config.receivers, settings: config.delivery, clock: SystemClock())
/// let summary = try deliverer.runPass()
/// ```
public struct Deliverer: Sendable {
    let store: any Store
    let receivers: [String: Receiver]
    let policy: DeliveryPolicy
    let clock: any VigilClock
    let environment: [String: String]
    let owner: String
    let jitter: JitterSource
    let transport: WebhookTransport

    /// `seed` fixes the backoff jitter (tests); `owner` names this deliverer in leases and the event log.
    public init(store: any Store, receivers: [Receiver], settings: DeliverySettings, clock: any VigilClock,
                environment: [String: String] = ProcessInfo.processInfo.environment, owner: String? = nil, seed: UInt64? = nil) {
        self.store = store
        self.receivers = Dictionary(receivers.map { ($0.name, $0) }, uniquingKeysWith: { a, _ in a })
        self.policy = DeliveryPolicy(settings: settings)
        self.clock = clock
        self.environment = environment
        self.owner = owner ?? "deliverer-\(ProcessInfo.processInfo.processIdentifier)-\(UInt32.random(in: 0...UInt32.max))"
        self.jitter = JitterSource(seed: seed ?? UInt64.random(in: 0...UInt64.max))
        self.transport = WebhookTransport(timeout: settings.timeout, connections: max(1, settings.workers))
    }

    /// What one pass did.
    public struct Summary: Sendable, Equatable {
        public var delivered = 0
        public var retrying = 0
        public var dead = 0
        public var attempts: Int { delivered + retrying + dead }
    }

    /// Claims and sends until nothing more is due now (or `maxRounds` claims). Returns the counts.
    /// Receivers are served by up to `workers` threads of its own; the call blocks until done.
    @discardableResult
    public func runPass(maxRounds: Int = 1000) throws -> Summary {
        var total = Summary()
        for _ in 0..<maxRounds {
            let now = Timestamp.millis(clock.now)
            let claimed = try store.claimOutbox(now: now, owner: owner, leaseMillis: Int64(policy.settings.lease * 1000),
                                                perReceiverLimit: policy.settings.batch)
            guard !claimed.isEmpty else { break }
            let work = WorkQueue(Dictionary(grouping: claimed, by: \.notification.receiver).sorted { $0.key > $1.key }.map(\.value))
            let finished = DispatchGroup()
            for _ in 0..<min(max(1, policy.settings.workers), work.count) {
                finished.enter()
                Thread.detachNewThread {
                    while let rows = work.take() { work.add(Result { try self.send(rows) }) }
                    finished.leave()
                }
            }
            finished.wait()
            let round = try work.total()
            total.delivered += round.delivered
            total.retrying += round.retrying
            total.dead += round.dead
            if round.delivered == 0 && round.dead == 0 { break }  // only retries left: they wait for their time
        }
        return total
    }

    /// What ``sendOnce(_:)`` got back.
    public struct Attempt: Sendable, Equatable {
        public var delivered: Bool
        public var status: Int?
        /// Why it was not delivered.
        public var error: String?
    }

    /// Sends `notification` to its receiver once, now, outside the outbox: nothing queued for
    /// that receiver is sent with it or held behind it, and nothing is retried
    /// (`vigil alerts test`).
    public func sendOnce(_ notification: OutboxNotification) -> Attempt {
        guard let receiver = receivers[notification.receiver] else {
            return Attempt(delivered: false, status: nil, error: "receiver '\(notification.receiver)' is not in vigil.yaml")
        }
        let response: WebhookTransport.Response
        do {
            response = try post(notification, to: receiver)
        } catch {
            return Attempt(delivered: false, status: nil, error: "\(error)")
        }
        let verdict = policy.verdict(kind: receiver.kind, status: response.status, retryAfter: nil, error: response.error, attempts: 0, jitter: 0)
        switch verdict {
        case .delivered: return Attempt(delivered: true, status: response.status, error: nil)
        case .retry: return Attempt(delivered: false, status: response.status, error: response.error ?? "HTTP \(response.status ?? 0) (would be retried)")
        case .dead(let reason), .gone(let reason): return Attempt(delivered: false, status: response.status, error: reason)
        }
    }

    /// Builds `notification`'s request and POSTs it where ``ReceiverTarget`` allows, trying the
    /// next checked address only when the previous could not be connected to. Throws when it
    /// must not be sent (a permanent failure: dead-lettered); a host that does not resolve is a
    /// failed response (retried).
    func post(_ notification: OutboxNotification, to receiver: Receiver) throws -> WebhookTransport.Response {
        let request = try WebhookRequest.build(notification, receiver: receiver, environment: environment, now: clock.now)
        switch try ReceiverTarget.route(request, receiver: receiver.name, fence: policy.settings.fence) {
        case .unresolved(let reason):
            return WebhookTransport.Response(status: nil, retryAfter: nil, error: reason)
        case .send(let candidates):
            var response = WebhookTransport.Response(status: nil, retryAfter: nil, error: "no address to send to")
            for r in candidates {
                response = transport.post(url: r.url, headers: r.headers, body: r.body, timeout: policy.settings.timeout)
                if !response.couldNotConnect { break }
            }
            return response
        }
    }

    /// Sends one receiver's claimed rows in order; stops at the first that must wait.
    func send(_ rows: [OutboxRow]) throws -> Summary {
        var log = OutcomeLog()
        try sendInOrder(rows, into: &log)
        try flush(&log)
        return log.summary
    }

    func sendInOrder(_ rows: [OutboxRow], into log: inout OutcomeLog) throws {
        var index = 0
        while index < rows.count {
            let row = rows[index]
            index += 1
            let n = row.notification
            let at = { Timestamp.millis(clock.now) }
            guard let receiver = receivers[n.receiver] else {
                try record(row, status: nil, error: "receiver '\(n.receiver)' is not in vigil.yaml any more; add it back and run `vigil alerts retry \(n.id)`",
                           result: .dead, at: at(), into: &log)
                continue
            }
            let response: WebhookTransport.Response
            do {
                response = try post(n, to: receiver)
            } catch {
                try record(row, status: nil, error: "\(error)", result: .dead, at: at(), into: &log)
                continue
            }
            let now = clock.now
            let verdict = policy.verdict(kind: receiver.kind, status: response.status,
                                         retryAfter: DeliveryPolicy.retryAfter(response.retryAfter, now: now),
                                         error: response.error, attempts: row.attempts, jitter: jitter.next())
            let nowMillis = Timestamp.millis(now)
            let tooOld = Double(nowMillis - n.createdAt) / 1000 >= policy.settings.maxAge
            switch verdict {
            case .delivered:
                try record(row, status: response.status, error: nil, result: .delivered, at: nowMillis, into: &log)
            case .retry(let seconds) where !tooOld:
                try record(row, status: response.status, error: response.error ?? "HTTP \(response.status ?? 0)",
                           result: .retry(at: nowMillis + Int64(seconds * 1000)), at: nowMillis, into: &log)
                try flush(&log)
                try store.releaseOutbox(seqs: rows[index...].map(\.seq), owner: owner)
                return
            case .retry:
                try record(row, status: response.status, error: "gave up: older than max_age (\(policy.settings.maxAge) s); last error: \(response.error ?? "HTTP \(response.status ?? 0)")",
                           result: .dead, at: nowMillis, into: &log)
            case .dead(let reason):
                try record(row, status: response.status, error: reason, result: .dead, at: nowMillis, into: &log)
            case .gone(let reason):
                for r in rows[(index - 1)...] { try record(r, status: response.status, error: reason, result: .dead, at: nowMillis, into: &log) }
                return
            }
        }
    }

    /// Notes an outcome; outcomes are written in small batches (every 10 ms or 32 rows), which
    /// keeps the store's work per notification low while a crash repeats only a few sends.
    func record(_ row: OutboxRow, status: Int?, error: String?, result: DeliveryOutcome.Result, at: Int64, into log: inout OutcomeLog) throws {
        let n = row.notification
        log.pending.append(DeliveryOutcome(seq: row.seq, notificationID: n.id, receiver: n.receiver, model: n.model, at: at,
                                           status: status, error: error, result: result))
        switch result {
        case .delivered: log.summary.delivered += 1
        case .retry: log.summary.retrying += 1
        case .dead: log.summary.dead += 1
        }
        if log.pending.count >= 32 || DispatchTime.now().uptimeNanoseconds - log.lastFlush >= 10_000_000 { try flush(&log) }
    }

    func flush(_ log: inout OutcomeLog) throws {
        guard let receiver = log.pending.first?.receiver else { return }
        try store.recordDeliveries(log.pending, owner: owner)
        // Still sending this receiver's rows: keep them ours, however slow it is (renewed once
        // half the lease has passed, so a fast receiver costs no extra writes).
        let now = Timestamp.millis(clock.now), lease = Int64(policy.settings.lease * 1000)
        if now - (log.renewedAt ?? now) >= lease / 2 {
            try store.renewLeases(receiver: receiver, owner: owner, until: now + lease)
            log.renewedAt = now
        } else if log.renewedAt == nil {
            log.renewedAt = now
        }
        log.pending.removeAll(keepingCapacity: true)
        log.lastFlush = DispatchTime.now().uptimeNanoseconds
    }
}

/// One sender's outcomes not yet written, and its counts.
struct OutcomeLog {
    var pending: [DeliveryOutcome] = []
    var summary = Deliverer.Summary()
    var lastFlush = DispatchTime.now().uptimeNanoseconds
    /// When the leases were last renewed (first flush: about when they were claimed).
    var renewedAt: Int64?
}

/// The receivers' row lists waiting for a sender thread, and what the senders did.
final class WorkQueue: @unchecked Sendable {
    private let lock = NSLock()
    private var waiting: [[OutboxRow]]
    private var results: [Result<Deliverer.Summary, any Error>] = []
    let count: Int

    init(_ lists: [[OutboxRow]]) {
        waiting = lists
        count = lists.count
    }

    func take() -> [OutboxRow]? { lock.withLock { waiting.popLast() } }

    func add(_ r: Result<Deliverer.Summary, any Error>) { lock.withLock { results.append(r) } }

    /// The summed counts; rethrows the first error a sender hit.
    func total() throws -> Deliverer.Summary {
        try lock.withLock { results }.reduce(into: Deliverer.Summary()) { t, r in
            let s = try r.get()
            t.delivered += s.delivered
            t.retrying += s.retrying
            t.dead += s.dead
        }
    }
}

/// Uniform numbers in [0, 1) for backoff jitter, seedable, shared by the concurrent senders.
final class JitterSource: @unchecked Sendable {
    private let lock = NSLock()
    private var generator: SplitMix64

    init(seed: UInt64) { generator = SplitMix64(seed: seed) }

    func next() -> Double { lock.withLock { generator.unit() } }
}
