import Foundation
import GRDB
import Testing
import VigilCore
import VigilPostgres
import VigilStore
@testable import VigilSampling

@Suite(.serialized) struct ReviewQueueTests {
    /// A store with `count` queued items, every fifth one for two reviewers.
    static func queued(_ count: Int, _ backend: Backend = .sqlite) throws -> any Store {
        try queuedStore(count, backend).store
    }

    static func queuedStore(_ count: Int, _ backend: Backend) throws -> (store: any Store, reopen: @Sendable () throws -> any Store) {
        let made = try backend.makeStore()
        let store = made.store
        try ingestPredictions(store, count: count)
        var seqs: [Int64] = []
        try store.forEachSamplingCandidate(model: "shelf", window: TimeWindow(from: 0, to: .max), passes: 1, attribute: nil) { _, c in seqs.append(c.seq) }
        let drafts = seqs.enumerated().map { i, seq in
            ReviewItemDraft(predictionSeq: seq, strategy: .uniform, inclusionProbability: 0.5, reviewsRequired: i % 5 == 0 ? 2 : 1)
        }
        #expect(try store.enqueue(drafts, model: "shelf", sampleRun: "t", now: day0, actor: "test") == count)
        return made
    }

    /// 20 reviewers on 20 threads, each with its own connection, claim until the queue is dry.
    @Test(arguments: Backend.all) func twentyConcurrentClaimersNeverShareAnItemExceptDoubleReviews(backend: Backend) throws {
        let (store, reopen) = try Self.queuedStore(300, backend)
        let collected = Collected()
        DispatchQueue.concurrentPerform(iterations: 20) { r in
            do {
                let mine = try reopen()
                while let c = try mine.claim(model: "shelf", reviewer: "r\(r)", now: day0, leaseMillis: 600_000) {
                    collected.add(c.item, c.reviewer)
                }
            } catch {
                collected.fail("\(error)")
            }
        }
        let (claims, failures) = collected.values
        #expect(failures.isEmpty, "\(failures)")
        let byItem = Dictionary(grouping: claims, by: \.item)
        #expect(byItem.count == 300)
        let doubles = byItem.filter { $0.value.count == 2 }
        #expect(doubles.count == 60)
        #expect(byItem.values.allSatisfy { $0.count <= 2 })
        #expect(doubles.values.allSatisfy { Set($0.map(\.reviewer)).count == 2 })
        #expect(Set(claims.map(\.reviewer)).count > 1)
        let status = try store.queueStatus(model: "shelf", now: day0)
        #expect(status.claimed == 360 && status.open == 300)
    }

    @Test(arguments: Backend.all) func anExpiredLeaseIsReclaimedAndTheLateAnswerRefused(backend: Backend) throws {
        let store = try Self.queued(2, backend)
        let a = try #require(try store.claim(model: "shelf", reviewer: "alice", now: 0, leaseMillis: 1_000))
        let b = try #require(try store.claim(model: "shelf", reviewer: "bob", now: 0, leaseMillis: 1_000))
        #expect(a.item != b.item || a.reviewer != b.reviewer)
        // Bob renews; Alice does not.
        _ = try store.renew(assignment: b.assignment, reviewer: "bob", now: 900, leaseMillis: 10_000)
        let c = try #require(try store.claim(model: "shelf", reviewer: "carol", now: 1_500, leaseMillis: 1_000))
        #expect(c.item == a.item)
        #expect {
            try store.submit(assignment: a.assignment, reviewer: "alice", outcome: .label("can"), now: 1_600)
        } throws: { error in
            guard case QueueError.leaseLost(let message) = error else { return false }
            return message.contains("expired") && message.contains("carol") && message.contains("not recorded")
        }
        // Only the holder can answer.
        #expect(throws: QueueError.notYours(assignment: c.assignment, holder: "carol")) {
            try store.submit(assignment: c.assignment, reviewer: "alice", outcome: .label("can"), now: 1_600)
        }
        try store.submit(assignment: c.assignment, reviewer: "carol", outcome: .label("jar"), now: 1_700)
        #expect(throws: QueueError.finished(assignment: c.assignment, state: "labeled")) {
            try store.submit(assignment: c.assignment, reviewer: "carol", outcome: .label("can"), now: 1_800)
        }
        #expect(try store.queueStatus(model: "shelf", now: 1_800).expired == 1)
    }

    @Test(arguments: Backend.all) func labelsGoToGroundTruthWithRevisionsAndStatisticsFollow(backend: Backend) throws {
        let store = try Self.queued(10, backend)  // item 1 (the first) needs two reviewers
        let a = try #require(try store.claim(model: "shelf", reviewer: "alice", now: 0, leaseMillis: 60_000))
        let b = try #require(try store.claim(model: "shelf", reviewer: "bob", now: 0, leaseMillis: 60_000))
        #expect(a.item == b.item)  // the double-reviewed item goes to both
        try store.submit(assignment: a.assignment, reviewer: "alice", outcome: .label("can"), now: 1_000)
        try store.submit(assignment: b.assignment, reviewer: "bob", outcome: .label("jar"), now: 2_000)
        let gt = try store.weightedReviews(model: "shelf", window: TimeWindow(from: 0, to: .max))
        // Bob disagrees with the truth Alice's answer wrote: recorded, and under the default rule
        // (keep_truth) the truth stays Alice's "can".
        #expect(gt.count == 1 && gt[0].observed == 0 && gt[0].inclusionProbability == 0.5)
        let events = try store.events(model: "shelf", limit: 50)
        #expect(events.contains { $0.kind == "review.disagreement" && $0.details.contains("\"truth\":\"can\"") })
        #expect(!events.contains { $0.kind == "label.relabel" })
        // Skip and flag are states with reasons.
        let s = try #require(try store.claim(model: "shelf", reviewer: "alice", now: 3_000, leaseMillis: 60_000))
        let f = try #require(try store.claim(model: "shelf", reviewer: "bob", now: 3_000, leaseMillis: 60_000))
        try store.submit(assignment: s.assignment, reviewer: "alice", outcome: .skip(reason: "blurry"), now: 3_100)
        try store.submit(assignment: f.assignment, reviewer: "bob", outcome: .flag(reason: "not a shelf"), now: 3_100)
        let status = try store.queueStatus(model: "shelf", now: 4_000)
        #expect(status.skipped == 1 && status.flagged == 1 && status.done == 1)
        // The skipped item goes to someone else, never back to alice.
        #expect(try store.claim(model: "shelf", reviewer: "alice", now: 5_000, leaseMillis: 60_000)?.item != s.item)
        let again = try #require(try store.claim(model: "shelf", reviewer: "carol", now: 5_000, leaseMillis: 60_000))
        let listing = try store.reviewItems(model: "shelf", state: nil, limit: 20).map { "\($0.id) \($0.state) \($0.claimedBy)" }
        #expect(again.item == s.item, "skipped \(s.item), flagged \(f.item), \(listing)")
        let stats = ReviewerStatistics(try store.finishedAssignments(model: "shelf"))
        #expect(stats.doubleReviewed == 1 && stats.agreement == 0)
        #expect(stats.reviewers.map(\.reviewer) == ["alice", "bob"])
    }

    /// An answer and its ground truth commit together: when the label cannot be written (here a
    /// trigger refuses every new revision), nothing of the answer is kept — no event, no label, no
    /// finished item — and the claim is still live, so the same answer succeeds once it can.
    @Test(arguments: Backend.all) func anAnswerWhoseLabelCannotBeWrittenLeavesNothingBehind(backend: Backend) throws {
        let store = try Self.queued(3, backend)
        try Self.refuseRevisions(store, true)
        let claim = try #require(try store.claim(model: "shelf", reviewer: "alice", now: 0, leaseMillis: 60_000))
        #expect(throws: (any Error).self) { try store.submit(assignment: claim.assignment, reviewer: "alice", outcome: .label("can"), now: 1_000) }
        #expect(try store.events(model: "shelf", limit: 50).allSatisfy { !$0.kind.hasPrefix("review.") })
        #expect(try store.weightedReviews(model: "shelf", window: TimeWindow(from: 0, to: .max)).isEmpty)
        #expect(try store.queueStatus(model: "shelf", now: 2_000).done == 0)
        try Self.refuseRevisions(store, false)
        try store.submit(assignment: claim.assignment, reviewer: "alice", outcome: .label("can"), now: 3_000)
        #expect(try store.events(model: "shelf", limit: 50).filter { $0.kind == "review.label" }.count == 1)
        #expect(try store.weightedReviews(model: "shelf", window: TimeWindow(from: 0, to: .max)).count == 1)
    }

    /// A batch claim takes the oldest items in order, each once; a batch of answers is recorded
    /// whole or, when one answer is refused, not at all (every claim stays live).
    @Test(arguments: Backend.all) func batchesOfClaimsAndAnswersAreAllOrNothing(backend: Backend) throws {
        let store = try Self.queued(8, backend)
        let first = try store.claim(model: "shelf", reviewer: "alice", now: 0, leaseMillis: 60_000, limit: 5)
        let rest = try store.claim(model: "shelf", reviewer: "alice", now: 0, leaseMillis: 60_000, limit: 5)
        #expect(first.count == 5 && rest.count == 3)
        let items = (first + rest).map(\.item)
        #expect(items == items.sorted() && Set(items).count == 8)
        #expect(try store.claim(model: "shelf", reviewer: "alice", now: 0, leaseMillis: 60_000, limit: 5).isEmpty)

        var answers = first.map { ReviewSubmission(assignment: $0.assignment, outcome: .label("can")) }
        answers[3].outcome = .label("not-a-class")
        #expect(throws: (any Error).self) { try store.submit(answers, reviewer: "alice", now: 1_000) }
        #expect(try store.weightedReviews(model: "shelf", window: TimeWindow(from: 0, to: .max)).isEmpty)
        #expect(try store.liveClaims(reviewer: "alice", model: "shelf", now: 1_000).count == 8)

        answers[3].outcome = .skip(reason: "blurry")
        try store.submit(answers, reviewer: "alice", now: 2_000)
        #expect(try store.weightedReviews(model: "shelf", window: TimeWindow(from: 0, to: .max)).count == 4)
        #expect(try store.events(model: "shelf", limit: 50).filter { $0.kind == "review.label" }.count == 4)
        #expect(try store.liveClaims(reviewer: "alice", model: "shelf", now: 2_000).map(\.item) == rest.map(\.item))
    }

    /// Adds or removes a trigger that makes every insert into `ground_truth_revisions` fail.
    static func refuseRevisions(_ store: any Store, _ on: Bool) throws {
        if let sqlite = store as? SQLiteStore {
            try DatabaseQueue(path: sqlite.path).write { db in
                try db.execute(sql: on ? "CREATE TRIGGER refuse_revisions BEFORE INSERT ON ground_truth_revisions BEGIN SELECT RAISE(ABORT, 'injected failure'); END"
                                       : "DROP TRIGGER refuse_revisions")
            }
        } else if let postgres = store as? PostgresStore {
            if on {
                try postgres.execute("CREATE FUNCTION refuse_revisions() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected failure'; END $$")
                try postgres.execute("CREATE TRIGGER refuse_revisions BEFORE INSERT ON ground_truth_revisions FOR EACH ROW EXECUTE FUNCTION refuse_revisions()")
            } else {
                try postgres.execute("DROP TRIGGER refuse_revisions ON ground_truth_revisions")
            }
        }
    }

    @Test func cohensKappaMatchesAHandComputedTable() {
        // 2×2 table: both yes 20, a yes b no 5, a no b yes 10, both no 15 (n = 50):
        // p_o = 0.7, p_e = 0.5·0.6 + 0.5·0.4 = 0.5, κ = 0.4.
        let pairs = Array(repeating: (1, 1), count: 20) + Array(repeating: (1, 0), count: 5) + Array(repeating: (0, 1), count: 10) + Array(repeating: (0, 0), count: 15)
        let (po, kappa) = ReviewerStatistics.cohensKappa(pairs)
        #expect(abs(po! - 0.7) < 1e-12 && abs(kappa! - 0.4) < 1e-12)
    }

    @Test func goldAccuracyHasAWilsonInterval() {
        let answers = (0..<20).map { i in
            FinishedAssignment(item: Int64(i), reviewer: "alice", state: "labeled", labelIndex: i < 16 ? 0 : 1, goldLabelIndex: 0, claimedAt: 0, finishedAt: 60_000)
        }
        let r = ReviewerStatistics(answers).reviewers[0]
        #expect(r.goldAnswered == 20 && r.goldCorrect == 16 && r.goldAccuracy == 0.8)
        #expect(r.goldInterval == WilsonInterval.interval(successes: 16, trials: 20))
        #expect(abs(r.labelsPerHour! - 60) < 1e-9)
    }
}

/// Claims gathered from many threads.
final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var claims: [(item: Int64, reviewer: String)] = []
    private var failures: [String] = []
    func add(_ item: Int64, _ reviewer: String) { lock.withLock { claims.append((item, reviewer)) } }
    func fail(_ message: String) { lock.withLock { failures.append(message) } }
    var values: ([(item: Int64, reviewer: String)], [String]) { lock.withLock { (claims, failures) } }
}
