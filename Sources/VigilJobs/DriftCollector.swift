import Foundation
import VigilCore
import VigilStore

/// The `drift` section of an evaluation report: what was compared and every test's verdict.
public struct DriftReport: Sendable, Codable, Equatable {
    public struct Reference: Sendable, Codable, Equatable {
        /// `previous_window` or `training`.
        public var kind: String
        /// The reference window, for `previous_window`.
        public var from: String?
        public var to: String?
    }

    public var reference: Reference
    /// Significance level for the Benjamini–Hochberg-adjusted p-values.
    public var alpha: Double
    public var tests: [DriftTestResult]
    public var notes: [String]
}

/// Reads what the drift tests need from the store for one evaluation and runs them.
struct DriftCollector {
    let store: any Store
    let policy: Policy
    let schema: ModelSchema
    /// The model's baseline window (``BaselineWindow``), for `reference: baseline`.
    var baseline: TimeWindow?
    /// The baseline window's reviewed confusion counts, when it has ended: prediction bias it already had is not drift.
    var baselineMatrix: ConfusionMatrix?

    /// Whether the samples are compared with the baseline: `reference: baseline` and a baseline that ended before `window` starts.
    func comparesWithBaseline(_ window: TimeWindow) -> Bool {
        guard policy.drift.reference == .baseline, let baseline else { return false }
        return baseline.to <= window.from
    }

    /// The reference window for `window`: the baseline (``comparesWithBaseline(_:)``), else
    /// the window of the policy's reference length that ends where `window` starts.
    func referenceWindow(for window: TimeWindow) -> TimeWindow {
        if comparesWithBaseline(window), let baseline { return baseline }
        let length = policy.drift.referenceWindow.flatMap(WindowLength.seconds).map { $0 * 1000 } ?? (window.to - window.from)
        return TimeWindow(from: window.from - length, to: window.from)
    }

    /// Runs the tests for a classifier (`matrix`) or a detector (`images`) over `window`.
    func run(window: TimeWindow, matrix: ConfusionMatrix?, images: [DetectionEvaluation.Image]?) throws -> (DriftReport, [Finding]) {
        let settings = policy.drift
        var analysis = DriftAnalysis(settings: settings, classes: schema.classes,
                                     minReviewedPerClass: policy.evaluation.minReviewedPerClass, confidence: policy.evaluation.confidence)
        let reference = referenceWindow(for: window)
        var notes: [String] = []
        if let matrix { analysis.addPredictionBias(matrix) }
        if let images {
            analysis.addBoxCountBias(predicted: images.map { boxCounts($0.predicted, minScore: policy.evaluation.scoreThreshold) },
                                     groundTruth: images.map { boxCounts($0.groundTruth, minScore: nil) })
        }
        let current = try store.predictedClassCounts(model: schema.name, window: window).map(Double.init)
        let referenceKind: DriftReport.Reference
        switch settings.reference {
        case .training:
            let shares = schema.classes.map { settings.trainingDistribution?[$0] ?? 0 }
            analysis.addClassDistribution(reference: shares, current: current, referenceIsShares: true)
            referenceKind = .init(kind: "training", from: nil, to: nil)
        case .previousWindow, .baseline:
            let counts = try store.predictedClassCounts(model: schema.name, window: reference).map(Double.init)
            analysis.addClassDistribution(reference: counts, current: current, referenceIsShares: false)
            let kind = comparesWithBaseline(window) ? "baseline" : "previous_window"
            referenceKind = .init(kind: kind, from: Timestamp.format(millis: reference.from), to: Timestamp.format(millis: reference.to))
            if settings.reference == .baseline && kind != "baseline" {
                notes.append("the baseline window has not ended before this window starts: compared with the previous window instead")
            }
        }
        if settings.reference == .training {
            notes.append("samples (scores, embeddings, boxes) are compared with the window before the current one; class shares with the training distribution")
        }
        switch schema.task {
        case .classification: try addScoreTests(&analysis, window: window, reference: reference)
        case .detection: try addBoxTests(&analysis, window: window, reference: reference)
        }
        if settings.embedding.enabled, let note = try addEmbeddingTest(&analysis, window: window, reference: reference) {
            notes.append(note)
        }
        if settings.sequential.enabled { try addSequentialTests(&analysis, window: window, reference: reference) }
        var (results, findings) = analysis.finished()
        if let baselineMatrix, baselineMatrix.total > 0 { separateStandingBias(&results, &findings, baseline: baselineMatrix, notes: &notes) }
        return (DriftReport(reference: referenceKind, alpha: settings.alpha, tests: results, notes: notes), findings)
    }

    /// Prediction bias the baseline already had, in the same direction, is a property of the
    /// model, not drift: its verdict stays in the report (severity ok, with a note saying so)
    /// and it makes no finding. Only a bias the baseline did not have is a drift finding.
    func separateStandingBias(_ results: inout [DriftTestResult], _ findings: inout [Finding], baseline: ConfusionMatrix, notes: inout [String]) {
        var base = DriftAnalysis(settings: policy.drift, classes: schema.classes,
                                 minReviewedPerClass: policy.evaluation.minReviewedPerClass, confidence: policy.evaluation.confidence)
        base.addPredictionBias(baseline)
        let baseline = base.finished().results
        var standing: [String] = []
        for i in results.indices where results[i].target == "prediction_bias" && results[i].severity.alerts {
            let r = results[i]
            guard let b = baseline.first(where: { $0.test == r.test && $0.className == r.className }),
                  let q = b.adjustedPValue, q < policy.drift.alpha,
                  r.test != "mcnemar" || ((b.effectSize ?? 0) > 0) == ((r.effectSize ?? 0) > 0) else { continue }
            results[i].severity = .ok
            results[i].message += "; the baseline had it too (adjusted p \(String(format: "%.2g", q))): a property of the model, not drift"
            let rule = ["drift", r.target, r.test, r.className].compactMap { $0 }.joined(separator: ".")
            findings.removeAll { $0.rule == rule }
            standing.append(r.className.map { "\(r.test) '\($0)'" } ?? r.test)
        }
        if !standing.isEmpty {
            notes.append("prediction bias present since the baseline (a property of the model, not drift): " + standing.joined(separator: ", "))
        }
    }

    /// Boxes per class of one image, counting predicted boxes only at or above `minScore`.
    private func boxCounts(_ boxes: [DetectionBox], minScore: Double?) -> [Int] {
        var counts = [Int](repeating: 0, count: schema.classes.count)
        for box in boxes where box.labelIndex < counts.count {
            if let minScore, let score = box.score, score < minScore { continue }
            counts[box.labelIndex] += 1
        }
        return counts
    }
}
