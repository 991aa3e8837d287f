/// Precision, recall and F1 against the score threshold: what a detector (or a classifier's
/// top-1 answer) would achieve if only predictions scoring at least `t` were kept.
///
/// Input: one entry per prediction, its score and whether it is correct (a true positive), and
/// the number of positives (ground-truth objects, or items of the class) that recall divides by.
/// Each distinct score is a threshold, from the highest down, as scikit-learn's
/// `precision_recall_curve` lists them; precision = tp / (tp + fp) and recall = tp / positives
/// at each. With `positives` equal to the number of correct predictions the two are the same
/// curve (tested against scikit-learn to 1e-12); a detector's recall also counts the objects
/// no box found, so its recall is scikit-learn's scaled by correct / positives.
///
/// ```swift
/// let sweep = ThresholdSweep(scores: [0.9, 0.8, 0.3], correct: [true, false, true], positives: 4)
/// sweep.best?.threshold   // 0.3: F1 4/7 with 2 of 4 found
/// ```
public struct ThresholdSweep: Sendable, Equatable, Codable {
    /// The counts and rates when predictions scoring at least `threshold` are kept.
    public struct Point: Sendable, Equatable, Codable {
        public var threshold: Double
        public var truePositives: Int
        public var falsePositives: Int
        /// tp / (tp + fp); 1 when nothing is kept (scikit-learn's convention at the top).
        public var precision: Double
        /// tp / positives; 0 without positives.
        public var recall: Double
        /// 2·tp / (tp + fp + positives), 0 when undefined.
        public var f1: Double

        enum CodingKeys: String, CodingKey {
            case threshold, precision, recall, f1
            case truePositives = "tp", falsePositives = "fp"
        }
    }

    /// The number recall divides by.
    public var positives: Int
    /// One point per distinct score, highest threshold first.
    public var points: [Point]

    enum CodingKeys: String, CodingKey { case positives, points }

    /// The curve of `scores` (one per prediction) with `correct` marking the true positives.
    public init(scores: [Double], correct: [Bool], positives: Int) {
        precondition(scores.count == correct.count, "one correctness flag per score")
        self.positives = positives
        let order = scores.indices.sorted { scores[$0] > scores[$1] }
        var points: [Point] = []
        var tp = 0, fp = 0
        for (rank, i) in order.enumerated() {
            if correct[i] { tp += 1 } else { fp += 1 }
            // A threshold is complete once every prediction with its score is counted.
            if rank + 1 < order.count && scores[order[rank + 1]] == scores[i] { continue }
            points.append(Self.point(threshold: scores[i], tp: tp, fp: fp, positives: positives))
        }
        self.points = points
    }

    static func point(threshold: Double, tp: Int, fp: Int, positives: Int) -> Point {
        let kept = tp + fp
        return Point(threshold: threshold, truePositives: tp, falsePositives: fp,
                     precision: kept == 0 ? 1 : Double(tp) / Double(kept),
                     recall: positives == 0 ? 0 : Double(tp) / Double(positives),
                     f1: kept + positives == 0 ? 0 : 2 * Double(tp) / Double(kept + positives))
    }

    /// The point with the highest F1 (the higher threshold on a tie: fewer alerts for the same
    /// F1), nil without predictions or positives.
    public var best: Point? {
        guard positives > 0 else { return nil }
        return points.reduce(nil as Point?) { best, p in
            guard let b = best else { return p }
            return p.f1 > b.f1 ? p : b
        }
    }

    /// The counts and rates when predictions scoring at least `threshold` are kept.
    public func at(_ threshold: Double) -> Point {
        // Points run from the highest threshold down: the last one still at or above `threshold`.
        guard let p = points.last(where: { $0.threshold >= threshold }) else {
            return Self.point(threshold: threshold, tp: 0, fp: 0, positives: positives)
        }
        return Point(threshold: threshold, truePositives: p.truePositives, falsePositives: p.falsePositives,
                     precision: p.precision, recall: p.recall, f1: p.f1)
    }

    /// The curve at `count` evenly spaced thresholds from 0 to 1 (what a report draws), highest first.
    public func grid(count: Int = 101) -> [Point] {
        (0..<count).reversed().map { at(Double($0) / Double(count - 1)) }
    }
}
