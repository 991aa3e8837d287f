import Foundation

/// A classifier's evaluation over a window: its metrics, a verdict per class, and the
/// findings its policy's thresholds produce.
///
/// Evidence rules (see `docs/statistics.md`): a class with fewer reviewed examples (support)
/// than `min_reviewed_per_class` is `insufficient-evidence` for recall and F1; precision also
/// needs that many items predicted as the class; accuracy and micro averages need that many
/// items in all; macro and weighted averages need every class to have enough support.
public struct ClassificationEvaluation: Sendable, Equatable, Codable {
    /// Per-class verdict, as reported beside the metrics.
    public struct ClassVerdict: Sendable, Equatable, Codable {
        public var className: String
        public var metrics: ClassMetrics
        /// `ok` or `insufficient-evidence` (whether the class has enough reviewed examples).
        public var evidence: Severity

        enum CodingKeys: String, CodingKey {
            case className = "class"
            case metrics, evidence
        }
    }

    public var classes: [String]
    public var matrix: ConfusionMatrix
    public var metrics: ClassificationMetrics
    public var perClass: [ClassVerdict]
    public var findings: [Finding]
    public var status: EvaluationStatus

    /// What the baseline window measured, for rules with levels relative to it (`drop`).
    public struct BaselineEvidence: Sendable {
        public var metrics: ClassificationMetrics
        public var readings: ClassificationReadings
        public init(metrics: ClassificationMetrics, readings: ClassificationReadings) {
            self.metrics = metrics
            self.readings = readings
        }

        /// The baseline of `matrix` under `policy` (the same intervals and bootstrap as a window's).
        public init(matrix: ConfusionMatrix, policy: Policy) {
            let m = ClassificationMetrics(matrix, confidence: policy.evaluation.confidence)
            self.init(metrics: m, readings: ClassificationReadings(m, matrix: matrix, confidence: policy.evaluation.confidence,
                                                                   bootstrap: ClassificationEvaluation.bootstrap(for: policy)))
        }
    }

    /// Evaluates `matrix` (rows observed, columns predicted, over `policy.classes`) under `policy`;
    /// `baseline` gives relative levels (`drop`) their reference.
    public init(matrix: ConfusionMatrix, policy: Policy, baseline: BaselineEvidence? = nil) {
        let metrics = ClassificationMetrics(matrix, confidence: policy.evaluation.confidence)
        classes = policy.classes
        self.matrix = matrix
        self.metrics = metrics
        let minimum = policy.evaluation.minReviewedPerClass
        perClass = zip(policy.classes, metrics.perClass).map { name, m in
            ClassVerdict(className: name, metrics: m, evidence: m.support >= minimum ? .ok : .insufficientEvidence)
        }
        let readings = ClassificationReadings(metrics, matrix: matrix, confidence: policy.evaluation.confidence, bootstrap: Self.bootstrap(for: policy))
        findings = Self.findings(policy: policy, metrics: metrics, readings: readings, baseline: baseline, estimator: nil)
        status = EvaluationStatus.summarising(findings, labeled: metrics.total)
    }

    /// The bootstrap F1 intervals need, when a rule names an F1 metric.
    static func bootstrap(for policy: Policy) -> (resamples: Int, seed: UInt64)? {
        let f1s: Set<String> = [MetricName.f1.rawValue, MetricName.macroF1.rawValue]
        guard policy.thresholds.contains(where: { f1s.contains($0.metric) }), policy.evaluation.bootstrapResamples > 0 else { return nil }
        return (policy.evaluation.bootstrapResamples, policy.evaluation.bootstrapSeed)
    }

    /// The policy's findings: too little evidence (in the window or its baseline) is
    /// `insufficient-evidence`; everything else is decided by ``EvidenceDecision``.
    /// `estimator` names a non-default estimator in the messages (e.g. `Hájek`).
    static func findings(policy: Policy, metrics m: ClassificationMetrics, readings: ClassificationReadings, baseline: BaselineEvidence?,
                         estimator: String?) -> [Finding] {
        let minimum = policy.evaluation.minReviewedPerClass
        let suffix = estimator.map { " (\($0))" } ?? ""
        var pending = PendingFindings()
        for (family, t) in policy.thresholds.enumerated() {
            guard let metric = MetricName(rawValue: t.metric), metric.tasks.contains(.classification) else { continue }
            let targets: [Int?] = !metric.isPerClass ? [nil]
                : t.classSelector == "*" ? policy.classes.indices.map { $0 } : policy.classes.indices.filter { policy.classes[$0] == t.classSelector }
            for k in targets {
                let name = k.map { policy.classes[$0] }
                let rule = name.map { "\(metric.rawValue)[\($0)]" } ?? metric.rawValue
                let label = (name.map { "\(metric.rawValue) of '\($0)'" } ?? metric.rawValue) + suffix
                let (evidence, shortage) = Self.evidence(metric, k, name, m, minimum)
                /// Too little evidence: no verdict, with the reason (and the value, for a baseline that is missing or short).
                func insufficient(_ message: String, value: Double? = nil) {
                    pending.settle(Finding(rule: rule, metric: metric.rawValue, className: name, severity: .insufficientEvidence, value: value, interval: nil,
                                           warning: t.warning, critical: t.critical, evidence: evidence, message: message))
                }
                if let shortage {
                    insufficient("\(metric.rawValue)\(name.map { " of '\($0)'" } ?? ""): insufficient evidence (\(shortage), at least \(minimum) needed)")
                    continue
                }
                var base: MetricReading?
                if t.drop != nil {
                    let value = readings.reading(metric, classIndex: k)?.value
                    guard let baseline else {
                        insufficient("\(label): no baseline to compare with yet (the baseline window has not ended or holds no labels)", value: value)
                        continue
                    }
                    if let baseShortage = Self.evidence(metric, k, name, baseline.metrics, minimum).1 {
                        insufficient("\(label): insufficient evidence in the baseline (\(baseShortage), at least \(minimum) needed)", value: value)
                        continue
                    }
                    base = baseline.readings.reading(metric, classIndex: k)
                }
                guard let reading = readings.reading(metric, classIndex: k) else { continue }
                pending.decide(ThresholdTest(rule: rule, metric: metric.rawValue, className: name, label: label, evidence: evidence, threshold: t,
                                             family: family, current: reading, baseline: base))
            }
        }
        return pending.findings(confidence: policy.evaluation.confidence)
    }

    /// The examples a rule rests on, and why they are too few (`nil`: enough).
    static func evidence(_ metric: MetricName, _ k: Int?, _ name: String?, _ m: ClassificationMetrics, _ minimum: Int) -> (Int, String?) {
        if let k, let name {
            let c = m.perClass[k]
            if metric == .precision && c.predicted < minimum { return (c.predicted, "\(c.predicted) items predicted as '\(name)'") }
            return (metric == .precision ? c.predicted : c.support, c.support < minimum ? "\(c.support) reviewed examples of '\(name)'" : nil)
        }
        if [.accuracy, .microPrecision, .microRecall, .microF1].contains(metric) {
            return (m.total, m.total < minimum ? "\(m.total) reviewed items" : nil)
        }
        let minSupport = m.perClass.map(\.support).min() ?? 0
        return (m.total, minSupport < minimum ? "a class has only \(minSupport) reviewed examples" : nil)
    }
}
