/// The Page–Hinkley test for a change in the mean, exactly as river's `drift.PageHinkley`
/// (same arithmetic, same detection indices): a running mean, two cumulative deviation sums
/// with a forgetting factor, and an alarm when a sum moves more than `threshold` away from
/// its extreme. After a detection the next value starts it afresh, as river does.
/// Formulas and references: docs/statistics.md, "Sequential detectors".
///
/// ```swift
/// var ph = PageHinkley(PageHinkley.Settings(threshold: 20, mode: .down))
/// let alarm = ph.update(0)
/// ```
public struct PageHinkley: SequentialDetector, Sendable {
    /// Which direction of change raises an alarm.
    public enum Mode: String, Sendable, Equatable, Codable, CaseIterable {
        /// An increase of the mean.
        case up
        /// A decrease of the mean (falling accuracy on a correctness stream).
        case down
        /// Either.
        case both
    }

    /// The test's parameters, with river's defaults; YAML/JSON keys in snake_case.
    public struct Settings: Sendable, Equatable, Codable {
        /// Values seen (since the start or the last detection) before a detection is possible (default 30).
        public var minInstances: Int
        /// Tolerated change per value, subtracted from (up) or added to (down) each deviation (default 0.005).
        public var delta: Double
        /// Alarm level λ for the distance of a cumulative sum from its extreme (default 50).
        public var threshold: Double
        /// Forgetting factor applied to the cumulative sums at each value (default 1 − 0.0001).
        public var alpha: Double
        /// Direction of the changes to detect (default both).
        public var mode: Mode

        /// Settings with the given values; omitted ones take the defaults.
        public init(minInstances: Int = 30, delta: Double = 0.005, threshold: Double = 50.0, alpha: Double = 1 - 0.0001, mode: Mode = .both) {
            self.minInstances = minInstances
            self.delta = delta
            self.threshold = threshold
            self.alpha = alpha
            self.mode = mode
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case delta, threshold, alpha, mode
            case minInstances = "min_instances"
        }

        /// Decodes the policy's keys; a missing key takes its default.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            let d = Settings()
            minInstances = try c.decodeIfPresent(Int.self, forKey: .minInstances) ?? d.minInstances
            delta = try c.decodeIfPresent(Double.self, forKey: .delta) ?? d.delta
            threshold = try c.decodeIfPresent(Double.self, forKey: .threshold) ?? d.threshold
            alpha = try c.decodeIfPresent(Double.self, forKey: .alpha) ?? d.alpha
            mode = try c.decodeIfPresent(Mode.self, forKey: .mode) ?? d.mode
        }
    }

    /// The parameters in use.
    public let settings: Settings
    /// Detections since this detector was created (river's own count restarts at each reset).
    public private(set) var totalDetections = 0
    /// Values seen since the start or the last reset.
    public var count: Int { Int(n) }
    /// The running mean since the start or the last reset.
    public var mean: Double { xMean }

    private var n = 0.0
    private var xMean = 0.0
    private var sumIncrease = 0.0
    private var sumDecrease = 0.0
    private var minIncrease = Double.infinity
    private var maxDecrease = -1.0
    private var detected = false

    /// A detector with the given parameters (river's defaults when omitted).
    public init(_ settings: Settings = Settings()) {
        self.settings = settings
    }

    /// Takes the next value; true when a change is detected at this value.
    public mutating func update(_ x: Double) -> Bool {
        if detected { reset() }
        // river's stats.Mean, operation for operation.
        n += 1
        xMean += (1 / n) * (x - xMean)
        let dev = x - xMean
        sumIncrease = settings.alpha * sumIncrease + dev - settings.delta
        sumDecrease = settings.alpha * sumDecrease + dev + settings.delta
        if sumIncrease < minIncrease { minIncrease = sumIncrease }
        if sumDecrease > maxDecrease { maxDecrease = sumDecrease }
        if n >= Double(settings.minInstances) {
            let up = sumIncrease - minIncrease > settings.threshold
            let down = maxDecrease - sumDecrease > settings.threshold
            switch settings.mode {
            case .up: detected = up
            case .down: detected = down
            case .both: detected = up || down
            }
        }
        if detected { totalDetections += 1 }
        return detected
    }

    private mutating func reset() {
        n = 0
        xMean = 0
        sumIncrease = 0
        sumDecrease = 0
        minIncrease = .infinity
        maxDecrease = -1
        detected = false
    }
}
