import VigilCore

extension EvaluationReport {
    /// The verdict in words, for a job-run line: "ok (11 checks)", or the status and the checks
    /// that are not ok, e.g. "warning (1 warning, 2 insufficient-evidence of 11 checks)".
    public var verdict: String {
        let notOK = Dictionary(grouping: findings.filter { $0.severity != .ok }, by: \.severity).mapValues(\.count)
        let checks = "\(findings.count) check" + (findings.count == 1 ? "" : "s")
        guard !notOK.isEmpty else { return "\(status.rawValue) (\(checks))" }
        let parts = notOK.sorted { $0.key > $1.key }.map { "\($0.value) \($0.key.rawValue)" }.joined(separator: ", ")
        return "\(status.rawValue) (\(parts) of \(checks))"
    }
}
