/// An evaluation's threshold findings in policy order while they are collected: some settled
/// at once (too little evidence), the rest tests that ``EvidenceDecision`` decides together at
/// the end (the classes of one rule are adjusted as one family).
struct PendingFindings {
    private var slots: [Finding?] = []
    private var tests: [(position: Int, test: ThresholdTest)] = []

    /// A finding that needs no test (e.g. `insufficient-evidence`).
    mutating func settle(_ finding: Finding) { slots.append(finding) }

    /// A test whose finding ``findings(confidence:)`` decides.
    mutating func decide(_ test: ThresholdTest) {
        tests.append((slots.count, test))
        slots.append(nil)
    }

    /// Every finding, in the order they were added.
    func findings(confidence: Double) -> [Finding] {
        var out = slots
        for (entry, finding) in zip(tests, EvidenceDecision.findings(tests.map(\.test), confidence: confidence)) { out[entry.position] = finding }
        return out.compactMap { $0 }
    }
}
