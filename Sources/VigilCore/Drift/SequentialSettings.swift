/// Sequential change detectors on the reviewed-correctness stream (1 = the prediction was
/// right, in time order) and on the hourly mean score.
///
/// Defaults are chosen so that a week without change rarely alarms (see the calibration
/// figures of `make bench-drift`): ADWIN (δ = 0.002) on the correctness stream, CUSUM on the
/// hourly mean score with its in-control mean and σ taken from the reference window's hourly
/// means (when it has at least 24 hours and the policy gives neither) and a wide decision
/// interval, h = 10σ (without a reference it estimates them from a 72-hour warm-up). Page–Hinkley's threshold is in
/// the data's own units (river's default 50 suits large-valued streams), so it runs only when
/// a policy lists it.
///
/// ```yaml
/// sequential:
///   correctness: [adwin]
///   hourly_mean_score: [cusum]
///   adwin: {delta: 0.002}
///   page_hinkley: {threshold: 20, min_instances: 30}
///   cusum: {k: 0.5, h: 10, warmup: 72}
/// ```
public struct SequentialSettings: Sendable, Equatable, Codable {
    /// A detector by name.
    public enum Detector: String, Sendable, Codable, CaseIterable {
        case adwin
        case pageHinkley = "page_hinkley"
        case cusum
    }

    public var enabled: Bool
    /// Severity of a detected change (default `warning`).
    public var severity: Severity
    /// Detectors run on the reviewed-correctness stream (default `[adwin]`).
    public var correctness: [Detector]
    /// Detectors run on the hourly mean score (default `[cusum]`).
    public var hourlyMeanScore: [Detector]
    public var adwin: ADWIN.Settings
    public var pageHinkley: PageHinkley.Settings
    public var cusum: CUSUM.Settings

    public static let defaultCUSUM = CUSUM.Settings(k: 0.5, h: 10, warmup: 72)

    /// Reference values needed before CUSUM takes its in-control mean and σ from them.
    public static let minimumReferenceForCUSUM = 24

    /// CUSUM's settings for a stream whose in-control behaviour is `reference` (e.g. the
    /// hourly mean scores of the reference window): the mean and sample standard deviation
    /// of `reference`, unless the policy gives them or `reference` is too short or constant.
    public func cusum(reference: [Double]) -> CUSUM.Settings {
        var settings = cusum
        guard settings.target == nil, settings.sigma == nil, reference.count >= Self.minimumReferenceForCUSUM else { return settings }
        let n = Double(reference.count)
        let mean = reference.reduce(0, +) / n
        let variance = reference.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / (n - 1)
        guard variance > 0 else { return settings }
        settings.target = mean
        settings.sigma = variance.squareRoot()
        return settings
    }

    public init(enabled: Bool = true, severity: Severity = .warning, correctness: [Detector] = [.adwin],
                hourlyMeanScore: [Detector] = [.cusum], adwin: ADWIN.Settings = .init(),
                pageHinkley: PageHinkley.Settings = .init(), cusum: CUSUM.Settings = SequentialSettings.defaultCUSUM) {
        self.enabled = enabled
        self.severity = severity
        self.correctness = correctness
        self.hourlyMeanScore = hourlyMeanScore
        self.adwin = adwin
        self.pageHinkley = pageHinkley
        self.cusum = cusum
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case enabled, severity, correctness, adwin, cusum
        case hourlyMeanScore = "hourly_mean_score"
        case pageHinkley = "page_hinkley"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let d = SequentialSettings()
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? d.enabled
        severity = try c.decodeIfPresent(Severity.self, forKey: .severity) ?? d.severity
        correctness = try c.decodeIfPresent([Detector].self, forKey: .correctness) ?? d.correctness
        hourlyMeanScore = try c.decodeIfPresent([Detector].self, forKey: .hourlyMeanScore) ?? d.hourlyMeanScore
        adwin = try c.decodeIfPresent(ADWIN.Settings.self, forKey: .adwin) ?? d.adwin
        pageHinkley = try c.decodeIfPresent(PageHinkley.Settings.self, forKey: .pageHinkley) ?? d.pageHinkley
        cusum = try c.decodeIfPresent(CUSUM.Settings.self, forKey: .cusum) ?? d.cusum
    }

    /// The change points `detector` finds in `stream`, with these settings.
    /// CUSUM's in-control mean and σ come from `reference` when it is long enough (see
    /// ``cusum(reference:)``).
    public func changePoints(_ detector: Detector, on stream: [Double], reference: [Double] = []) -> [Int] {
        switch detector {
        case .adwin: VigilCore.changePoints(ADWIN(adwin), on: stream)
        case .pageHinkley: VigilCore.changePoints(PageHinkley(pageHinkley), on: stream)
        case .cusum: VigilCore.changePoints(CUSUM(cusum(reference: reference)), on: stream)
        }
    }

    /// Problems a person must fix, each naming the field under `drift.sequential.`.
    public func problems() -> [String] {
        var out: [String] = []
        out += adwin.problems().map { "drift.sequential.adwin.\($0)" }
        out += cusum.problems().map { "drift.sequential.cusum.\($0)" }
        if !severity.alerts { out.append("drift.sequential.severity: must be info, warning or critical") }
        return out
    }
}
