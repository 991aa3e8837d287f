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
    /// labelled, in the same order on every pass, inside one read snapshot; `body` gets a pass number and
    /// is called for `passes` full passes over the same rows.
    func forEachSamplingCandidate(model: String, window: TimeWindow, passes: Int, attribute: String?,
                                  _ body: (_ pass: Int, _ candidate: SamplingCandidate) throws -> Void) throws

    /// Calls `body` with every labelled prediction of `model` in `window` that was never queued
    /// (seq, current label index): the pool gold items are drawn from.
    func forEachGoldCandidate(model: String, window: TimeWindow, _ body: (_ seq: Int64, _ labelIndex: Int) throws -> Void) throws

    /// Distinct values of `input.attributes.<attribute>` among predictions of `model` in `window`.
    func attributeValues(model: String, window: TimeWindow, attribute: String) throws -> Set<String>

    /// Queues `items` (already queued or labelled predictions are left out); returns how many were queued.
    func enqueue(_ items: [ReviewItemDraft], model: String, sampleRun: String, now: Int64, actor: String) throws -> Int

    /// Items of `model` queued after `since` (for the daily budget).
    func queuedCount(model: String, since: Int64) throws -> Int

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
    func submit(_ answers: [ReviewSubmission], reviewer: String, now: Int64) throws

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

/// A sampled prediction, before it is queued.
public struct ReviewItemDraft: Sendable, Equatable {
    public var predictionSeq: Int64
    public var strategy: SamplingStrategy
    /// Probability that this run's design draws the prediction (see docs/statistics.md).
    public var inclusionProbability: Double
    /// 2 for items that go to two different reviewers.
    public var reviewsRequired: Int
    /// For gold items: the known class index.
    public var goldLabelIndex: Int?

    public init(predictionSeq: Int64, strategy: SamplingStrategy, inclusionProbability: Double, reviewsRequired: Int = 1, goldLabelIndex: Int? = nil) {
        self.predictionSeq = predictionSeq
        self.strategy = strategy
        self.inclusionProbability = inclusionProbability
        self.reviewsRequired = reviewsRequired
        self.goldLabelIndex = goldLabelIndex
    }
}

/// A live claim: what the reviewer is to look at and until when.
public struct ReviewClaim: Sendable, Equatable, Codable {
    public var assignment: Int64
    public var item: Int64
    public var model: String
    public var predictionID: String
    public var predictedClass: String?
    public var score: Double?
    public var payload: String?
    public var reviewer: String
    public var leaseUntil: Int64
    public var isGold: Bool

    public init(assignment: Int64, item: Int64, model: String, predictionID: String, predictedClass: String?, score: Double?, payload: String?,
                reviewer: String, leaseUntil: Int64, isGold: Bool) {
        self.assignment = assignment
        self.item = item
        self.model = model
        self.predictionID = predictionID
        self.predictedClass = predictedClass
        self.score = score
        self.payload = payload
        self.reviewer = reviewer
        self.leaseUntil = leaseUntil
        self.isGold = isGold
    }
}

extension QueueStore {
    /// Claims the next item for `reviewer` (oldest first); `nil` when nothing is left for them.
    public func claim(model: String?, reviewer: String, now: Int64, leaseMillis: Int64) throws -> ReviewClaim? {
        try claim(model: model, reviewer: reviewer, now: now, leaseMillis: leaseMillis, limit: 1).first
    }

    /// Records a reviewer's answer on a live claim (see ``submit(_:reviewer:now:)``).
    public func submit(assignment: Int64, reviewer: String, outcome: ReviewOutcome, now: Int64) throws {
        try submit([ReviewSubmission(assignment: assignment, outcome: outcome)], reviewer: reviewer, now: now)
    }
}

/// What a reviewer did with a claimed item.
public enum ReviewOutcome: Sendable, Equatable {
    /// The observed class (classification).
    case label(String)
    case skip(reason: String?)
    case flag(reason: String)
    /// The reviewed boxes of a detection image: accepted, changed and added boxes become its
    /// ground truth; rejected ones are kept with the answer only.
    case boxes([ReviewedBox])
}

/// A reviewer's answer to one of their claims, for ``QueueStore/submit(_:reviewer:now:)``.
public struct ReviewSubmission: Sendable, Equatable {
    /// The claim answered.
    public var assignment: Int64
    /// The answer.
    public var outcome: ReviewOutcome

    public init(assignment: Int64, outcome: ReviewOutcome) {
        self.assignment = assignment
        self.outcome = outcome
    }
}

/// One box of a reviewed detection image, in COCO pixels.
public struct ReviewedBox: Sendable, Equatable, Codable {
    /// What the reviewer did with the box.
    public enum Verdict: String, Sendable, Codable, CaseIterable {
        /// A predicted box confirmed as is.
        case accepted
        /// A predicted box with a new class, position or size.
        case changed
        /// A predicted box that is a false positive.
        case rejected
        /// A box for an object the model missed.
        case added
    }

    public var label: String
    public var x: Double
    public var y: Double
    public var width: Double
    public var height: Double
    public var verdict: Verdict

    public init(label: String, x: Double, y: Double, width: Double, height: Double, verdict: Verdict) {
        self.label = label
        self.x = x
        self.y = y
        self.width = width
        self.height = height
        self.verdict = verdict
    }

    /// The ground-truth JSON array of `boxes` — every box but the rejected ones — in the form
    /// `vigil ingest labels` takes: `[{"label":"can","bbox":[x,y,w,h],"review":"accepted"}, …]`.
    public static func groundTruthJSON(_ boxes: [ReviewedBox]) -> String {
        "[" + boxes.filter { $0.verdict != .rejected }.map { $0.json }.joined(separator: ",") + "]"
    }

    /// All boxes with their verdicts, as kept with the answer.
    public static func answerJSON(_ boxes: [ReviewedBox]) -> String {
        "[" + boxes.map { $0.json }.joined(separator: ",") + "]"
    }

    var json: String {
        func n(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v) }
        return "{\"label\":\(JSONText.quote(label)),\"bbox\":[\(n(x)),\(n(y)),\(n(width)),\(n(height))],\"review\":\"\(verdict.rawValue)\"}"
    }
}

/// Queue counts.
public struct QueueStatus: Sendable, Equatable, Codable {
    /// Items still wanting a review.
    public var open: Int
    /// Live claims.
    public var claimed: Int
    /// Items with all their reviews.
    public var done: Int
    public var flagged: Int
    /// Claims whose lease passed without an answer (returned to the queue).
    public var expired: Int
    public var skipped: Int
    /// Items per strategy.
    public var byStrategy: [String: Int]

    enum CodingKeys: String, CodingKey {
        case open, claimed, done, flagged, expired, skipped
        case byStrategy = "by_strategy"
    }

    public init(open: Int = 0, claimed: Int = 0, done: Int = 0, flagged: Int = 0, expired: Int = 0, skipped: Int = 0, byStrategy: [String: Int] = [:]) {
        self.open = open
        self.claimed = claimed
        self.done = done
        self.flagged = flagged
        self.expired = expired
        self.skipped = skipped
        self.byStrategy = byStrategy
    }
}

/// A queue item as listed.
public struct ReviewItem: Sendable, Equatable, Codable {
    public var id: Int64
    public var model: String
    public var predictionID: String
    public var strategy: String
    public var inclusionProbability: Double
    public var reviewsRequired: Int
    public var isGold: Bool
    public var state: String
    public var sampledAt: Int64
    /// Reviewers holding a live claim.
    public var claimedBy: [String]

    public init(id: Int64, model: String, predictionID: String, strategy: String, inclusionProbability: Double, reviewsRequired: Int, isGold: Bool,
                state: String, sampledAt: Int64, claimedBy: [String]) {
        self.id = id
        self.model = model
        self.predictionID = predictionID
        self.strategy = strategy
        self.inclusionProbability = inclusionProbability
        self.reviewsRequired = reviewsRequired
        self.isGold = isGold
        self.state = state
        self.sampledAt = sampledAt
        self.claimedBy = claimedBy
    }

    enum CodingKeys: String, CodingKey {
        case id, model, strategy, state
        case predictionID = "prediction_id"
        case inclusionProbability = "inclusion_probability"
        case reviewsRequired = "reviews_required"
        case isGold = "gold"
        case sampledAt = "sampled_at"
        case claimedBy = "claimed_by"
    }
}

/// One finished assignment, for reviewer statistics.
public struct FinishedAssignment: Sendable, Equatable {
    public var item: Int64
    public var reviewer: String
    public var state: String
    public var labelIndex: Int?
    public var goldLabelIndex: Int?
    public var claimedAt: Int64
    public var finishedAt: Int64

    public init(item: Int64, reviewer: String, state: String, labelIndex: Int?, goldLabelIndex: Int?, claimedAt: Int64, finishedAt: Int64) {
        self.item = item
        self.reviewer = reviewer
        self.state = state
        self.labelIndex = labelIndex
        self.goldLabelIndex = goldLabelIndex
        self.claimedAt = claimedAt
        self.finishedAt = finishedAt
    }
}

/// A labelled queue item for weighted estimation.
public struct WeightedReview: Sendable, Equatable {
    public var observed: Int
    public var predicted: Int
    public var inclusionProbability: Double
    public init(observed: Int, predicted: Int, inclusionProbability: Double) {
        self.observed = observed
        self.predicted = predicted
        self.inclusionProbability = inclusionProbability
    }
}

/// Queue refusals, each saying what happened and what to do.
public enum QueueError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No such assignment.
    case unknownAssignment(Int64)
    /// The claim belongs to someone else.
    case notYours(assignment: Int64, holder: String)
    /// The lease passed (and the item may have gone to another reviewer): the answer is not recorded.
    case leaseLost(String)
    /// The claim was already answered or released.
    case finished(assignment: Int64, state: String)
    /// A label that is not one of the model's classes.
    case unknownClass(String, known: [String])
    /// Undo refused: nothing to undo, or the answer is already used elsewhere (the message says which).
    case cannotUndo(String)

    public var description: String {
        switch self {
        case .unknownAssignment(let a): "no claim \(a) in the queue: claim an item first (vigil queue list shows the queue)"
        case .notYours(let a, let holder): "claim \(a) is held by \(holder), not by you: only the reviewer holding a claim can answer it"
        case .leaseLost(let message): message
        case .finished(let a, let state): "claim \(a) is already \(state): claim another item"
        case .unknownClass(let c, let known): "'\(c)' is not a class of this model (classes: \(known.joined(separator: ", ")))"
        case .cannotUndo(let message): message
        }
    }
}
