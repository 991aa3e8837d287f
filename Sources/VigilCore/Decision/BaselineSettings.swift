/// Where a model's baseline comes from: the window of its own data that later windows are
/// compared with (relative threshold levels, `drift.reference: baseline`).
///
/// The baseline window is the latest one recorded by `vigil baseline set` or a promotion (an
/// event `baseline.set`); without one, the first `window` of the model's predictions.
public struct BaselineSettings: Sendable, Equatable, Codable {
    /// Length of the default baseline window (and of the one a promotion starts).
    public var window: String

    public init(window: String = "7d") { self.window = window }

    enum CodingKeys: String, CodingKey, CaseIterable { case window }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        window = try c.decodeIfPresent(String.self, forKey: .window) ?? "7d"
    }

    /// The window's length in milliseconds (`nil` when it does not parse).
    public var windowMillis: Int64? { WindowLength.seconds(window).map { $0 * 1000 } }

    func problems() -> [String] {
        WindowLength.seconds(window) == nil ? ["baseline.window: '\(window)' is not a length such as 7d, 36h or 2w"] : []
    }
}

/// A model's baseline as one evaluation uses it: the window, where it came from, and the
/// metrics measured over it (classifiers; `nil` until the baseline window holds labels).
public struct Baseline: Sendable, Equatable, Codable {
    public var from: Int64
    public var to: Int64
    /// `set` (`vigil baseline set` or a promotion, see the event log) or `default` (the first window of predictions).
    public var source: String
    public var metrics: ClassificationMetrics?

    public init(from: Int64, to: Int64, source: String, metrics: ClassificationMetrics? = nil) {
        self.from = from
        self.to = to
        self.source = source
        self.metrics = metrics
    }
}
