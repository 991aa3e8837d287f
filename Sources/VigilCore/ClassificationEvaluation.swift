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

    /// Evaluates `matrix` (rows observed, columns predicted, over `policy.classes`) under `policy`.
    public init(matrix: ConfusionMatrix, policy: Policy) {
        let minimum = policy.evaluation.minReviewedPerClass
        let metrics = ClassificationMetrics(matrix, confidence: policy.evaluation.confidence)
        classes = policy.classes
        self.matrix = matrix
        self.metrics = metrics
        perClass = zip(policy.classes, metrics.perClass).map { name, m in
            ClassVerdict(className: name, metrics: m, evidence: m.support >= minimum ? .ok : .insufficientEvidence)
        }
        var findings: [Finding] = []
        for threshold in policy.thresholds {
            guard let metric = MetricName(rawValue: threshold.metric) else { continue }
            if metric.isPerClass {
                let selected: [Int] = threshold.classSelector == "*"
                    ? Array(policy.classes.indices)
                    : policy.classes.indices.filter { policy.classes[$0] == threshold.classSelector }
                for k in selected {
                    findings.append(Self.classFinding(metric, k, policy.classes[k], metrics.perClass[k], threshold, minimum, policy.evaluation.confidence))
                }
            } else {
                findings.append(Self.modelFinding(metric, metrics, threshold, minimum, policy.evaluation.confidence))
            }
        }
        self.findings = findings
        status = EvaluationStatus.summarising(findings, labeled: metrics.total)
    }

    static func classFinding(_ metric: MetricName, _ k: Int, _ name: String, _ m: ClassMetrics, _ t: Threshold, _ minimum: Int, _ confidence: Double) -> Finding {
        let rule = "\(metric.rawValue)[\(name)]"
        let (value, interval, evidence, short): (Double, Interval?, Int, Bool) = switch metric {
        case .precision: (m.precision, m.precisionInterval, m.predicted, m.predicted < minimum || m.support < minimum)
        case .recall: (m.recall, m.recallInterval, m.support, m.support < minimum)
        default: (m.f1, nil, m.support, m.support < minimum)
        }
        if short {
            let why = metric == .precision && m.predicted < minimum
                ? "\(m.predicted) items predicted as '\(name)'" : "\(m.support) reviewed examples of '\(name)'"
            return Finding(rule: rule, metric: metric.rawValue, className: name, severity: .insufficientEvidence, value: nil,
                           interval: nil, warning: t.warning, critical: t.critical, evidence: evidence,
                           message: "\(metric.rawValue) of '\(name)': insufficient evidence (\(why), at least \(minimum) needed)")
        }
        return judged(rule: rule, metric: metric.rawValue, className: name, value: value, interval: interval, t, evidence: evidence, confidence: confidence,
                      label: "\(metric.rawValue) of '\(name)'")
    }

    static func modelFinding(_ metric: MetricName, _ m: ClassificationMetrics, _ t: Threshold, _ minimum: Int, _ confidence: Double) -> Finding {
        let minSupport = m.perClass.map(\.support).min() ?? 0
        let (value, interval, short): (Double, Interval?, Bool) = switch metric {
        case .accuracy: (m.accuracy, m.accuracyInterval, m.total < minimum)
        case .microPrecision: (m.micro.precision, m.accuracyInterval, m.total < minimum)
        case .microRecall: (m.micro.recall, m.accuracyInterval, m.total < minimum)
        case .microF1: (m.micro.f1, m.accuracyInterval, m.total < minimum)
        case .macroPrecision: (m.macro.precision, nil, minSupport < minimum)
        case .macroRecall: (m.macro.recall, nil, minSupport < minimum)
        case .macroF1: (m.macro.f1, nil, minSupport < minimum)
        case .weightedPrecision: (m.weighted.precision, nil, minSupport < minimum)
        case .weightedRecall: (m.weighted.recall, nil, minSupport < minimum)
        case .weightedF1: (m.weighted.f1, nil, minSupport < minimum)
        case .precision, .recall, .f1, .map, .map50, .map75, .ap, .ap50: (0, nil, true)
        }
        if short {
            let why = [.accuracy, .microPrecision, .microRecall, .microF1].contains(metric)
                ? "\(m.total) reviewed items" : "a class has only \(minSupport) reviewed examples"
            return Finding(rule: metric.rawValue, metric: metric.rawValue, className: nil, severity: .insufficientEvidence, value: nil,
                           interval: nil, warning: t.warning, critical: t.critical, evidence: m.total,
                           message: "\(metric.rawValue): insufficient evidence (\(why), at least \(minimum) needed)")
        }
        return judged(rule: metric.rawValue, metric: metric.rawValue, className: nil, value: value, interval: interval, t,
                      evidence: m.total, confidence: confidence, label: metric.rawValue)
    }

    static func judged(rule: String, metric: String, className: String?, value: Double, interval: Interval?, _ t: Threshold,
                       evidence: Int, confidence: Double, label: String) -> Finding {
        let severity: Severity
        var message: String
        if let c = t.critical, value < c {
            severity = .critical
            message = "\(label) is \(fmt(value)), below the critical threshold \(fmt(c))"
        } else if let w = t.warning, value < w {
            severity = .warning
            message = "\(label) is \(fmt(value)), below the warning threshold \(fmt(w))"
        } else {
            severity = .ok
            message = "\(label) is \(fmt(value))"
        }
        if let interval { message += " (\(String(format: "%g", confidence * 100))% interval \(fmt(interval.lower))–\(fmt(interval.upper)), n=\(evidence))" } else { message += " (n=\(evidence))" }
        return Finding(rule: rule, metric: metric, className: className, severity: severity, value: value, interval: interval,
                       warning: t.warning, critical: t.critical, evidence: evidence, message: message)
    }

    static func fmt(_ v: Double) -> String {
        let r = (v * 1000).rounded() / 1000
        return String(r)
    }
}
