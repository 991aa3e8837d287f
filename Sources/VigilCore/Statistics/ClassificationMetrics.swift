/// Precision, recall and F1 for one class, with Wilson intervals on precision and recall.
public struct ClassMetrics: Sendable, Equatable, Codable {
    public var precision: Double
    public var recall: Double
    public var f1: Double
    /// Items observed as this class.
    public var support: Int
    /// Items predicted as this class.
    public var predicted: Int
    /// Correct predictions of this class.
    public var truePositives: Int
    public var precisionInterval: Interval?
    public var recallInterval: Interval?
}

/// Precision, recall and F1 averaged over classes.
public struct AveragedMetrics: Sendable, Equatable, Codable {
    public var precision: Double
    public var recall: Double
    public var f1: Double

    public init(precision: Double, recall: Double, f1: Double) {
        self.precision = precision
        self.recall = recall
        self.f1 = f1
    }
}

/// The classification metrics of a confusion matrix, with scikit-learn's definitions:
/// per-class precision/recall/F1/support, accuracy, and macro, micro and weighted averages,
/// each over *all* the model's classes (scikit-learn's `labels=range(K)`), a zero division
/// giving 0 (`zero_division=0`).
public struct ClassificationMetrics: Sendable, Equatable, Codable {
    public var perClass: [ClassMetrics]
    public var accuracy: Double
    /// Wilson interval on accuracy.
    public var accuracyInterval: Interval?
    public var macro: AveragedMetrics
    public var micro: AveragedMetrics
    public var weighted: AveragedMetrics
    /// Items counted.
    public var total: Int

    /// Computes every metric from `matrix`; intervals at `confidence`.
    public init(_ matrix: ConfusionMatrix, confidence: Double = 0.95) {
        let k = matrix.classCount
        var per: [ClassMetrics] = []
        var tpSum = 0
        for c in 0..<k {
            let tp = matrix[c, c]
            let support = matrix.support(c)
            let predicted = matrix.predictedCount(c)
            let p = Self.ratio(tp, predicted)
            let r = Self.ratio(tp, support)
            per.append(ClassMetrics(
                precision: p, recall: r, f1: Self.f1(precision: p, recall: r, tp: tp, predicted: predicted, support: support),
                support: support, predicted: predicted, truePositives: tp,
                precisionInterval: WilsonInterval.interval(successes: tp, trials: predicted, confidence: confidence),
                recallInterval: WilsonInterval.interval(successes: tp, trials: support, confidence: confidence)))
            tpSum += tp
        }
        let total = matrix.total
        perClass = per
        self.total = total
        accuracy = Self.ratio(tpSum, total)
        accuracyInterval = WilsonInterval.interval(successes: tpSum, trials: total, confidence: confidence)
        let kk = Double(max(k, 1))
        macro = AveragedMetrics(
            precision: per.reduce(0) { $0 + $1.precision } / kk,
            recall: per.reduce(0) { $0 + $1.recall } / kk,
            f1: per.reduce(0) { $0 + $1.f1 } / kk)
        // Micro: every item is one prediction, so micro precision = recall = accuracy here.
        let microP = Self.ratio(tpSum, total)
        let microR = Self.ratio(tpSum, total)
        micro = AveragedMetrics(precision: microP, recall: microR,
                                f1: Self.f1(precision: microP, recall: microR, tp: tpSum, predicted: total, support: total))
        let supportTotal = Double(per.reduce(0) { $0 + $1.support })
        if supportTotal > 0 {
            weighted = AveragedMetrics(
                precision: per.reduce(0) { $0 + $1.precision * Double($1.support) } / supportTotal,
                recall: per.reduce(0) { $0 + $1.recall * Double($1.support) } / supportTotal,
                f1: per.reduce(0) { $0 + $1.f1 * Double($1.support) } / supportTotal)
        } else {
            weighted = AveragedMetrics(precision: 0, recall: 0, f1: 0)
        }
    }

    static func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

    /// F1 as scikit-learn computes it: 2·tp / (2·tp + fp + fn), 0 when the denominator is 0.
    static func f1(precision: Double, recall: Double, tp: Int, predicted: Int, support: Int) -> Double {
        let denominator = predicted + support  // = 2tp + fp + fn
        return denominator == 0 ? 0 : Double(2 * tp) / Double(denominator)
    }
}
