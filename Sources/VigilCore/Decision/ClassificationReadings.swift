/// Every classification metric a threshold can name, as one window measured it, with the
/// interval and counts the decision needs (``EvidenceDecision``).
///
/// From plain counts: precision, recall and accuracy (and the micro averages, which equal
/// accuracy) carry their Wilson intervals and counts; per-class F1 and macro F1 a seeded
/// bootstrap interval over the reviewed items when a rule needs one and the window holds at
/// most ``bootstrapLimit`` items; macro/weighted precision and recall have no interval.
/// From a Hájek estimate (unequal inclusion probabilities): its values and bootstrap intervals.
public struct ClassificationReadings: Sendable {
    /// Precision, recall and F1 side by side.
    struct Trio: Sendable {
        var precision: MetricReading
        var recall: MetricReading
        var f1: MetricReading
        init(_ precision: MetricReading, _ recall: MetricReading, _ f1: MetricReading) {
            self.precision = precision
            self.recall = recall
            self.f1 = f1
        }
    }

    var perClass: [Trio]
    var accuracy: MetricReading
    var macro: Trio
    var weighted: Trio

    /// Windows with more reviewed items than this judge F1 rules by the point estimate (the bootstrap resamples every item).
    public static let bootstrapLimit = 50_000

    /// Readings of plain counts; `bootstrap` (resamples, seed) gives F1 and macro F1 their intervals.
    public init(_ m: ClassificationMetrics, matrix: ConfusionMatrix, confidence: Double, bootstrap: (resamples: Int, seed: UInt64)?) {
        var f1Intervals: [Interval?] = Array(repeating: nil, count: m.perClass.count)
        var macroF1Interval: Interval?
        if let bootstrap, m.total > 1, m.total <= Self.bootstrapLimit {
            var items: [(observed: Int, predicted: Int, pi: Double)] = []
            items.reserveCapacity(m.total)
            for o in 0..<matrix.classCount {
                for p in 0..<matrix.classCount where matrix[o, p] > 0 {
                    items += repeatElement((observed: o, predicted: p, pi: 1.0), count: matrix[o, p])
                }
            }
            let e = WeightedEstimation(reviews: items, classNames: m.perClass.indices.map(String.init), resamples: bootstrap.resamples,
                                       seed: bootstrap.seed, confidence: confidence)
            f1Intervals = e.perClass.map(\.f1Interval)
            macroF1Interval = e.macroF1Interval
        }
        perClass = m.perClass.indices.map { k in
            let c = m.perClass[k]
            return Trio(MetricReading(value: c.precision, interval: c.precisionInterval, successes: c.truePositives, trials: c.predicted),
                    MetricReading(value: c.recall, interval: c.recallInterval, successes: c.truePositives, trials: c.support),
                    MetricReading(value: c.f1, interval: f1Intervals[k]))
        }
        let correct = m.perClass.reduce(0) { $0 + $1.truePositives }
        accuracy = MetricReading(value: m.accuracy, interval: m.accuracyInterval, successes: correct, trials: m.total)
        macro = Trio(MetricReading(value: m.macro.precision, interval: nil), MetricReading(value: m.macro.recall, interval: nil),
                 MetricReading(value: m.macro.f1, interval: macroF1Interval))
        weighted = Trio(MetricReading(value: m.weighted.precision, interval: nil), MetricReading(value: m.weighted.recall, interval: nil),
                    MetricReading(value: m.weighted.f1, interval: nil))
    }

    /// Readings of a Hájek estimate: weighted values with their bootstrap intervals (no counts).
    public init(_ e: WeightedEstimation) {
        perClass = e.perClass.map {
            Trio(MetricReading(value: $0.precision, interval: $0.precisionInterval), MetricReading(value: $0.recall, interval: $0.recallInterval),
             MetricReading(value: $0.f1, interval: $0.f1Interval))
        }
        accuracy = MetricReading(value: e.accuracy, interval: e.accuracyInterval)
        let rows = e.perClass
        func mean(_ f: (WeightedEstimation.ClassEstimate) -> Double) -> Double { rows.isEmpty ? 0 : rows.map(f).reduce(0, +) / Double(rows.count) }
        func byShare(_ f: (WeightedEstimation.ClassEstimate) -> Double) -> Double { rows.reduce(0) { $0 + $1.observedShare * f($1) } }
        macro = Trio(MetricReading(value: mean(\.precision), interval: nil), MetricReading(value: mean(\.recall), interval: nil),
                 MetricReading(value: e.macroF1, interval: e.macroF1Interval))
        weighted = Trio(MetricReading(value: byShare(\.precision), interval: nil), MetricReading(value: byShare(\.recall), interval: nil),
                    MetricReading(value: byShare(\.f1), interval: nil))
    }

    /// The reading of `metric` (of class `k` for per-class metrics); `nil` for detection metrics.
    public func reading(_ metric: MetricName, classIndex k: Int?) -> MetricReading? {
        switch metric {
        case .precision: k.map { perClass[$0].precision }
        case .recall: k.map { perClass[$0].recall }
        case .f1: k.map { perClass[$0].f1 }
        case .accuracy, .microPrecision, .microRecall, .microF1: accuracy
        case .macroPrecision: macro.precision
        case .macroRecall: macro.recall
        case .macroF1: macro.f1
        case .weightedPrecision: weighted.precision
        case .weightedRecall: weighted.recall
        case .weightedF1: weighted.f1
        case .map, .map50, .map75, .ap, .ap50: nil
        }
    }
}
