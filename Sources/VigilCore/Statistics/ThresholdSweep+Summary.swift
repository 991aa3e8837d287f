/// What a report shows of one ``ThresholdSweep``: the policy's operating point, the best-F1
/// point with intervals on its precision and recall, and the curve at 101 thresholds.
public struct ThresholdSweepSummary: Sendable, Equatable, Codable {
    /// The class, or nil for all classes together (micro: every prediction, every positive).
    public var className: String?
    /// Ground-truth objects (detectors) or items of the class (classifiers) recall divides by.
    public var positives: Int
    /// At the policy's `score_threshold`: what the model is run at today.
    public var current: ThresholdSweep.Point
    /// The threshold with the highest F1; nil without positives.
    public var best: ThresholdSweep.Point?
    /// Wilson intervals at the policy's confidence on the best point's precision and recall.
    public var bestPrecisionInterval: Interval?
    public var bestRecallInterval: Interval?
    /// The curve at thresholds 1.00, 0.99, …, 0.00.
    public var curve: [ThresholdSweep.Point]

    enum CodingKeys: String, CodingKey {
        case className = "class"
        case positives, current, best, curve
        case bestPrecisionInterval = "best_precision_interval"
        case bestRecallInterval = "best_recall_interval"
    }

    /// The summary of `sweep` at the operating point `scoreThreshold`.
    public init(_ sweep: ThresholdSweep, className: String?, scoreThreshold: Double, confidence: Double) {
        self.className = className
        positives = sweep.positives
        current = sweep.at(scoreThreshold)
        best = sweep.best
        bestPrecisionInterval = best.flatMap {
            WilsonInterval.interval(successes: $0.truePositives, trials: $0.truePositives + $0.falsePositives, confidence: confidence)
        }
        bestRecallInterval = best.flatMap { WilsonInterval.interval(successes: $0.truePositives, trials: sweep.positives, confidence: confidence) }
        curve = sweep.grid()
    }
}
