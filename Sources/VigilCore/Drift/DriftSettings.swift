/// The `drift:` section of a policy: what the current window is compared with, which tests
/// run, and when a result becomes a finding.
///
/// ```yaml
/// drift:
///   reference: baseline           # or previous_window, or training (uses training_distribution)
///   reference_window: 7d          # length of the reference window (default: the evaluation window)
///   alpha: 0.01                   # Benjamini–Hochberg-adjusted p below this is significant
///   test_severity: warning        # severity of a significant test
///   psi: {info: 0.1}               # info by default: a shift alone is reported, never paged
///   min_predictions: 100          # fewer predictions in a window: insufficient-evidence
///   max_raw_values: 1000000       # larger windows: score/box tests on a uniform stored sample
///   embedding: {max_samples: 5000, permutations: 200, seed: 1}
/// ```
public struct DriftSettings: Sendable, Equatable, Codable {
    /// What the current window is compared with.
    public enum Reference: String, Sendable, Codable {
        /// The model's baseline window (``BaselineSettings``): a persisting shift keeps firing
        /// until the distribution returns or a new baseline is set.
        case baseline
        /// The window of `reference_window` length that ends where the current one starts.
        case previousWindow = "previous_window"
        /// The class shares the model was trained on (`training_distribution`).
        case training
    }

    public var enabled: Bool
    public var reference: Reference
    /// Length of the reference window, e.g. `7d`; `nil` means the evaluation window's length.
    public var referenceWindow: String?
    /// Class → share in the training data, for `reference: training`.
    public var trainingDistribution: [String: Double]?
    /// Significance level applied to Benjamini–Hochberg-adjusted p-values (default 0.01).
    public var alpha: Double
    /// Severity of a significant test (default `warning`).
    public var testSeverity: Severity
    /// PSI levels for warning and critical (defaults 0.1 / 0.25).
    public var psi: Levels
    /// Jensen–Shannon distance (base 2) levels; none by default (reported only).
    public var jsDistance: Levels?
    /// Fewer predictions than this in either window: unpaired tests are `insufficient-evidence` (default 100).
    public var minPredictions: Int
    /// Windows with more predictions than this run the score and box tests on the stored
    /// uniform 1-in-2ᴸ sample of their predictions (at most about this many), so the cost of a
    /// run does not grow with the window (default 1,000,000).
    public var maxRawValues: Int
    /// Embedding drift (MMD) settings.
    public var embedding: EmbeddingSettings
    /// Sequential detectors on the reviewed-correctness stream and the hourly mean score.
    public var sequential: SequentialSettings

    /// Info, warning and critical levels for an effect size that fires when it rises above them.
    public struct Levels: Sendable, Equatable, Codable {
        public var info: Double?
        public var warning: Double?
        public var critical: Double?
        public init(info: Double? = nil, warning: Double? = nil, critical: Double? = nil) {
            self.info = info
            self.warning = warning
            self.critical = critical
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case info, warning, critical }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            info = try c.decodeIfPresent(Double.self, forKey: .info)
            warning = try c.decodeIfPresent(Double.self, forKey: .warning)
            critical = try c.decodeIfPresent(Double.self, forKey: .critical)
        }

        /// The severity of `value`: critical at or above `critical`, warning at or above `warning`, info at or above `info`.
        public func severity(of value: Double) -> Severity {
            if let c = critical, value >= c { return .critical }
            if let w = warning, value >= w { return .warning }
            if let i = info, value >= i { return .info }
            return .ok
        }
    }

    /// Embedding drift: a hash-ordered uniform sample of each window, MMD² with a permutation
    /// test. One YAML mapping: `enabled` plus ``MMDSettings``' keys (`max_samples`,
    /// `permutations`, `seed`).
    public struct EmbeddingSettings: Sendable, Equatable, Codable {
        public var enabled: Bool
        /// Sample cap per window (default 5,000), permutations (200) and seed (1).
        public var mmd: MMDSettings

        public init(enabled: Bool = true, mmd: MMDSettings = .init()) {
            self.enabled = enabled
            self.mmd = mmd
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case enabled }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self, alsoAllowing: ConfigurationKeys.names(MMDSettings.CodingKeys.self))
            enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
            mmd = try MMDSettings(from: decoder)
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(enabled, forKey: .enabled)
            try mmd.encode(to: encoder)
        }
    }

    public init(enabled: Bool = true, reference: Reference = .baseline, referenceWindow: String? = nil,
                trainingDistribution: [String: Double]? = nil, alpha: Double = 0.01, testSeverity: Severity = .info,
                psi: Levels = Levels(info: 0.1), jsDistance: Levels? = nil, minPredictions: Int = 100,
                maxRawValues: Int = 1_000_000, embedding: EmbeddingSettings = .init(), sequential: SequentialSettings = .init()) {
        self.enabled = enabled
        self.reference = reference
        self.referenceWindow = referenceWindow
        self.trainingDistribution = trainingDistribution
        self.alpha = alpha
        self.testSeverity = testSeverity
        self.psi = psi
        self.jsDistance = jsDistance
        self.minPredictions = minPredictions
        self.maxRawValues = maxRawValues
        self.embedding = embedding
        self.sequential = sequential
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, reference, alpha, psi, embedding, sequential
        case referenceWindow = "reference_window"
        case trainingDistribution = "training_distribution"
        case testSeverity = "test_severity"
        case jsDistance = "js_distance"
        case minPredictions = "min_predictions"
        case maxRawValues = "max_raw_values"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let d = DriftSettings()
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? d.enabled
        reference = try c.decodeIfPresent(Reference.self, forKey: .reference) ?? d.reference
        referenceWindow = try c.decodeIfPresent(String.self, forKey: .referenceWindow)
        trainingDistribution = try c.decodeIfPresent([String: Double].self, forKey: .trainingDistribution)
        alpha = try c.decodeIfPresent(Double.self, forKey: .alpha) ?? d.alpha
        testSeverity = try c.decodeIfPresent(Severity.self, forKey: .testSeverity) ?? d.testSeverity
        psi = try c.decodeIfPresent(Levels.self, forKey: .psi) ?? d.psi
        jsDistance = try c.decodeIfPresent(Levels.self, forKey: .jsDistance)
        minPredictions = try c.decodeIfPresent(Int.self, forKey: .minPredictions) ?? d.minPredictions
        maxRawValues = try c.decodeIfPresent(Int.self, forKey: .maxRawValues) ?? d.maxRawValues
        embedding = try c.decodeIfPresent(EmbeddingSettings.self, forKey: .embedding) ?? d.embedding
        sequential = try c.decodeIfPresent(SequentialSettings.self, forKey: .sequential) ?? d.sequential
    }

    /// Problems a person must fix, each naming the field under `drift.`.
    public func problems(classes: [String]) -> [String] {
        var out: [String] = []
        if !(alpha > 0 && alpha < 1) { out.append("drift.alpha: must be between 0 and 1, e.g. 0.01") }
        if let w = referenceWindow, WindowLength.seconds(w) == nil { out.append("drift.reference_window: '\(w)' is not a length such as 7d, 36h or 2w") }
        if reference == .training {
            if let t = trainingDistribution {
                for name in t.keys where !classes.contains(name) { out.append("drift.training_distribution: '\(name)' is not in classes") }
                if t.values.contains(where: { $0 < 0 }) || t.values.reduce(0, +) <= 0 { out.append("drift.training_distribution: shares must be ≥ 0 and not all 0") }
            } else {
                out.append("drift.training_distribution: 'reference: training' needs the class shares of the training data, e.g. {bottle: 0.2, can: 0.8}")
            }
        }
        if minPredictions < 1 { out.append("drift.min_predictions: must be at least 1") }
        if maxRawValues < 1_000 { out.append("drift.max_raw_values: must be at least 1000, e.g. 1000000") }
        if embedding.mmd.maxSamples < 10 || embedding.mmd.maxSamples > 10_000 { out.append("drift.embedding.max_samples: must be between 10 and 10000 (the kernel matrix grows with its square)") }
        if embedding.mmd.permutations < 1 || embedding.mmd.permutations > 100_000 { out.append("drift.embedding.permutations: must be between 1 and 100000") }
        if !testSeverity.alerts { out.append("drift.test_severity: must be info, warning or critical") }
        out += sequential.problems()
        return out
    }
}
