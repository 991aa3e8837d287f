import Foundation
import VigilCore
import VigilStore

/// Writes the records of concurrent ingest requests through one long store call: each request's
/// records are one batch (one transaction) handed to `Store.ingestPredictions/ingestLabels` as
/// they arrive, on one writer thread. So, under load, the store keeps its ingest settings (page
/// cache, background checkpointer) across requests instead of setting them up and checkpointing
/// once per request, and SQLite's single writer is never contended by request threads.
///
/// The call ends when no request is waiting for `idle` seconds, when a request of another actor
/// is next (the actor is recorded on relabel events), or after `maxCall` seconds (so the ingest
/// time stored on rows stays current and the WAL is checkpointed in full now and then).
final class IngestWriter<R: Sendable>: @unchecked Sendable {
    /// What the store did with one request's records.
    struct Outcome: Sendable {
        var inserted = 0
        var duplicates = 0
        var relabeled = 0
        /// Refused records (their `line` is the record's, as the request numbered it).
        var rejects: [RecordError] = []
    }

    typealias Write = (IngestOptions, () throws -> [R]?, (IngestProgress) -> Void) throws -> IngestOutcome

    private struct Job {
        var records: [R]
        var actor: String
        var continuation: CheckedContinuation<Outcome, any Error>
    }

    private let condition = NSCondition()
    private var pending: [Job] = []
    private let write: Write
    private let clock: any VigilClock
    private let idle: TimeInterval
    private let maxCall: TimeInterval
    private var thread: Thread?

    init(clock: any VigilClock, idle: TimeInterval = 0.02, maxCall: TimeInterval = 1, write: @escaping Write) {
        self.clock = clock
        self.idle = idle
        self.maxCall = maxCall
        self.write = write
    }

    /// Writes `records` as one batch; returns when it is committed (or throws the store's error).
    func submit(_ records: [R], actor: String) async throws -> Outcome {
        try await withCheckedThrowingContinuation { continuation in
            condition.withLock {
                pending.append(Job(records: records, actor: actor, continuation: continuation))
                if thread == nil {
                    let t = Thread { [self] in self.loop() }
                    t.name = "vigil-ingest-writer"
                    t.stackSize = 8 << 20
                    thread = t
                    t.start()
                }
                condition.broadcast()
            }
        }
    }

    /// The next job of `actor`, waiting up to `idle` for one; nil to end the store call.
    private func next(actor: String, started: Date) -> Job? {
        condition.lock(); defer { condition.unlock() }
        if Date().timeIntervalSince(started) > maxCall { return nil }
        if pending.isEmpty { _ = condition.wait(until: Date().addingTimeInterval(idle)) }
        guard let first = pending.first, first.actor == actor else { return nil }
        return pending.removeFirst()
    }

    private func loop() {
        while true {
            // The thread ends after a second without work; the next request starts another.
            let actor: String? = condition.withLock {
                while pending.isEmpty {
                    if !condition.wait(until: Date().addingTimeInterval(1)) && pending.isEmpty {
                        thread = nil
                        return nil
                    }
                }
                return pending[0].actor
            }
            guard let actor else { return }
            let started = Date()
            let rejects = RejectBox()
            var current: Job?
            var handedAny = false
            var before = IngestOutcome()
            let options = IngestOptions(now: Timestamp.millis(clock.now), actor: actor, onReject: { rejects.add($0) })
            do {
                _ = try write(options, { [self] in
                    current = next(actor: actor, started: started)
                    if current != nil { handedAny = true }
                    return current?.records
                }, { p in
                    guard let job = current else { return }
                    current = nil
                    job.continuation.resume(returning: Outcome(inserted: p.outcome.inserted - before.inserted,
                                                               duplicates: p.outcome.duplicates - before.duplicates,
                                                               relabeled: p.outcome.relabeled - before.relabeled,
                                                               rejects: rejects.drain()))
                    before = p.outcome
                })
            } catch {
                _ = rejects.drain()
                // A failure before any batch was handed fails the oldest request, so the loop cannot spin;
                // one after the handed batches were answered fails nobody.
                let failed = current ?? (handedAny ? nil : condition.withLock { pending.isEmpty ? nil : pending.removeFirst() })
                failed?.continuation.resume(throwing: error)
            }
        }
    }
}

private final class RejectBox: @unchecked Sendable {
    private let lock = NSLock()
    private var items: [RecordError] = []
    func add(_ e: RecordError) { lock.withLock { items.append(e) } }
    func drain() -> [RecordError] { lock.withLock { defer { items = [] }; return items } }
}
