import Foundation

/// One threshold rule applied to one metric (of one class, for per-class rules): what the
/// decision needs to say whether the metric is below the rule's levels on the evidence.
public struct ThresholdTest: Sendable {
    public var rule: String
    public var metric: String
    public var className: String?
    /// How the finding names the metric, e.g. `recall of 'bag'`.
    public var label: String
    /// Reviewed examples the value rests on.
    public var evidence: Int
    public var threshold: Threshold
    /// Tests with the same family (the classes of one `class: "*"` rule) are adjusted together.
    public var family: Int
    public var current: MetricReading
    /// The same metric over the baseline window, for relative levels (`drop`); `nil`: no baseline yet.
    public var baseline: MetricReading?

    public init(rule: String, metric: String, className: String?, label: String, evidence: Int, threshold: Threshold, family: Int,
                current: MetricReading, baseline: MetricReading? = nil) {
        self.rule = rule
        self.metric = metric
        self.className = className
        self.label = label
        self.evidence = evidence
        self.threshold = threshold
        self.family = family
        self.current = current
        self.baseline = baseline
    }
}

/// The decision rule of threshold findings (docs/statistics.md, "Decisions on evidence"):
/// a level fires only when the evidence says the metric is below it.
///
/// Each level is a one-sided test of H₀ "the metric is at or above the level":
/// - absolute level L on a proportion (x of n): the Wilson score test,
///   z = (x − nL) / √(nL(1 − L)), the test the Wilson interval inverts — at one class, "the
///   interval lies below L" and "p < (1 − confidence)/2" are the same statement;
/// - absolute level on another metric with an interval (bootstrap, Hájek): z = (v − L) / se,
///   se = the interval's half-width / z₍₁₊c₎/₂;
/// - relative level (baseline b, drop d): z = (v − b + d) / √(se_v² + se_b²), both windows'
///   sampling error counted;
/// - a metric with no interval is compared by its point estimate, and the message says so.
///
/// p = Φ(z). The p-values of one rule's classes are adjusted together with Benjamini–Hochberg,
/// one severity at a time; a level fires when its adjusted p-value is below (1 − confidence)/2.
/// The most severe level that fires wins.
public enum EvidenceDecision {
    /// The findings of `tests`, in their order.
    public static func findings(_ tests: [ThresholdTest], confidence: Double) -> [Finding] {
        let alpha = (1 - confidence) / 2
        let critical = adjusted(tests, confidence: confidence) { $0.criticalLevel }
        let warning = adjusted(tests, confidence: confidence) { $0.warningLevel }
        return tests.indices.map { i in
            finding(tests[i], critical: critical[i], warning: warning[i], alpha: alpha, confidence: confidence)
        }
    }

    /// A level's test outcome: its absolute value, the raw and adjusted p-values (nil: compared by point estimate).
    struct Outcome {
        var level: Double
        var p: Double?
        var adjusted: Double?
        var below: Bool
    }

    static func adjusted(_ tests: [ThresholdTest], confidence: Double, _ level: (ThresholdTest) -> Double?) -> [Outcome?] {
        var outcomes: [Outcome?] = tests.map { t in
            guard let l = level(t) else { return nil }
            let p = pValue(t, level: l, confidence: confidence)
            return Outcome(level: l, p: p, adjusted: p, below: p.map { _ in false } ?? (t.current.value < l))
        }
        for family in Set(tests.map(\.family)) {
            let members = tests.indices.filter { tests[$0].family == family && outcomes[$0]?.p != nil }
            let adjusted = BenjaminiHochberg.adjust(members.map { outcomes[$0]!.p! })
            for (i, a) in zip(members, adjusted) { outcomes[i]!.adjusted = a }
        }
        let alpha = (1 - confidence) / 2
        return outcomes.map { o in
            guard var o, let a = o.adjusted else { return o }
            o.below = a < alpha
            return o
        }
    }

    /// Φ(z) of the test of "the metric is at or above `level`"; `nil` when there is no interval to test with.
    static func pValue(_ t: ThresholdTest, level: Double, confidence: Double) -> Double? {
        let c = t.current
        let z: Double
        if t.threshold.drop != nil {
            guard let b = t.baseline, let se = c.standardError(confidence: confidence), let seB = b.standardError(confidence: confidence) else { return nil }
            z = ratio(c.value - level, (se * se + seB * seB).squareRoot())
        } else if let x = c.successes, let n = c.trials, n > 0, level > 0, level < 1 {
            z = (Double(x) - Double(n) * level) / (Double(n) * level * (1 - level)).squareRoot()
        } else if let se = c.standardError(confidence: confidence) {
            z = ratio(c.value - level, se)
        } else {
            return nil
        }
        return 0.5 * erfc(-z / 2.squareRoot())
    }

    /// z for a difference and its standard error; a zero error makes the sign decide.
    static func ratio(_ difference: Double, _ se: Double) -> Double {
        if se > 0 { return difference / se }
        return difference < 0 ? -.infinity : .infinity
    }

    static func finding(_ t: ThresholdTest, critical: Outcome?, warning: Outcome?, alpha: Double, confidence: Double) -> Finding {
        let severity: Severity, decisive: Outcome?
        if let c = critical, c.below {
            (severity, decisive) = (.critical, c)
        } else if let w = warning, w.below {
            (severity, decisive) = (.warning, w)
        } else {
            (severity, decisive) = (.ok, warning ?? critical)
        }
        let v = t.current
        var message = "\(t.label) is \(fmt(v.value))"
        if let i = v.interval {
            message += " (\(String(format: "%g", confidence * 100))% interval \(fmt(i.lower))–\(fmt(i.upper)), n=\(t.evidence))"
        } else {
            message += " (n=\(t.evidence))"
        }
        if let b = t.baseline, t.threshold.drop != nil { message += ", baseline \(fmt(b.value))" }
        if let d = decisive {
            let name = severity == .critical || (severity == .ok && warning == nil) ? "critical" : "warning"
            let levelText = fmt(d.level)
            if severity == .ok {
                message += d.p == nil ? ", not below the \(name) level \(levelText)" : ", not shown to be below the \(name) level \(levelText)"
            } else {
                message += ", below the \(name) level \(levelText)"
            }
            if let a = d.adjusted {
                message += " (p \(pText(a))\(a != d.p ? ", adjusted across the rule's classes" : ""))"
            } else {
                message += " (no interval: compared by the point estimate)"
            }
        }
        return Finding(rule: t.rule, metric: t.metric, className: t.className, severity: severity, value: v.value, interval: v.interval,
                       warning: warning?.level, critical: critical?.level, evidence: t.evidence, message: message,
                       pValue: decisive?.adjusted, baseline: t.threshold.drop != nil ? t.baseline?.value : nil)
    }

    static func fmt(_ v: Double) -> String { String((v * 1000).rounded() / 1000) }

    /// `= 0.0123`, or `< 0.0001` for the smallest.
    static func pText(_ p: Double) -> String { p < 0.0001 ? "< 0.0001" : "= " + String(format: "%.4f", p) }
}

extension ThresholdTest {
    /// The absolute level of each severity: the threshold's own, or the baseline minus the drop.
    var warningLevel: Double? { level(absolute: threshold.warning, drop: threshold.drop?.warning) }
    var criticalLevel: Double? { level(absolute: threshold.critical, drop: threshold.drop?.critical) }

    func level(absolute: Double?, drop: Double?) -> Double? {
        guard threshold.drop != nil else { return absolute }
        guard let drop, let b = baseline else { return nil }
        return b.value - drop
    }
}
