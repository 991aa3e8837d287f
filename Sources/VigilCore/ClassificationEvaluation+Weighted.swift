extension ClassificationEvaluation {
    /// The policy's findings judged on Hájek estimates instead of plain counts: used when the
    /// reviewed items were drawn with unequal inclusion probabilities (`estimator: hajek`).
    ///
    /// Evidence rules are unchanged (a class with too few reviewed examples stays
    /// `insufficient-evidence`): they count reviewed items, which weighting does not change.
    /// Per-class precision, recall and F1, accuracy (= micro averages) and macro F1 take the
    /// weighted value and its bootstrap interval; macro precision/recall and the
    /// support-weighted averages take the weighted value (weighted by estimated class shares),
    /// without an interval.
    public func weightedFindings(_ estimate: WeightedEstimation, policy: Policy) -> [Finding] {
        let confidence = policy.evaluation.confidence
        let rows = estimate.perClass
        guard rows.count == classes.count else { return findings }
        func mean(_ f: (WeightedEstimation.ClassEstimate) -> Double) -> Double { rows.isEmpty ? 0 : rows.map(f).reduce(0, +) / Double(rows.count) }
        func byShare(_ f: (WeightedEstimation.ClassEstimate) -> Double) -> Double { rows.reduce(0) { $0 + $1.observedShare * f($1) } }
        return findings.map { finding in
            guard finding.severity != .insufficientEvidence, let metric = MetricName(rawValue: finding.metric) else { return finding }
            let threshold = Threshold(metric: finding.metric, classSelector: finding.className, warning: finding.warning, critical: finding.critical)
            let value: Double, interval: Interval?
            if let name = finding.className {
                guard let row = rows.first(where: { $0.className == name }) else { return finding }
                switch metric {
                case .precision: (value, interval) = (row.precision, row.precisionInterval)
                case .recall: (value, interval) = (row.recall, row.recallInterval)
                case .f1: (value, interval) = (row.f1, row.f1Interval)
                default: return finding
                }
                return Self.judged(rule: finding.rule, metric: finding.metric, className: name, value: value, interval: interval, threshold,
                                   evidence: finding.evidence, confidence: confidence, label: "\(finding.metric) of '\(name)' (Hájek)")
            }
            switch metric {
            case .accuracy, .microPrecision, .microRecall, .microF1: (value, interval) = (estimate.accuracy, estimate.accuracyInterval)
            case .macroF1: (value, interval) = (estimate.macroF1, estimate.macroF1Interval)
            case .macroPrecision: (value, interval) = (mean(\.precision), nil)
            case .macroRecall: (value, interval) = (mean(\.recall), nil)
            case .weightedPrecision: (value, interval) = (byShare(\.precision), nil)
            case .weightedRecall: (value, interval) = (byShare(\.recall), nil)
            case .weightedF1: (value, interval) = (byShare(\.f1), nil)
            default: return finding
            }
            return Self.judged(rule: finding.rule, metric: finding.metric, className: nil, value: value, interval: interval, threshold,
                               evidence: finding.evidence, confidence: confidence, label: "\(finding.metric) (Hájek)")
        }
    }
}
