/// How bad a finding is. Ordered: `ok < info < insufficientEvidence < warning < critical` for
/// picking the worst, though insufficient evidence never counts as a pass or a failure.
/// `info`: worth knowing, not a verdict on performance (distribution drift by default); it never
/// changes a run's status and reaches only routes that list `info`.
public enum Severity: String, Sendable, Codable, Comparable, CaseIterable {
    case ok
    case info
    case insufficientEvidence = "insufficient-evidence"
    case warning
    case critical

    var rank: Int {
        switch self {
        case .ok: 0
        case .info: 1
        case .insufficientEvidence: 2
        case .warning: 3
        case .critical: 4
        }
    }

    /// True for the severities an alert can have: info, warning, critical.
    public var alerts: Bool { self == .info || self >= .warning }

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}

/// One verdict of an evaluation: a metric against a threshold, with the evidence behind it.
public struct Finding: Sendable, Equatable, Codable {
    /// Stable rule key, e.g. `recall[bag]` or `macro_f1`.
    public var rule: String
    public var metric: String
    /// The class, for per-class metrics.
    public var className: String?
    public var severity: Severity
    /// The metric's point estimate (absent when there was too little evidence to compute it).
    public var value: Double?
    public var interval: Interval?
    public var warning: Double?
    public var critical: Double?
    /// Reviewed examples the value rests on.
    public var evidence: Int
    /// The one-sided p-value of "the metric is below the level" that decided the finding,
    /// adjusted across the rule's classes (Benjamini–Hochberg); `nil` when judged without a test.
    public var pValue: Double?
    /// The baseline value a relative level (`drop`) was measured from.
    public var baseline: Double?
    /// One sentence for people.
    public var message: String

    public init(rule: String, metric: String, className: String?, severity: Severity, value: Double?, interval: Interval?,
                warning: Double?, critical: Double?, evidence: Int, message: String, pValue: Double? = nil, baseline: Double? = nil) {
        self.rule = rule
        self.metric = metric
        self.className = className
        self.severity = severity
        self.value = value
        self.interval = interval
        self.warning = warning
        self.critical = critical
        self.evidence = evidence
        self.message = message
        self.pValue = pValue
        self.baseline = baseline
    }

    enum CodingKeys: String, CodingKey {
        case rule, metric, severity, value, interval, warning, critical, evidence, message
        case pValue = "p_value", baseline
        case className = "class"
    }
}
