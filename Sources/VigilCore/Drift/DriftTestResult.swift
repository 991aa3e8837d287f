/// One drift test's verdict as the report shows it: the statistic, its p-value (raw and
/// Benjamini–Hochberg-adjusted within the run), an effect size, the data it used and the
/// severity it earned under the policy.
public struct DriftTestResult: Sendable, Equatable, Codable {
    /// What is compared: `prediction_bias`, `class_distribution`, `score_distribution`,
    /// `embedding`, `boxes_per_image`, `box_area`, `box_count_bias`, `correctness_stream`, `hourly_mean_score`.
    public var target: String
    /// The test: `stuart_maxwell`, `mcnemar`, `chi_square`, `g_test`, `psi`, `js_distance`,
    /// `ks`, `wasserstein`, `mmd`, `sign_test`, `adwin`, `page_hinkley`, `cusum`.
    public var test: String
    /// The class tested, for per-class tests.
    public var className: String?
    public var statistic: Double
    public var pValue: Double?
    /// The Benjamini–Hochberg-adjusted p-value across every test of this run that has a p-value.
    public var adjustedPValue: Double?
    /// The effect size, named in `effectName` (e.g. the share difference, PSI, MMD²).
    public var effectSize: Double?
    public var effectName: String?
    /// An interval on the effect size, when one exists.
    public var interval: Interval?
    /// The sizes and parameters the test used (e.g. `n_reference`, `n_current`, `df`).
    public var data: [String: Double]
    /// `method` detail where a test has variants (e.g. `exact` for McNemar).
    public var method: String?
    public var severity: Severity
    public var message: String

    public init(target: String, test: String, className: String? = nil, statistic: Double, pValue: Double? = nil,
                effectSize: Double? = nil, effectName: String? = nil, interval: Interval? = nil,
                data: [String: Double] = [:], method: String? = nil, severity: Severity = .ok, message: String = "") {
        self.target = target
        self.test = test
        self.className = className
        self.statistic = statistic
        self.pValue = pValue
        self.adjustedPValue = nil
        self.effectSize = effectSize
        self.effectName = effectName
        self.interval = interval
        self.data = data
        self.method = method
        self.severity = severity
        self.message = message
    }

    enum CodingKeys: String, CodingKey {
        case target, test, statistic, interval, data, method, severity, message
        case className = "class"
        case pValue = "p_value"
        case adjustedPValue = "adjusted_p_value"
        case effectSize = "effect_size"
        case effectName = "effect_name"
    }

    /// Whether the result is decided by a p-value (and takes part in Benjamini–Hochberg).
    public var isHypothesisTest: Bool { pValue != nil && severity != .insufficientEvidence }
}
