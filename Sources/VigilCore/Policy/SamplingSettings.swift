/// The policy's `sampling:` section: how `vigil sample` spends the daily review budget.
///
/// ```yaml
/// sampling:
///   daily_budget: 500          # items per model per day, all strategies together
///   window: 1d                 # predictions considered by one run (ending now)
///   min_per_class: 12          # stratified: at least this many per predicted class
///   seed: 7                    # runs are reproducible for the same store and time
///   strategies:
///     - {strategy: uniform, share: 0.4}
///     - {strategy: stratified, share: 0.3}
///     - {strategy: uncertainty, share: 0.3}          # smallest top-1 margin
///     - {strategy: attribute, share: 0.1, attribute: camera, reference: 28d}
///   uncertainty:
///     threshold: 0.5          # without a scores map: score nearest this value
///     band: [0.3, 0.6]        # detectors: images with a box scoring in this band
///     floor: 0.05             # every prediction keeps at least this weight
/// ```
public struct SamplingSettings: Sendable, Equatable, Codable {
    /// Items a model may queue per day (0: sampling off).
    public var dailyBudget: Int
    /// Length of the window one run draws from, ending at the run's time.
    public var window: String
    /// Stratified: the minimum per predicted class (capped by what the class has).
    public var minPerClass: Int
    /// Seed of the run's random draws (mixed with the model name and the run's time).
    public var seed: UInt64
    public var strategies: [StrategyShare]
    public var uncertainty: UncertaintySettings

    public init(dailyBudget: Int = 0, window: String = "1d", minPerClass: Int = 12, seed: UInt64 = 1,
                strategies: [StrategyShare] = [StrategyShare(strategy: .uniform, share: 1)], uncertainty: UncertaintySettings = .init()) {
        self.dailyBudget = dailyBudget
        self.window = window
        self.minPerClass = minPerClass
        self.seed = seed
        self.strategies = strategies
        self.uncertainty = uncertainty
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case window, seed, strategies, uncertainty
        case dailyBudget = "daily_budget"
        case minPerClass = "min_per_class"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        dailyBudget = try c.decodeIfPresent(Int.self, forKey: .dailyBudget) ?? 0
        window = try c.decodeIfPresent(String.self, forKey: .window) ?? "1d"
        minPerClass = try c.decodeIfPresent(Int.self, forKey: .minPerClass) ?? 12
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1
        strategies = try c.decodeIfPresent([StrategyShare].self, forKey: .strategies) ?? [StrategyShare(strategy: .uniform, share: 1)]
        uncertainty = try c.decodeIfPresent(UncertaintySettings.self, forKey: .uncertainty) ?? UncertaintySettings()
    }

    /// Problems a person must fix, each naming the field.
    public func problems() -> [String] {
        var out: [String] = []
        if dailyBudget < 0 { out.append("sampling.daily_budget: must be 0 (off) or more") }
        if WindowLength.seconds(window) == nil { out.append("sampling.window: '\(window)' is not a length such as 1d or 6h") }
        if minPerClass < 0 { out.append("sampling.min_per_class: must be 0 or more") }
        if strategies.isEmpty { out.append("sampling.strategies: list at least one strategy, e.g. {strategy: uniform, share: 1}") }
        for (i, s) in strategies.enumerated() {
            if !(s.share > 0 && s.share <= 1) { out.append("sampling.strategies[\(i)].share: must be in (0, 1]") }
            if s.strategy == .attribute && (s.attribute ?? "").isEmpty {
                out.append("sampling.strategies[\(i)].attribute: name the input attribute, e.g. attribute: camera")
            }
            if let r = s.reference, WindowLength.seconds(r) == nil { out.append("sampling.strategies[\(i)].reference: '\(r)' is not a length such as 28d") }
        }
        if Set(strategies.map(\.strategy)).count != strategies.count { out.append("sampling.strategies: a strategy is listed twice") }
        let total = strategies.reduce(0) { $0 + $1.share }
        if total > 1 + 1e-9 { out.append("sampling.strategies: shares add up to \(total); they must not exceed 1") }
        let u = uncertainty
        if !(u.floor > 0 && u.floor <= 1) { out.append("sampling.uncertainty.floor: must be in (0, 1]; 0 would give items an inclusion probability of 0") }
        if u.band.count != 2 || u.band[0] > u.band[1] { out.append("sampling.uncertainty.band: give [low, high], e.g. [0.3, 0.6]") }
        return out
    }
}

/// One strategy of the mix and its share of the budget.
public struct StrategyShare: Sendable, Equatable, Codable {
    public var strategy: SamplingStrategy
    public var share: Double
    /// `attribute`: the `input.attributes` member whose new values are sought.
    public var attribute: String?
    /// `attribute`: the reference window before the sampled one (default 28d).
    public var reference: String?

    public init(strategy: SamplingStrategy, share: Double, attribute: String? = nil, reference: String? = nil) {
        self.strategy = strategy
        self.share = share
        self.attribute = attribute
        self.reference = reference
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case strategy, share, attribute, reference }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        strategy = try c.decode(SamplingStrategy.self, forKey: .strategy)
        share = try c.decode(Double.self, forKey: .share)
        attribute = try c.decodeIfPresent(String.self, forKey: .attribute)
        reference = try c.decodeIfPresent(String.self, forKey: .reference)
    }
}

/// The sampling strategies.
public enum SamplingStrategy: String, Sendable, Codable, CaseIterable {
    case uniform, stratified, uncertainty, attribute
    /// Gold items mixed in by the review queue (recorded with π = 1 and left out of estimates).
    case gold
}

/// How `uncertainty` measures doubt.
public struct UncertaintySettings: Sendable, Equatable, Codable {
    /// Without a `scores` map: a prediction is as uncertain as its score is near this value.
    public var threshold: Double
    /// Detectors: an image is uncertain when one of its boxes scores inside this band.
    public var band: [Double]
    /// The least weight any prediction gets (so every π stays above 0).
    public var floor: Double

    public init(threshold: Double = 0.5, band: [Double] = [0.3, 0.6], floor: Double = 0.05) {
        self.threshold = threshold
        self.band = band
        self.floor = floor
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case threshold, band, floor }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        threshold = try c.decodeIfPresent(Double.self, forKey: .threshold) ?? 0.5
        band = try c.decodeIfPresent([Double].self, forKey: .band) ?? [0.3, 0.6]
        floor = try c.decodeIfPresent(Double.self, forKey: .floor) ?? 0.05
    }
}

/// The policy's `review:` section: how the review queue hands out items.
///
/// ```yaml
/// review:
///   lease: 10m                  # a claim lasts this long unless renewed
///   double_review_fraction: 0.1 # items that go to two different reviewers
///   gold_rate: 0.05             # share of claims that are gold items (known answers)
///   on_disagreement: keep_truth # or review_wins: an answer against existing ground truth
/// ```
public struct ReviewSettings: Sendable, Equatable, Codable {
    public var lease: String
    public var doubleReviewFraction: Double
    public var goldRate: Double
    /// What a review answer that disagrees with existing ground truth does (`keep_truth`,
    /// the default, or `review_wins`); recorded on each item when it is sampled.
    public var onDisagreement: DisagreementRule

    public init(lease: String = "10m", doubleReviewFraction: Double = 0, goldRate: Double = 0, onDisagreement: DisagreementRule = .keepTruth) {
        self.onDisagreement = onDisagreement
        self.lease = lease
        self.doubleReviewFraction = doubleReviewFraction
        self.goldRate = goldRate
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case lease
        case doubleReviewFraction = "double_review_fraction"
        case goldRate = "gold_rate"
        case onDisagreement = "on_disagreement"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        lease = try c.decodeIfPresent(String.self, forKey: .lease) ?? "10m"
        doubleReviewFraction = try c.decodeIfPresent(Double.self, forKey: .doubleReviewFraction) ?? 0
        goldRate = try c.decodeIfPresent(Double.self, forKey: .goldRate) ?? 0
        let rule = try c.decodeIfPresent(String.self, forKey: .onDisagreement) ?? DisagreementRule.keepTruth.rawValue
        guard let known = DisagreementRule(rawValue: rule) else {
            throw DecodingError.dataCorruptedError(forKey: .onDisagreement, in: c, debugDescription:
                "'\(rule)' is not a rule; use one of \(DisagreementRule.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        onDisagreement = known
    }

    /// The lease in milliseconds (10 minutes when unreadable; ``problems()`` reports it).
    public var leaseMillis: Int64 { (WindowLength.seconds(lease) ?? 600) * 1000 }

    public func problems() -> [String] {
        var out: [String] = []
        if WindowLength.seconds(lease) == nil { out.append("review.lease: '\(lease)' is not a length such as 10m") }
        if !(doubleReviewFraction >= 0 && doubleReviewFraction <= 1) { out.append("review.double_review_fraction: must be in [0, 1]") }
        if !(goldRate >= 0 && goldRate < 1) { out.append("review.gold_rate: must be in [0, 1)") }
        return out
    }
}

/// One entry of the policy's `schedule:` list: a job and when it runs.
///
/// ```yaml
/// timezone: Europe/Berlin
/// schedule:
///   - {job: sample, cron: "@hourly"}
///   - {job: evaluate, cron: "0 6 * * *"}
/// ```
public struct ScheduleEntry: Sendable, Equatable, Codable {
    /// `sample`, `evaluate`, `retention`, `deliver-alerts` or `retrain-check`.
    public var job: String
    /// A five-field cron expression or `@hourly`, `@daily`, `@weekly`, `@monthly`, `@yearly`.
    public var cron: String

    public init(job: String, cron: String) {
        self.job = job
        self.cron = cron
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case job, cron }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        job = try c.decode(String.self, forKey: .job)
        cron = try c.decode(String.self, forKey: .cron)
    }

    /// Job kinds a schedule may name.
    public static let knownJobs = ["sample", "evaluate", "retention", "deliver-alerts", "retrain-check"]
}
