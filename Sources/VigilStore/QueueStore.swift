import Foundation
import VigilCore

/// The review queue's part of the store: sampled items with their inclusion probability, and
/// claims on them under a lease.
///
/// A claim is an assignment row (`claimed`, with `lease_until`) made inside one write
/// transaction that first expires stale leases and then picks an open item the reviewer has
/// not had, whose live claims plus finished reviews are fewer than it needs (one, or two for
/// double-reviewed items). SQLite serializes these with `BEGIN IMMEDIATE`; PostgreSQL would
/// pick with `SELECT … FOR UPDATE SKIP LOCKED`. Only the holder of a live claim can submit;
/// a submission after the lease passed is refused with ``QueueError/leaseLost(_:)``.
public protocol QueueStore {
    /// Calls `body` for every prediction of `model` in `window` that is neither queued nor
    /// labelled, in time order (ties in ingest order) on every pass and on both backends, so a
    /// seeded sampler draws the same items from the same data; inside one read snapshot, `body`
    /// gets a pass number and is called for `passes` full passes over the same rows.
    func forEachSamplingCandidate(model: String, window: TimeWindow, passes: Int, attribute: String?,
                                  _ body: (_ pass: Int, _ candidate: SamplingCandidate) throws -> Void) throws

    /// Calls `body` with every labelled prediction of `model` in `window` that was never queued
    /// (seq, current label index): the pool gold items are drawn from.
    func forEachGoldCandidate(model: String, window: TimeWindow, _ body: (_ seq: Int64, _ labelIndex: Int) throws -> Void) throws

    /// Distinct values of `input.attributes.<attribute>` among predictions of `model` in `window`.
    func attributeValues(model: String, window: TimeWindow, attribute: String) throws -> Set<String>

    /// Queues `items` (already queued or labelled predictions are left out); returns how many were queued.
    func enqueue(_ items: [ReviewItemDraft], model: String, sampleRun: String, now: Int64, actor: String) throws -> Int

    /// Items of `model` queued after `since`, gold items aside, by strategy and by stratum (the
    /// predicted class): what the daily budget has already spent.
    func queuedCounts(model: String, since: Int64) throws -> QueuedCounts

    /// Claims up to `limit` items for `reviewer` (oldest first) in one transaction; empty when
    /// nothing is left for them. For a reviewer that answers many items at once, such as the
    /// quickstart's simulated reviewer.
    func claim(model: String?, reviewer: String, now: Int64, leaseMillis: Int64, limit: Int) throws -> [ReviewClaim]

    /// Extends a live claim of `reviewer`.
    func renew(assignment: Int64, reviewer: String, now: Int64, leaseMillis: Int64) throws -> ReviewClaim

    /// Gives a claimed item back to the queue (the reviewer may get it again later).
    func release(assignment: Int64, reviewer: String, now: Int64) throws

    /// Records answers of `reviewer` on live claims in one transaction: all of them, or none when
    /// one is refused. Each is a label or boxes (through the ground-truth path, so revisions keep
    /// history, committed with the answer), a skip or a flag, each with an optional reason.
    /// Returns what became of each answer (``AnswerEffect``), in order.
    @discardableResult
    func submit(_ answers: [ReviewSubmission], reviewer: String, now: Int64) throws -> [AnswerEffect]

    /// The live claims of `reviewer` (oldest first): what a restarted `vigil review` resumes.
    func liveClaims(reviewer: String, model: String?, now: Int64) throws -> [ReviewClaim]

    /// Takes back `reviewer`'s last answer (label, boxes, skip or flag) and gives the item back
    /// to them as a new live claim. Refused with ``QueueError/cannotUndo(_:)`` when there is
    /// nothing to undo or the answer is already used elsewhere: another reviewer has answered
    /// or claimed the item since, or its ground truth has a later revision (docs/review.md).
    func undoLast(reviewer: String, model: String?, now: Int64, leaseMillis: Int64) throws -> ReviewClaim

    /// Items labelled since `since` (all reviewers; one model or all): the review screen's progress.
    func labeledItemCount(model: String?, since: Int64) throws -> Int

    /// Ends claims whose lease has passed (their items go back to the queue); returns how many.
    func expireLeases(now: Int64) throws -> Int

    /// Releases every live claim of `reviewer` (or every live claim with `reviewer == nil`).
    func releaseAll(reviewer: String?, model: String?, now: Int64) throws -> Int

    /// Counts by state, for `vigil queue status`.
    func queueStatus(model: String?, now: Int64) throws -> QueueStatus

    /// Queue items, newest first.
    func reviewItems(model: String?, state: String?, limit: Int) throws -> [ReviewItem]

    /// Every finished assignment of `model`'s items (for reviewer statistics).
    func finishedAssignments(model: String) throws -> [FinishedAssignment]

    /// Labelled queue items of `model` in `window` with their inclusion probability: (observed, predicted, π).
    func weightedReviews(model: String, window: TimeWindow) throws -> [WeightedReview]
}

/// Items queued in a period, by sampling strategy and, for each strategy, by stratum (the
/// predicted class index the sampler filed the item under; nil: no predicted class).
public struct QueuedCounts: Sendable, Equatable {
    public private(set) var byStrategy: [SamplingStrategy: Int] = [:]
    public private(set) var byStratum: [SamplingStrategy: [Int?: Int]] = [:]

    public init() {}

    /// All items counted.
    public var total: Int { byStrategy.values.reduce(0, +) }

    /// Counts `count` items of `strategy` in `stratum`.
    public mutating func add(_ strategy: SamplingStrategy, stratum: Int?, count: Int) {
        byStrategy[strategy, default: 0] += count
        byStratum[strategy, default: [:]][stratum, default: 0] += count
    }

    /// Items of `strategy` (0 when none).
    public func count(_ strategy: SamplingStrategy) -> Int { byStrategy[strategy] ?? 0 }
}

/// One prediction the sampler may draw.
public struct SamplingCandidate {
    public var seq: Int64
    public var labelIndex: Int?
    public var score: Double?
    /// The stored payload JSON (`input`, `scores`, `boxes`), valid only during the call.
    public var payload: UnsafeBufferPointer<UInt8>?
    /// The value of the requested `input.attributes` member, when asked for.
    public var attribute: String?
    public init(seq: Int64, labelIndex: Int?, score: Double?, payload: UnsafeBufferPointer<UInt8>?, attribute: String?) {
        self.seq = seq
        self.labelIndex = labelIndex
        self.score = score
        self.payload = payload
        self.attribute = attribute
    }
}

extension QueueStore {
    /// Items of `model` queued after `since`, gold items aside.
    public func queuedCount(model: String, since: Int64) throws -> Int {
        try queuedCounts(model: model, since: since).total
    }

    /// Claims the next item for `reviewer` (oldest first); `nil` when nothing is left for them.
    public func claim(model: String?, reviewer: String, now: Int64, leaseMillis: Int64) throws -> ReviewClaim? {
        try claim(model: model, reviewer: reviewer, now: now, leaseMillis: leaseMillis, limit: 1).first
    }

    /// Records a reviewer's answer on a live claim (see ``submit(_:reviewer:now:)``).
    @discardableResult
    public func submit(assignment: Int64, reviewer: String, outcome: ReviewOutcome, now: Int64) throws -> AnswerEffect {
        try submit([ReviewSubmission(assignment: assignment, outcome: outcome)], reviewer: reviewer, now: now).first ?? .recorded
    }
}

