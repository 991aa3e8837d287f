import Foundation
import Testing
import VigilCore
@testable import VigilStore

/// Several writers on one store at once, each with a handle of its own (as separate processes
/// would have): what is written once stays written once, what is claimed is claimed once.
@Suite struct ConcurrencyTests {
    /// Runs `body(i)` for `i` in `0..<count` on as many threads at once (not a concurrentPerform,
    /// which runs only as many at once as there are cores); rethrows the first error.
    func together(_ count: Int, _ body: @escaping @Sendable (Int) throws -> Void) throws {
        let errors = ErrorBox()
        let group = DispatchGroup()
        for i in 0..<count {
            group.enter()
            Thread {
                do { try body(i) } catch { errors.add(error) }
                group.leave()
            }.start()
        }
        group.wait()
        if let first = errors.first { throw first }
    }

    @Test(arguments: Backend.all) func theSameBatchFromSeveralWritersIsStoredOnce(backend: Backend) throws {
        let t = try backend.makeStore()
        let catalog = try t.store.syncModels([classifierSchema], now: 0)
        let classes = ["can", "jar", "box"]
        let shared = predictions((0..<600).map { line("s\($0)", label: classes[$0 % 3], ts: "2026-10-0\(1 + $0 % 3)T1\($0 % 10):00:00Z") }, catalog: catalog)
        let writers = 4
        let outcomes = OutcomeBox()
        try together(writers) { w in
            let store = try t.reopen()
            var rng = SplitMix64(seed: UInt64(w + 1))
            let own = predictions((0..<150).map { line("w\(w)-\($0)", ts: "2026-10-02T0\($0 % 10):30:00Z") }, catalog: catalog)
            var rows = shared + own
            for i in stride(from: rows.count - 1, to: 0, by: -1) { rows.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            let chunks = stride(from: 0, to: rows.count, by: 100).map { Array(rows[$0..<min($0 + 100, rows.count)]) }
            let o = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches(chunks), progress: { _ in })
            outcomes.add(o)
        }
        let all = outcomes.all
        #expect(all.map(\.inserted).reduce(0, +) == 600 + writers * 150)
        #expect(all.map(\.duplicates).reduce(0, +) == (writers - 1) * 600)
        #expect(all.allSatisfy { $0.rejectedCount == 0 })
        let v = try t.store.verify()
        #expect(v.isHealthy, "\(v.aggregateMismatches) \(v.integrity)")
        #expect(v.predictions == 600 + writers * 150)
    }

    @Test(arguments: Backend.all) func twentyReviewersNeverClaimAnItemTwice(backend: Backend) throws {
        let t = try backend.makeStore()
        let catalog = try t.store.syncModels([classifierSchema], now: 0)
        let items = 120
        _ = try t.store.ingestPredictions(options: .init(now: 0), nextBatch: batches([predictions((0..<items).map { line("p\($0)") }, catalog: catalog)]),
                                          progress: { _ in })
        var seqs: [Int64] = []
        try t.store.forEachSamplingCandidate(model: "shelf", window: TimeWindow(from: 0, to: Int64.max / 2), passes: 1, attribute: nil) { _, c in seqs.append(c.seq) }
        #expect(seqs.count == items)
        let drafts = seqs.enumerated().map { i, seq in ReviewItemDraft(predictionSeq: seq, strategy: .uniform, inclusionProbability: 0.5, reviewsRequired: i % 4 == 0 ? 2 : 1) }
        #expect(try t.store.enqueue(drafts, model: "shelf", sampleRun: "run-1", now: 1, actor: "test") == items)
        let claims = ClaimBox()
        try together(20) { r in
            let store = try t.reopen()
            let reviewer = "reviewer-\(r)"
            var now: Int64 = 10
            while let claim = try store.claim(model: "shelf", reviewer: reviewer, now: now, leaseMillis: 600_000) {
                claims.add(item: claim.item, reviewer: reviewer)
                now += 1
                try store.submit(assignment: claim.assignment, reviewer: reviewer, outcome: .label(["can", "jar"][r % 2]), now: now)
            }
        }
        let byItem = Dictionary(grouping: claims.all, by: \.item)
        let doubles = drafts.filter { $0.reviewsRequired == 2 }.count
        #expect(claims.all.count == items + doubles)
        #expect(byItem.count == items)
        for (_, list) in byItem {
            #expect(Set(list.map(\.reviewer)).count == list.count, "one reviewer claimed an item twice")
        }
        let status = try t.store.queueStatus(model: nil, now: 100_000)
        #expect(status.done == items && status.open == 0 && status.claimed == 0)
        #expect(try t.integers("SELECT COUNT(*) FROM review_assignments WHERE state = 'labeled'") == [[Int64(items + doubles)]])
        #expect(try t.store.verify().isHealthy)
    }

    @Test(arguments: Backend.all) func eachScheduleSlotIsClaimedOnce(backend: Backend) throws {
        let t = try backend.makeStore()
        let won = ClaimBox()
        try together(8) { w in
            let store = try t.reopen()
            for slot in 0..<25 {
                if let id = try store.claimSlot(JobSlot(model: "shelf", job: "evaluate", slot: Int64(slot) * 3_600_000), owner: "tick-\(w)",
                                                now: 1_000, leaseMillis: 60_000) {
                    won.add(item: Int64(slot), reviewer: "tick-\(w)")
                    try store.finishJobRun(id: id, status: .succeeded, finishedAt: 2_000, error: nil, output: nil)
                }
            }
        }
        #expect(won.all.count == 25)
        #expect(Set(won.all.map(\.item)).count == 25)
        // A finished slot is not run again; a running one is taken over only after its lease.
        #expect(try t.store.claimSlot(JobSlot(model: "shelf", job: "evaluate", slot: 0), owner: "late", now: 10_000_000, leaseMillis: 60_000) == nil)
        let first = try t.store.claimSlot(JobSlot(model: "shelf", job: "sample", slot: 0), owner: "a", now: 0, leaseMillis: 1_000)
        #expect(first != nil)
        #expect(try t.store.claimSlot(JobSlot(model: "shelf", job: "sample", slot: 0), owner: "b", now: 500, leaseMillis: 1_000) == nil)
        #expect(try t.store.claimSlot(JobSlot(model: "shelf", job: "sample", slot: 0), owner: "b", now: 2_000, leaseMillis: 1_000) == first)
        #expect(try t.store.jobRuns(model: "shelf", limit: 100).count == 26)
    }
}

final class ErrorBox: @unchecked Sendable {
    private let lock = NSLock()
    private var errors: [any Error] = []
    func add(_ e: any Error) { lock.withLock { errors.append(e) } }
    var first: (any Error)? { lock.withLock { errors.first } }
}

final class OutcomeBox: @unchecked Sendable {
    private let lock = NSLock()
    private var outcomes: [IngestOutcome] = []
    func add(_ o: IngestOutcome) { lock.withLock { outcomes.append(o) } }
    var all: [IngestOutcome] { lock.withLock { outcomes } }
}

final class ClaimBox: @unchecked Sendable {
    struct Claim { var item: Int64; var reviewer: String }
    private let lock = NSLock()
    private var claims: [Claim] = []
    func add(item: Int64, reviewer: String) { lock.withLock { claims.append(Claim(item: item, reviewer: reviewer)) } }
    var all: [Claim] { lock.withLock { claims } }
}

/// PostgreSQL only: retention drops whole day partitions.
@Suite struct PartitionTests {
    @Test(arguments: Backend.all.filter { $0 == .postgres }) func retentionDropsWholeDaysAndKeepsTheHourlyCounts(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = try #require(t.postgres)
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let rows = predictions((0..<90).map { line("r\($0)", ts: "2026-10-0\(1 + $0 / 30)T\(10 + $0 % 10):00:00Z") }, catalog: catalog)
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([rows]), progress: { _ in })
        #expect(try t.integers("SELECT COUNT(*) FROM pg_inherits WHERE inhparent = 'predictions'::regclass") == [[3]])
        let all = TimeWindow(from: Timestamp.parseMillis("2026-10-01T00:00:00Z")!, to: Timestamp.parseMillis("2026-10-04T00:00:00Z")!)
        #expect(try store.predictionCount(model: "shelf", window: all) == 90)
        #expect(try store.dropPartitions(before: Timestamp.parseMillis("2026-10-03T00:00:00Z")!) == 2)
        #expect(try t.integers("SELECT COUNT(*) FROM predictions") == [[30]])
        #expect(try t.integers("SELECT COUNT(*) FROM prediction_ids") == [[30]])
        // Whole hours are still counted from the per-hour aggregates.
        #expect(try store.predictionCount(model: "shelf", window: all) == 90)
        // A dropped day is not written again: its ids are gone, so a re-sent prediction could
        // not be told from a new one and would be counted twice in the hourly aggregates.
        let again = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([Array(rows[0..<30])]), progress: { _ in })
        #expect(again.inserted == 0 && again.rejected.count == 30 && again.rejected.allSatisfy { $0.field == "ts" })
        #expect(try t.integers("SELECT COUNT(*) FROM predictions") == [[30]])
        #expect(try t.integers("SELECT COUNT(*) FROM pg_inherits WHERE inhparent = 'predictions'::regclass") == [[1]])
    }
}
