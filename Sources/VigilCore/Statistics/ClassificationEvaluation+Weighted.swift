extension ClassificationEvaluation {
    /// The policy's findings judged on Hájek estimates instead of plain counts: used when the
    /// reviewed items were drawn with unequal inclusion probabilities (`estimator: hajek`).
    ///
    /// Evidence rules are unchanged (a class with too few reviewed examples stays
    /// `insufficient-evidence`): they count reviewed items, which weighting does not change.
    /// Per-class precision, recall and F1, accuracy (= micro averages) and macro F1 take the
    /// weighted value and its bootstrap interval; macro precision/recall and the
    /// support-weighted averages take the weighted value (weighted by estimated class shares),
    /// without an interval. The decision is ``EvidenceDecision``'s, as for plain counts.
    public func weightedFindings(_ estimate: WeightedEstimation, policy: Policy, baseline: BaselineEvidence? = nil) -> [Finding] {
        guard estimate.perClass.count == classes.count else { return findings }
        return Self.findings(policy: policy, metrics: metrics, readings: ClassificationReadings(estimate), baseline: baseline, estimator: "Hájek")
    }
}
