/// One reviewed classification: the true class, the predicted class and the prediction's
/// top-1 score (nil when the prediction carried none).
public struct ReviewedScore: Sendable, Equatable {
    public var observed: Int
    public var predicted: Int
    public var score: Double?

    public init(observed: Int, predicted: Int, score: Double?) {
        self.observed = observed
        self.predicted = predicted
        self.score = score
    }
}

extension ThresholdSweep {
    /// A classifier's sweeps against the top-1 score, all classes first: overall, a kept
    /// prediction is right when it names the true class and recall divides by every reviewed
    /// item (what share would be answered correctly if the rest went to a person); per class,
    /// the predictions of the class against the reviewed items of the class. Empty when no
    /// reviewed prediction has a score.
    public static func classification(_ reviews: [ReviewedScore], classes: [String], confidence: Double) -> [ThresholdSweepSummary] {
        let scored = reviews.filter { $0.score != nil }
        guard !scored.isEmpty else { return [] }
        // A classifier answers every item: its operating point keeps them all.
        let all = ThresholdSweep(scores: scored.map { $0.score! }, correct: scored.map { $0.observed == $0.predicted }, positives: scored.count)
        return [ThresholdSweepSummary(all, className: nil, scoreThreshold: 0, confidence: confidence)]
            + classes.indices.map { k in
                let predicted = scored.filter { $0.predicted == k }
                let sweep = ThresholdSweep(scores: predicted.map { $0.score! }, correct: predicted.map { $0.observed == k },
                                           positives: scored.filter { $0.observed == k }.count)
                return ThresholdSweepSummary(sweep, className: classes[k], scoreThreshold: 0, confidence: confidence)
            }
    }
}
