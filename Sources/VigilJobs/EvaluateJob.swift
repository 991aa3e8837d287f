import Foundation
import VigilAlerts
import VigilCore
import VigilStore

/// Which window to evaluate.
public enum WindowSelection: Sendable {
    /// The canonical window at now: the policy's window, ending `label_delay` before now (``Policy/canonicalWindow(at:)``).
    case policyDefault
    /// A length such as `7d`, ending now.
    case last(String)
    /// An explicit half-open range.
    case range(from: Date, to: Date)

    /// True for `.policyDefault`: the window a canonical evaluation judges.
    public var isPolicyDefault: Bool {
        if case .policyDefault = self { return true }
        return false
    }
}

/// Evaluates a model over a window: reads the confusion counts from the store (streaming),
/// computes metrics and findings under the policy, stores the run, its findings and an event,
/// and — in the same transaction — updates the model's alerts and queues their notifications.
public struct EvaluateJob: Sendable {
    let store: any Store
    let clock: any VigilClock
    let actor: String
    let alerts: AlertSetup

    /// `alerts`: receivers and templates (``Workspace/alertSetup(store:)``); without them alert state is kept and nothing is sent.
    public init(store: any Store, clock: any VigilClock, actor: String = "cli", alerts: AlertSetup = .silent()) {
        self.store = store
        self.clock = clock
        self.actor = actor
        self.alerts = alerts
    }

    /// How a run is kept.
    public enum Mode: Sendable {
        /// The canonical evaluation (scheduled, or `vigil evaluate` with no window or overrides): stored, and it moves alerts.
        case canonical
        /// Another window or overrides: stored and reported, alerts and receivers untouched.
        case adHoc
        /// Computed and reported only; nothing is stored.
        case dryRun
    }

    /// Evaluates `policy.model` over `window`. With `reuseIdenticalRun` (backfills), a stored run
    /// of the same window whose report is identical but for its time and id is returned instead
    /// of storing a new one. Only a `.canonical` run changes alert state and queues notifications.
    public func run(policy: Policy, window selection: WindowSelection, reuseIdenticalRun: Bool = false, mode: Mode = .canonical) throws -> EvaluationReport {
        let now = Timestamp.millis(clock.now)
        let window: TimeWindow
        switch selection {
        case .policyDefault:
            let w = policy.canonicalWindow(at: now)
            window = TimeWindow(from: w.from, to: w.to)
        case .last(let text):
            guard let seconds = WindowLength.seconds(text) else {
                throw JobError("window '\(text)' is not a length such as 7d, 36h or 2w")
            }
            window = TimeWindow(from: now - seconds * 1000, to: now)
        case .range(let from, let to):
            guard from < to else { throw JobError("--from must be before --to") }
            window = TimeWindow(from: Timestamp.millis(from), to: Timestamp.millis(to))
        }
        var report = EvaluationReport(
            model: policy.model, task: policy.task, runID: nil, createdAt: Timestamp.format(millis: now),
            window: .init(from: Timestamp.format(millis: window.from), to: Timestamp.format(millis: window.to)),
            status: .unknown, exitCode: 3, estimator: "unweighted",
            predictionsInWindow: try store.predictionCount(model: policy.model, window: window), labeled: 0,
            minReviewedPerClass: policy.evaluation.minReviewedPerClass, confidence: policy.evaluation.confidence,
            classes: policy.classes, confusionMatrix: nil, metrics: nil, detection: nil, findings: [], notes: [])
        guard let stored = try store.model(named: policy.model) else {
            throw JobError("model '\(policy.model)' is not in the store yet: ingest its predictions first")
        }
        let baseline = try baselineEvidence(policy: policy.withClasses(stored.classes), window: window)
        report.baseline = baseline?.summary
        var reviewedMatrix: ConfusionMatrix?
        var reviewedImages: [DetectionEvaluation.Image]?
        switch policy.task {
        case .classification:
            let matrix = try store.confusionMatrix(model: policy.model, window: window)
            reviewedMatrix = matrix
            // The store's class order is authoritative; the policy's thresholds name classes.
            let ordered = policy.withClasses(stored.classes)
            let evaluation = ClassificationEvaluation(matrix: matrix, policy: ordered, baseline: baseline?.usable)
            report.classes = stored.classes
            report.labeled = matrix.total
            report.confusionMatrix = .init(rows: "observed", columns: "predicted", counts: matrix.rows)
            report.metrics = .init(evaluation)
            report.metrics?.thresholdSweep = ThresholdSweep.classification(
                try store.reviewedScores(model: policy.model, window: window), classes: stored.classes, confidence: policy.evaluation.confidence)
            if !policy.evaluation.slices.isEmpty {
                let items = try policy.evaluation.slices.map { attribute in
                    (attribute: attribute, values: try store.reviewedAttribute(model: policy.model, window: window, attribute: attribute)
                        .map { (value: $0.value, correct: $0.observed == $0.predicted) })
                }
                report.slices = SliceAnalysis(items: items, confidence: policy.evaluation.confidence,
                                              minimumReviewed: policy.evaluation.minReviewedPerClass).rows
            }
            report.findings = evaluation.findings
            report.status = evaluation.status
            if matrix.total == 0 {
                report.notes.append("no reviewed predictions in the window: label some (vigil ingest labels) before judging the model")
            }
            // Items the sampler drew with unequal π: Hájek estimates of the whole window.
            let reviews = try store.weightedReviews(model: policy.model, window: window)
            if WeightedEstimation.isWeighted(reviews.map(\.inclusionProbability)) {
                report.estimator = "hajek"
                let estimate = WeightedEstimation(
                    reviews: reviews.map { ($0.observed, $0.predicted, $0.inclusionProbability) }, classNames: stored.classes,
                    resamples: policy.evaluation.bootstrapResamples, seed: policy.evaluation.bootstrapSeed, confidence: policy.evaluation.confidence)
                report.weighted = estimate
                report.findings = evaluation.weightedFindings(estimate, policy: ordered, baseline: baseline?.usable)
                report.status = EvaluationStatus.summarising(report.findings, labeled: matrix.total)
                report.notes.append("estimator hajek: \(reviews.count) review-queue items drawn with unequal inclusion probabilities are weighted by 1/π (`weighted`, bootstrap intervals); the thresholds judge these estimates; `metrics` counts every labelled item once")
            }
        case .detection:
            let ordered = policy.withClasses(stored.classes)
            var images: [DetectionEvaluation.Image] = []
            try store.forEachReviewedImage(model: policy.model, window: window) { predicted, groundTruth in
                images.append(DetectionEvaluation.Image(predicted: try DetectionBox.parse(json: predicted, schema: stored),
                                                        groundTruth: try DetectionBox.parse(json: groundTruth, schema: stored)))
            }
            let evaluation = DetectionEvaluation(images: images, policy: ordered)
            reviewedImages = images
            report.classes = stored.classes
            report.labeled = images.count
            let settings = ordered.evaluation
            let calibration = DetectionCalibrationReport(matches: evaluation.scoredMatches, imageCount: images.count, classNames: ordered.classes,
                                                         iouThreshold: settings.iouThreshold,
                                                         resamples: settings.bootstrapResamples, seed: settings.bootstrapSeed,
                                                         confidence: settings.confidence)
            report.detection = DetectionMetrics(evaluation, errorTaxonomy: ErrorTaxonomy(images: images, classNames: ordered.classes),
                                                calibration: calibration)
            report.findings = evaluation.findings
            report.status = evaluation.status
            report.notes.append("detection: COCO bbox statistics as pycocotools computes them; precision/recall/F1 and the confusion table at IoU \(ordered.evaluation.iouThreshold), score ≥ \(ordered.evaluation.scoreThreshold); crowd regions (iscrowd) are ignored as COCO ignores them")
            if images.isEmpty {
                report.notes.append("no reviewed images in the window: label some (vigil ingest labels) before judging the model")
            }
        }
        if policy.drift.enabled {
            let collector = DriftCollector(store: store, policy: policy.withClasses(stored.classes), schema: stored, baseline: baseline?.window,
                                           baselineMatrix: baseline.flatMap { $0.window.to <= window.from ? $0.matrix : nil })
            let (drift, findings) = try collector.run(window: window, matrix: reviewedMatrix, images: reviewedImages)
            report.drift = drift
            report.findings += findings
            report.status = report.status.worsened(by: findings)
        }
        report.exitCode = report.status.exitCode
        if mode != .canonical {
            report.adHoc = true
            report.notes.append(mode == .dryRun
                ? "dry run: nothing was stored and alerts were not changed"
                : "ad-hoc run (another window or overrides): stored for reference; alerts and receivers were not changed — only scheduled evaluations and `vigil evaluate` with no window or overrides move alerts")
        }
        if mode == .dryRun { return report }
        if reuseIdenticalRun, let same = try identicalStoredRun(report, window: window) {
            return same
        }
        let json = try report.json()
        let planner = try alerts.planner(for: policy, actor: actor)
        let findings = report.findings
        let movesAlerts = mode == .canonical
        report.runID = try store.recordEvaluation(EvaluationRunRecord(
            model: policy.model, createdAt: now, window: window, status: report.status, labeled: report.labeled,
            findings: findings, reportJSON: json, actor: actor)) { runID, book in
            movesAlerts ? try planner.plan(book, findings: findings, run: .init(id: runID, window: window)) : AlertChanges()
        }
        return report
    }
}

extension EvaluateJob {
    /// A model's baseline for one evaluation: its window, the report's summary, and the
    /// evidence relative levels compare with (`nil` until the baseline window has ended by
    /// the evaluated window's end and holds labels).
    struct BaselineUse {
        var window: TimeWindow
        var summary: EvaluationReport.ReportBaseline
        var usable: ClassificationEvaluation.BaselineEvidence?
        /// The baseline window's reviewed confusion counts (classifiers, once it has ended).
        var matrix: ConfusionMatrix?
    }

    /// The baseline of a classifier whose policy compares with one (a `drop` level or
    /// `drift.reference: baseline`); `nil` otherwise, or when the model has no data yet.
    func baselineEvidence(policy: Policy, window: TimeWindow) throws -> BaselineUse? {
        let needed = policy.thresholds.contains { $0.drop != nil } || (policy.drift.enabled && policy.drift.reference == .baseline)
        guard needed, let (baselineWindow, source) = try BaselineWindow.resolve(store: store, policy: policy) else { return nil }
        var summary = EvaluationReport.ReportBaseline(from: Timestamp.format(millis: baselineWindow.from), to: Timestamp.format(millis: baselineWindow.to),
                                                      source: source, labeled: 0, used: false)
        guard policy.task == .classification, baselineWindow.to <= window.to else { return BaselineUse(window: baselineWindow, summary: summary) }
        let matrix = try store.confusionMatrix(model: policy.model, window: baselineWindow)
        let evidence = ClassificationEvaluation.BaselineEvidence(matrix: matrix, policy: policy)
        summary.labeled = matrix.total
        summary.accuracy = matrix.total > 0 ? evidence.metrics.accuracy : nil
        summary.accuracyInterval = evidence.metrics.accuracyInterval
        summary.used = matrix.total > 0
        return BaselineUse(window: baselineWindow, summary: summary, usable: matrix.total > 0 ? evidence : nil, matrix: matrix)
    }
}
