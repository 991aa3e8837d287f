/// Sequential change detectors on the reviewed-correctness stream (1 = the prediction was
/// right, in time order) and on the hourly mean score.
public struct SequentialSettings: Sendable, Equatable, Codable {
    public var enabled: Bool
    /// Severity of a detected change (default `warning`).
    public var severity: Severity

    public init(enabled: Bool = true, severity: Severity = .warning) {
        self.enabled = enabled
        self.severity = severity
    }

    enum CodingKeys: String, CodingKey { case enabled, severity }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        enabled = try c.decodeIfPresent(Bool.self, forKey: .enabled) ?? true
        severity = try c.decodeIfPresent(Severity.self, forKey: .severity) ?? .warning
    }
}
