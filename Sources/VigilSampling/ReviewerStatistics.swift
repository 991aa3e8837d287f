import VigilCore
import VigilStore

/// How reviewers are doing: throughput, agreement on double-reviewed items, accuracy on gold
/// items (with a Wilson interval), and agreement with ground truth that was already there when
/// they answered (imported labels, or a first reviewer's answer).
///
/// ```swift
/// let stats = ReviewerStatistics(try store.finishedAssignments(model: "shelf-classifier"))
/// print(stats.kappa ?? .nan)
/// ```
public struct ReviewerStatistics: Sendable, Codable, Equatable {
    public struct Reviewer: Sendable, Codable, Equatable {
        public var reviewer: String
        public var labeled: Int
        public var skipped: Int
        public var flagged: Int
        /// Labels per hour of claimed time (from claim to answer, summed).
        public var labelsPerHour: Double?
        public var goldAnswered: Int
        public var goldCorrect: Int
        public var goldAccuracy: Double?
        public var goldInterval: Interval?
        /// Answers given where the prediction already had ground truth (not gold).
        public var truthChecked: Int = 0
        /// Of those, answers equal to that truth; the others are recorded disagreements.
        public var truthAgreed: Int = 0

        enum CodingKeys: String, CodingKey {
            case reviewer, labeled, skipped, flagged
            case truthChecked = "truth_checked"
            case truthAgreed = "truth_agreed"
            case labelsPerHour = "labels_per_hour"
            case goldAnswered = "gold_answered"
            case goldCorrect = "gold_correct"
            case goldAccuracy = "gold_accuracy"
            case goldInterval = "gold_interval"
        }
    }

    public var reviewers: [Reviewer]
    /// Items labelled by two different reviewers.
    public var doubleReviewed: Int
    /// Share of those where the two agree.
    public var agreement: Double?
    /// Cohen's κ over those pairs: (p_o − p_e) / (1 − p_e), p_e from each position's label shares.
    public var kappa: Double?

    enum CodingKeys: String, CodingKey {
        case reviewers, agreement, kappa
        case doubleReviewed = "double_reviewed"
    }

    public init(_ assignments: [FinishedAssignment], confidence: Double = 0.95) {
        var byReviewer: [String: Reviewer] = [:]
        var busyMillis: [String: Int64] = [:]
        var labelsByItem: [Int64: [Int]] = [:]
        for a in assignments {
            var r = byReviewer[a.reviewer] ?? Reviewer(reviewer: a.reviewer, labeled: 0, skipped: 0, flagged: 0, goldAnswered: 0, goldCorrect: 0)
            switch a.state {
            case "labeled":
                r.labeled += 1
                if let agrees = a.agreesWithTruth {
                    r.truthChecked += 1
                    if agrees { r.truthAgreed += 1 }
                }
                busyMillis[a.reviewer, default: 0] += max(0, a.finishedAt - a.claimedAt)
                if let label = a.labelIndex {
                    if let gold = a.goldLabelIndex {
                        r.goldAnswered += 1
                        if gold == label { r.goldCorrect += 1 }
                    } else {
                        labelsByItem[a.item, default: []].append(label)
                    }
                }
            case "skipped": r.skipped += 1
            case "flagged": r.flagged += 1
            default: break
            }
            byReviewer[a.reviewer] = r
        }
        for (name, var r) in byReviewer {
            if let ms = busyMillis[name], ms > 0 { r.labelsPerHour = Double(r.labeled) / (Double(ms) / 3_600_000) }
            if r.goldAnswered > 0 {
                r.goldAccuracy = Double(r.goldCorrect) / Double(r.goldAnswered)
                r.goldInterval = WilsonInterval.interval(successes: r.goldCorrect, trials: r.goldAnswered, confidence: confidence)
            }
            byReviewer[name] = r
        }
        reviewers = byReviewer.values.sorted { $0.reviewer < $1.reviewer }
        let pairs = labelsByItem.values.filter { $0.count >= 2 }.map { ($0[0], $0[1]) }
        doubleReviewed = pairs.count
        (agreement, kappa) = Self.cohensKappa(pairs)
    }

    /// Observed agreement and Cohen's κ of label pairs (first and second reviewer of an item).
    public static func cohensKappa(_ pairs: [(Int, Int)]) -> (agreement: Double?, kappa: Double?) {
        guard !pairs.isEmpty else { return (nil, nil) }
        let n = Double(pairs.count)
        var first: [Int: Double] = [:], second: [Int: Double] = [:]
        var agree = 0.0
        for (a, b) in pairs {
            first[a, default: 0] += 1
            second[b, default: 0] += 1
            if a == b { agree += 1 }
        }
        let po = agree / n
        let pe = first.reduce(0.0) { $0 + ($1.value / n) * ((second[$1.key] ?? 0) / n) }
        guard pe < 1 else { return (po, nil) }  // everyone gave one label: κ undefined
        return (po, (po - pe) / (1 - pe))
    }
}
