/// Two-sided tabular CUSUM (Page 1954, in Montgomery's formulation) for a shift of the mean
/// away from a target μ₀:
///
///     S⁺ₜ = max(0, S⁺ₜ₋₁ + xₜ − (μ₀ + K))      S⁻ₜ = max(0, S⁻ₜ₋₁ + (μ₀ − K) − xₜ)
///
/// with K = k·σ and H = h·σ; an alarm when S⁺ₜ > H or S⁻ₜ > H, after which both sums restart
/// at 0. μ₀ and σ are given or estimated from the first `warmup` values (mean and sample
/// standard deviation); estimated ones are estimated again from the `warmup` values that
/// follow an alarm, so the detector then watches for a change from the new level.
/// Formulas and references: docs/statistics.md, "Sequential detectors".
///
/// ```swift
/// var cusum = CUSUM(CUSUM.Settings(target: 0.92, sigma: 0.27))
/// let alarm = cusum.update(0)
/// ```
public struct CUSUM: SequentialDetector, Sendable {
    /// CUSUM's parameters; YAML/JSON keys `target`, `sigma`, `k`, `h`, `warmup`.
    public struct Settings: Sendable, Equatable, Codable {
        /// μ₀, the in-control mean; nil (default): the mean of the warm-up values.
        public var target: Double?
        /// σ, the in-control standard deviation; nil (default): the sample standard deviation
        /// of the warm-up values. If those are all equal the warm-up goes on until one differs.
        public var sigma: Double?
        /// Allowance (reference value) in units of σ: half the shift to detect quickly (default 0.5).
        public var k: Double
        /// Decision interval in units of σ (default 5; with k = 0.5 about 465 values between
        /// false alarms of the two-sided chart on normal data, per Montgomery).
        public var h: Double
        /// Values used to estimate μ₀ and σ when they are not given; no alarm meanwhile (default 30).
        public var warmup: Int

        /// Settings with the given values; omitted ones take the defaults.
        public init(target: Double? = nil, sigma: Double? = nil, k: Double = 0.5, h: Double = 5, warmup: Int = 30) {
            self.target = target
            self.sigma = sigma
            self.k = k
            self.h = h
            self.warmup = warmup
        }

        enum CodingKeys: String, CodingKey, CaseIterable { case target, sigma, k, h, warmup }

        /// Decodes the policy's keys; a missing key takes its default.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            let d = Settings()
            target = try c.decodeIfPresent(Double.self, forKey: .target)
            sigma = try c.decodeIfPresent(Double.self, forKey: .sigma)
            k = try c.decodeIfPresent(Double.self, forKey: .k) ?? d.k
            h = try c.decodeIfPresent(Double.self, forKey: .h) ?? d.h
            warmup = try c.decodeIfPresent(Int.self, forKey: .warmup) ?? d.warmup
        }

        /// Problems that make the settings unusable, each naming the field.
        public func problems() -> [String] {
            var out: [String] = []
            if let s = sigma, !(s > 0 && s.isFinite) { out.append("sigma: must be a positive number") }
            if let t = target, !t.isFinite { out.append("target: must be a finite number") }
            if !(k >= 0 && k.isFinite) { out.append("k: must be 0 or more, e.g. 0.5") }
            if !(h > 0 && h.isFinite) { out.append("h: must be positive, e.g. 5") }
            if sigma == nil && warmup < 2 { out.append("warmup: must be at least 2 to estimate sigma") }
            if target == nil && warmup < 1 { out.append("warmup: must be at least 1 to estimate the target") }
            return out
        }
    }

    /// The parameters in use.
    public let settings: Settings
    /// Alarms since this detector was created.
    public private(set) var totalDetections = 0
    /// S⁺, the upper cumulative sum.
    public private(set) var upper = 0.0
    /// S⁻, the lower cumulative sum.
    public private(set) var lower = 0.0
    /// μ₀ in use; nil while warming up.
    public var target: Double? { ready ? mu0 : nil }
    /// σ in use; nil while warming up.
    public var sigma: Double? { ready ? sd : nil }

    private var ready: Bool
    private var mu0: Double
    private var sd: Double
    private var seen = 0
    private var warmMean = 0.0
    private var warmSquares = 0.0
    private var detected = false

    /// A detector with the given parameters (defaults: estimated μ₀ and σ, k = 0.5, h = 5, warm-up 30).
    /// - Precondition: `settings.problems()` is empty.
    public init(_ settings: Settings = Settings()) {
        precondition(settings.problems().isEmpty, "CUSUM settings: \(settings.problems().joined(separator: "; "))")
        self.settings = settings
        ready = settings.target != nil && settings.sigma != nil
        mu0 = settings.target ?? 0
        sd = settings.sigma ?? 0
    }

    /// Takes the next value; true when a change is detected at this value.
    public mutating func update(_ x: Double) -> Bool {
        if detected { restart() }
        guard ready else {
            warmUp(x)
            return false
        }
        let allowance = settings.k * sd
        upper = max(0, upper + x - (mu0 + allowance))
        lower = max(0, lower + (mu0 - allowance) - x)
        let interval = settings.h * sd
        detected = upper > interval || lower > interval
        if detected { totalDetections += 1 }
        return detected
    }

    private mutating func warmUp(_ x: Double) {
        // Welford's running mean and sum of squared deviations.
        seen += 1
        let d = x - warmMean
        warmMean += d / Double(seen)
        warmSquares += d * (x - warmMean)
        guard seen >= settings.warmup else { return }
        let estimated = seen > 1 ? (warmSquares / Double(seen - 1)).squareRoot() : 0
        if settings.sigma == nil && !(estimated > 0) { return }
        mu0 = settings.target ?? warmMean
        sd = settings.sigma ?? estimated
        ready = true
    }

    private mutating func restart() {
        detected = false
        upper = 0
        lower = 0
        if settings.target == nil || settings.sigma == nil {
            ready = false
            seen = 0
            warmMean = 0
            warmSquares = 0
        }
    }
}
