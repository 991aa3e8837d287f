import Foundation
import Testing
import VigilCore
import VigilStore
@testable import VigilSampling

/// One ground truth, one queue: ground truth from any path closes the queue items of its
/// prediction, nobody is served an item that has its answer, and a review answer never
/// overwrites existing truth silently.
struct GroundTruthQueueTests {
    /// `count` predictions p0… queued one review each, with `rule`.
    static func queued(_ count: Int, _ backend: Backend, rule: DisagreementRule = .keepTruth) throws -> any Store {
        let store = try backend.makeStore().store
        try ingestPredictions(store, count: count)
        var seqs: [Int64] = []
        try store.forEachSamplingCandidate(model: "shelf", window: TimeWindow(from: 0, to: .max), passes: 1, attribute: nil) { _, c in seqs.append(c.seq) }
        let drafts = seqs.map { ReviewItemDraft(predictionSeq: $0, strategy: .uniform, inclusionProbability: 0.5, onDisagreement: rule) }
        #expect(try store.enqueue(drafts, model: "shelf", sampleRun: "t", now: day0, actor: "test") == count)
        return store
    }

    @Test(arguments: Backend.all) func ingestedLabelsCloseTheirItemsAndAreNeverServed(backend: Backend) throws {
        let store = try Self.queued(6, backend)
        try ingestLabels(store, ["p0", "p1", "p2", "p3"], label: "jar")
        let status = try store.queueStatus(model: "shelf", now: day0)
        #expect(status.open == 2 && status.done == 4 && status.closedByLabels == 4)
        // Only the two items without ground truth are served, whoever asks.
        let served = try store.claim(model: "shelf", reviewer: "alice", now: day0, leaseMillis: 60_000, limit: 10).map(\.predictionID)
        #expect(Set(served) == ["p4", "p5"])
        #expect(try store.claim(model: nil, reviewer: "bob", now: day0, leaseMillis: 60_000) == nil)
        // The items are listed as done.
        let done = try store.reviewItems(model: "shelf", state: "done", limit: 10).map(\.predictionID)
        #expect(Set(done) == ["p0", "p1", "p2", "p3"])
    }

    @Test(arguments: Backend.all) func aDisagreeingAnswerIsRecordedAndKeepsTheTruth(backend: Backend) throws {
        let store = try Self.queued(2, backend)
        let claims = try store.claim(model: "shelf", reviewer: "alice", now: day0, leaseMillis: 60_000, limit: 2)
        try #require(claims.count == 2)
        // Truth for both arrives while Alice holds them.
        try ingestLabels(store, claims.map(\.predictionID), label: "jar")
        try store.submit(assignment: claims[0].assignment, reviewer: "alice", outcome: .label("box"), now: day0 + 1_000)
        try store.submit(assignment: claims[1].assignment, reviewer: "alice", outcome: .label("jar"), now: day0 + 2_000)
        // The truth is still the imported "jar" for both: one revision each, no relabel.
        let truth = try store.weightedReviews(model: "shelf", window: TimeWindow(from: 0, to: .max))
        #expect(truth.count == 2 && truth.allSatisfy { $0.observed == 1 })
        let events = try store.events(model: "shelf", limit: 50)
        let disagreements = events.filter { $0.kind == "review.disagreement" }
        #expect(disagreements.count == 1)
        #expect(disagreements.first.map { $0.subject == claims[0].predictionID && $0.details.contains("\"truth_source\":\"import\"") } == true)
        #expect(!events.contains { $0.kind == "label.relabel" })
        // The reviewer's statistics count one agreement and one disagreement with the truth.
        let stats = ReviewerStatistics(try store.finishedAssignments(model: "shelf"))
        let alice = try #require(stats.reviewers.first)
        #expect(alice.truthChecked == 2 && alice.truthAgreed == 1)
    }

    @Test(arguments: Backend.all) func underReviewWinsTheAnswerBecomesANewRevision(backend: Backend) throws {
        let store = try Self.queued(1, backend, rule: .reviewWins)
        let claim = try #require(try store.claim(model: "shelf", reviewer: "alice", now: day0, leaseMillis: 60_000))
        try ingestLabels(store, [claim.predictionID], label: "jar")
        try store.submit(assignment: claim.assignment, reviewer: "alice", outcome: .label("box"), now: day0 + 1_000)
        let truth = try store.weightedReviews(model: "shelf", window: TimeWindow(from: 0, to: .max))
        #expect(truth.map(\.observed) == [2])
        let kinds = try store.events(model: "shelf", limit: 50).map(\.kind)
        #expect(kinds.contains("review.disagreement") && kinds.contains("label.relabel"))
    }

    @Test(arguments: Backend.all) func undoingAnAnswerOnAClosedItemLeavesItClosed(backend: Backend) throws {
        let store = try Self.queued(1, backend)
        let claim = try #require(try store.claim(model: "shelf", reviewer: "alice", now: day0, leaseMillis: 60_000))
        try ingestLabels(store, [claim.predictionID], label: "jar")
        try store.submit(assignment: claim.assignment, reviewer: "alice", outcome: .label("jar"), now: day0 + 1_000)
        let back = try store.undoLast(reviewer: "alice", model: "shelf", now: day0 + 2_000, leaseMillis: 60_000)
        try store.release(assignment: back.assignment, reviewer: "alice", now: day0 + 3_000)
        // Released, the item is still done (its truth came from the import) and is served to nobody.
        #expect(try store.queueStatus(model: "shelf", now: day0 + 3_000).open == 0)
        #expect(try store.claim(model: "shelf", reviewer: "bob", now: day0 + 3_000, leaseMillis: 60_000) == nil)
    }
}
