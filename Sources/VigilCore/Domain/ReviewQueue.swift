import Foundation

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
    /// The predicted class index the sampler filed the item under (nil: no predicted class),
    /// so the daily budget can count each class's stratified items.
    public var stratum: Int?
    /// What a review answer that disagrees with the item's existing ground truth does.
    public var onDisagreement: DisagreementRule

    public init(predictionSeq: Int64, strategy: SamplingStrategy, inclusionProbability: Double, reviewsRequired: Int = 1, goldLabelIndex: Int? = nil,
                stratum: Int? = nil, onDisagreement: DisagreementRule = .keepTruth) {
        self.predictionSeq = predictionSeq
        self.strategy = strategy
        self.inclusionProbability = inclusionProbability
        self.reviewsRequired = reviewsRequired
        self.goldLabelIndex = goldLabelIndex
        self.stratum = stratum
        self.onDisagreement = onDisagreement
    }
}

/// What happens when a reviewer's answer disagrees with the ground truth the item's prediction
/// already has (imported while the item was claimed, or a first reviewer's answer on a
/// double-reviewed item). The disagreement is recorded either way (a `review.disagreement`
/// event, and counted in the reviewer statistics); the rule says which answer is the truth.
public enum DisagreementRule: String, Sendable, Equatable, Codable, CaseIterable {
    /// The existing ground truth stays (the default).
    case keepTruth = "keep_truth"
    /// The review answer becomes a new revision of the ground truth (history is kept).
    case reviewWins = "review_wins"
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

/// What the store made of one recorded answer, so the reviewer can be told.
public enum AnswerEffect: Sendable, Equatable {
    /// The answer is recorded (a label or boxes became the ground truth; or a skip, a flag, a
    /// gold item's answer).
    case recorded
    /// The prediction already had ground truth, and the answer agrees with it.
    case agreesWithTruth(source: String)
    /// The prediction already had ground truth (`truth`: a class name or "boxes", from
    /// `source`) and the answer differs: a recorded disagreement. `kept`: the truth stayed
    /// (`keep_truth`); otherwise the answer replaced it (`review_wins`).
    case disagrees(truth: String, source: String, kept: Bool)
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
    /// Items with all their reviews, or closed by ground truth that arrived by another path.
    public var done: Int
    /// Of `done`: items closed by ground truth from `vigil ingest labels` or the HTTP API,
    /// before a reviewer answered them.
    public var closedByLabels: Int
    public var flagged: Int
    /// Claims whose lease passed without an answer (returned to the queue).
    public var expired: Int
    public var skipped: Int
    /// Items per strategy.
    public var byStrategy: [String: Int]

    enum CodingKeys: String, CodingKey {
        case open, claimed, done, flagged, expired, skipped
        case byStrategy = "by_strategy"
        case closedByLabels = "closed_by_labels"
    }

    public init(open: Int = 0, claimed: Int = 0, done: Int = 0, closedByLabels: Int = 0, flagged: Int = 0, expired: Int = 0, skipped: Int = 0,
                byStrategy: [String: Int] = [:]) {
        self.closedByLabels = closedByLabels
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
    /// For an answer given where the prediction already had ground truth (not gold): whether
    /// the answer agreed with it; nil when there was none.
    public var agreesWithTruth: Bool?

    public init(item: Int64, reviewer: String, state: String, labelIndex: Int?, goldLabelIndex: Int?, claimedAt: Int64, finishedAt: Int64,
                agreesWithTruth: Bool? = nil) {
        self.agreesWithTruth = agreesWithTruth
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
