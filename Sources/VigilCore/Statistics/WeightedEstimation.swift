import Foundation

/// Precision, recall, F1 and class shares of the whole window, estimated from reviewed items
/// that were drawn with unequal inclusion probabilities π (Hájek: every item weighs 1/π, and
/// each metric is a ratio of weighted totals), with seeded percentile-bootstrap intervals.
///
/// Under uncertainty-heavy sampling the reviewed items are mostly hard ones; counted once each
/// they understate the model. Weighted by 1/π they stand for the predictions they represent.
/// Formulas: `docs/statistics.md`.
///
/// ```swift
/// let e = WeightedEstimation(reviews: [(observed: 0, predicted: 0, pi: 0.02), …], classCount: 3)
/// e.perClass[0].precision
/// ```
public struct WeightedEstimation: Sendable, Equatable, Codable {
    public struct ClassEstimate: Sendable, Equatable, Codable {
        public var className: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        /// Estimated share of the window's predictions whose true class this is.
        public var observedShare: Double
        /// Estimated share predicted as this class.
        public var predictedShare: Double
        public var precisionInterval: Interval?
        public var recallInterval: Interval?
        public var f1Interval: Interval?
        public var observedShareInterval: Interval?
        /// Reviewed items of this true class (unweighted).
        public var reviewed: Int

        enum CodingKeys: String, CodingKey {
            case precision, recall, f1, reviewed
            case className = "class"
            case observedShare = "observed_share"
            case predictedShare = "predicted_share"
            case precisionInterval = "precision_interval"
            case recallInterval = "recall_interval"
            case f1Interval = "f1_interval"
            case observedShareInterval = "observed_share_interval"
        }
    }

    /// Reviewed items used.
    public var reviewed: Int
    /// Σ 1/π: the number of predictions the sample stands for.
    public var representedPredictions: Double
    /// Kish's effective sample size (Σw)² / Σw².
    public var effectiveSampleSize: Double
    public var accuracy: Double
    public var accuracyInterval: Interval?
    public var macroF1: Double
    public var macroF1Interval: Interval?
    public var perClass: [ClassEstimate]
    public var bootstrapResamples: Int

    enum CodingKeys: String, CodingKey {
        case reviewed, accuracy
        case representedPredictions = "represented_predictions"
        case effectiveSampleSize = "effective_sample_size"
        case accuracyInterval = "accuracy_interval"
        case macroF1 = "macro_f1"
        case macroF1Interval = "macro_f1_interval"
        case perClass = "per_class"
        case bootstrapResamples = "bootstrap_resamples"
    }

    /// Point estimates of one (re)sample: per class (precision, recall, f1, observed share,
    /// predicted share), then accuracy and macro F1.
    struct Point {
        var precision: [Double], recall: [Double], f1: [Double], observed: [Double], predicted: [Double]
        var accuracy: Double, macroF1: Double
    }

    static func point(_ reviews: [(observed: Int, predicted: Int, pi: Double)], indices: some Sequence<Int>, classCount k: Int) -> Point {
        var rowTotal = [Double](repeating: 0, count: k), colTotal = [Double](repeating: 0, count: k), diag = [Double](repeating: 0, count: k)
        var total = 0.0
        for i in indices {
            let r = reviews[i]
            let w = 1 / r.pi
            rowTotal[r.observed] += w
            colTotal[r.predicted] += w
            if r.observed == r.predicted { diag[r.observed] += w }
            total += w
        }
        var p = Point(precision: [], recall: [], f1: [], observed: [], predicted: [], accuracy: 0, macroF1: 0)
        for c in 0..<k {
            let precision = colTotal[c] > 0 ? diag[c] / colTotal[c] : 0
            let recall = rowTotal[c] > 0 ? diag[c] / rowTotal[c] : 0
            p.precision.append(precision)
            p.recall.append(recall)
            p.f1.append(precision + recall > 0 ? 2 * precision * recall / (precision + recall) : 0)
            p.observed.append(total > 0 ? rowTotal[c] / total : 0)
            p.predicted.append(total > 0 ? colTotal[c] / total : 0)
        }
        p.accuracy = total > 0 ? diag.reduce(0, +) / total : 0
        p.macroF1 = k > 0 ? p.f1.reduce(0, +) / Double(k) : 0
        return p
    }

    /// Hájek estimates over `reviews` (class indices below `classNames.count`, π in (0, 1]).
    public init(reviews: [(observed: Int, predicted: Int, pi: Double)], classNames: [String], resamples: Int = 200, seed: UInt64 = 1,
                confidence: Double = 0.95) {
        let k = classNames.count
        let valid = reviews.filter { $0.observed >= 0 && $0.observed < k && $0.predicted >= 0 && $0.predicted < k && $0.pi > 0 && $0.pi <= 1 }
        let n = valid.count
        let est = Self.point(valid, indices: 0..<n, classCount: k)
        let weights = valid.map { 1 / $0.pi }
        let sw = weights.reduce(0, +), sw2 = weights.reduce(0) { $0 + $1 * $1 }
        reviewed = n
        representedPredictions = sw
        effectiveSampleSize = sw2 > 0 ? sw * sw / sw2 : 0
        accuracy = est.accuracy
        macroF1 = est.macroF1
        bootstrapResamples = n > 1 ? resamples : 0
        // Percentile bootstrap, resampling reviewed items with replacement (seeded).
        var samples: [Point] = []
        if n > 1 && resamples > 0 {
            var rng = SplitMix64(seed: seed)
            var idx = [Int](repeating: 0, count: n)
            samples.reserveCapacity(resamples)
            for _ in 0..<resamples {
                for j in 0..<n { idx[j] = Int(rng.next() % UInt64(n)) }
                samples.append(Self.point(valid, indices: idx, classCount: k))
            }
        }
        func interval(_ values: [Double]) -> Interval? { Interval.percentile(of: values, confidence: confidence) }
        accuracyInterval = interval(samples.map(\.accuracy))
        macroF1Interval = interval(samples.map(\.macroF1))
        perClass = (0..<k).map { c in
            ClassEstimate(className: classNames[c], precision: est.precision[c], recall: est.recall[c], f1: est.f1[c],
                          observedShare: est.observed[c], predictedShare: est.predicted[c],
                          precisionInterval: interval(samples.map { $0.precision[c] }), recallInterval: interval(samples.map { $0.recall[c] }),
                          f1Interval: interval(samples.map { $0.f1[c] }), observedShareInterval: interval(samples.map { $0.observed[c] }),
                          reviewed: valid.filter { $0.observed == c }.count)
        }
    }

    /// True when the π differ (beyond rounding): then the Hájek estimates differ from plain counts.
    public static func isWeighted(_ pis: [Double]) -> Bool {
        guard let lo = pis.min(), let hi = pis.max() else { return false }
        return hi > lo * (1 + 1e-9)
    }
}
