/// The overall outcome of an evaluation, mapped onto the Nagios plugin exit codes that cron
/// wrappers and monitoring systems understand.
public enum EvaluationStatus: String, Sendable, Codable {
    case ok, warning, critical, unknown

    /// 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.
    public var exitCode: Int32 {
        switch self {
        case .ok: 0
        case .warning: 1
        case .critical: 2
        case .unknown: 3
        }
    }

    /// The status a set of findings adds up to: the worst of ok/warning/critical among the
    /// findings that had enough evidence; `unknown` when none had (no verdict on too little evidence).
    public static func summarising(_ findings: [Finding], labeled: Int) -> EvaluationStatus {
        let decided = findings.filter { $0.severity != .insufficientEvidence }
        if decided.isEmpty { return findings.isEmpty && labeled > 0 ? .ok : .unknown }
        switch decided.map(\.severity).max()! {
        case .critical: return .critical
        case .warning: return .warning
        default: return .ok
        }
    }

    /// This status with further findings (e.g. drift) taken into account: the worst of the
    /// two, where a decided finding replaces `unknown` (drift on unlabelled predictions is
    /// still a verdict on the production distribution).
    public func worsened(by findings: [Finding]) -> EvaluationStatus {
        let decided = findings.filter { $0.severity != .insufficientEvidence }.map(\.severity).max()
        guard let worst = decided, worst >= .warning else { return self }
        let other: EvaluationStatus = worst == .critical ? .critical : .warning
        switch (self, other) {
        case (.critical, _), (_, .critical): return .critical
        default: return .warning
        }
    }
}
