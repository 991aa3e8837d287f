/// A metric as one window measured it: the point estimate, its interval, and for a proportion
/// the counts behind it (the Wilson score test uses them).
public struct MetricReading: Sendable, Equatable {
    public var value: Double
    public var interval: Interval?
    /// Successes and trials, when the metric is a proportion (precision, recall, accuracy).
    public var successes: Int?
    public var trials: Int?

    public init(value: Double, interval: Interval?, successes: Int? = nil, trials: Int? = nil) {
        self.value = value
        self.interval = interval
        self.successes = successes
        self.trials = trials
    }

    /// The standard error the interval implies at `confidence` (half its width over z), or `nil` without one.
    func standardError(confidence: Double) -> Double? {
        guard let interval else { return nil }
        return (interval.upper - interval.lower) / (2 * NormalDistribution.quantile(1 - (1 - confidence) / 2))
    }
}
