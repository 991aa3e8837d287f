import Foundation
import VigilCore

/// The result of `vigil evaluate` for one model: the stable JSON document of `--format json`
/// (documented in `docs/formats.md`), also stored with the run.
public struct EvaluationReport: Sendable, Codable, Equatable {
    public struct Window: Sendable, Codable, Equatable {
        public var from: String
        public var to: String
    }

    public struct ConfusionTable: Sendable, Codable, Equatable {
        /// Always `observed`: rows are the reviewed (true) classes.
        public var rows: String
        /// Always `predicted`.
        public var columns: String
        public var counts: [[Int]]
    }

    public struct ClassRow: Sendable, Codable, Equatable {
        public var className: String
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var support: Int
        public var predicted: Int
        public var precisionInterval: Interval?
        public var recallInterval: Interval?
        /// `ok` or `insufficient-evidence`.
        public var evidence: Severity

        enum CodingKeys: String, CodingKey {
            case className = "class"
            case precision, recall, f1, support, predicted, evidence
            case precisionInterval = "precision_interval"
            case recallInterval = "recall_interval"
        }
    }

    public struct Metrics: Sendable, Codable, Equatable {
        public var accuracy: Double
        public var accuracyInterval: Interval?
        public var macro: AveragedMetrics
        public var micro: AveragedMetrics
        public var weighted: AveragedMetrics
        public var perClass: [ClassRow]
        /// Precision, recall and F1 against the top-1 score: all classes, then each class;
        /// empty when the reviewed predictions carry no score.
        public var thresholdSweep: [ThresholdSweepSummary] = []

        enum CodingKeys: String, CodingKey {
            case accuracy, macro, micro, weighted
            case accuracyInterval = "accuracy_interval"
            case perClass = "per_class"
            case thresholdSweep = "threshold_sweep"
        }
    }

    /// Document version; bumped only on incompatible changes.
    public var schema = "vigil.evaluation/v1"
    public var model: String
    public var task: ModelTask
    public var runID: Int64?
    public var createdAt: String
    public var window: Window
    public var status: EvaluationStatus
    public var exitCode: Int32
    /// How reviewed items are weighted: `unweighted` (each counts once) or `hajek` (queue
    /// items drawn with unequal inclusion probabilities weigh 1/π; see ``weighted``).
    public var estimator: String
    public var predictionsInWindow: Int
    public var labeled: Int
    public var minReviewedPerClass: Int
    public var confidence: Double
    public var classes: [String]
    public var confusionMatrix: ConfusionTable?
    public var metrics: Metrics?
    /// Detection models: COCO statistics and per-class AP.
    public var detection: DetectionMetrics?
    /// Prediction bias and distribution drift (when the policy's drift tests are enabled).
    public var drift: DriftReport?
    /// Hájek (1/π-weighted) estimates from the review queue's items, when their π differ.
    public var weighted: WeightedEstimation?
    public var findings: [Finding]
    /// Notes for people (e.g. why a status is unknown).
    public var notes: [String]
    /// The model's baseline the relative levels and drift tests compared with (classifiers).
    public var baseline: ReportBaseline?
    /// Accuracy per slice of `evaluation.slices` attributes, each against the rest (classifiers); nil without slices.
    public var slices: [SliceAnalysis.Row]?
    /// `true` for an ad-hoc run (another window, `--no-drift`, `--policy`, a backfill): stored, but it never moves alerts.
    public var adHoc: Bool?

    /// The baseline as a report shows it.
    public struct ReportBaseline: Sendable, Codable, Equatable {
        public var from: String
        public var to: String
        /// `set (…)` or `default (…)`: where the window came from.
        public var source: String
        /// Reviewed items in the baseline window, and its accuracy with the Wilson interval (classifiers).
        public var labeled: Int
        public var accuracy: Double?
        public var accuracyInterval: Interval?
        /// Whether relative levels used it: a baseline window that has not ended by the evaluated window's end is not used yet.
        public var used: Bool

        enum CodingKeys: String, CodingKey {
            case from, to, source, labeled, accuracy, used
            case accuracyInterval = "accuracy_interval"
        }
    }

    enum CodingKeys: String, CodingKey {
        case schema, model, task, window, status, estimator, labeled, confidence, classes, metrics, detection, drift, findings, notes, weighted, baseline, slices
        case adHoc = "ad_hoc"
        case runID = "run_id"
        case createdAt = "created_at"
        case exitCode = "exit_code"
        case predictionsInWindow = "predictions_in_window"
        case minReviewedPerClass = "min_reviewed_per_class"
        case confusionMatrix = "confusion_matrix"
    }

    /// The report as pretty, key-sorted JSON.
    public func json() throws -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try encoder.encode(self), as: UTF8.self)
    }
}

/// The detection part of a report (`detection` in the JSON).
public struct DetectionMetrics: Sendable, Codable, Equatable {
    /// Reviewed images evaluated.
    public var images: Int
    /// COCO's 12 statistics by name (`AP`, `AP50`, …, `AR_large`); −1 where undefined.
    public var coco: [String: Double]
    /// Seeded bootstrap interval on `coco.AP`, resampling images.
    public var mapInterval: Interval?
    /// Per class: AP, AP50, and precision/recall/F1 at the operating point.
    public var perClass: [DetectionEvaluation.ClassRow]
    public var iouThreshold: Double
    public var scoreThreshold: Double
    /// `(K+1)×(K+1)`: rows ground-truth class then `background`, columns predicted class then
    /// `background` (missed ground truth); matched across classes at the operating point.
    public var confusion: [[Int]]
    /// Precision, recall and F1 against the score threshold: all classes, then each class.
    public var thresholdSweep: [ThresholdSweepSummary]
    /// TIDE's errors by type and their cost in AP50 (``ErrorTaxonomy``); `nil` without reviewed boxes.
    public var errorTaxonomy: ErrorTaxonomy?
    /// Reliability of the box scores at the policy's IoU (D-ECE as netcal computes it, with a
    /// bootstrap interval and the bins); `nil` in reports stored before it existed.
    public var calibration: DetectionCalibrationReport?

    enum CodingKeys: String, CodingKey {
        case images, coco, confusion
        case thresholdSweep = "threshold_sweep"
        case errorTaxonomy = "error_taxonomy"
        case calibration
        case mapInterval = "map_interval"
        case perClass = "per_class"
        case iouThreshold = "iou_threshold"
        case scoreThreshold = "score_threshold"
    }

    init(_ e: DetectionEvaluation, errorTaxonomy: ErrorTaxonomy?, calibration: DetectionCalibrationReport? = nil) {
        self.errorTaxonomy = errorTaxonomy
        self.calibration = calibration
        images = e.images
        coco = Dictionary(uniqueKeysWithValues: zip(DetectionEvaluation.statNames, e.stats))
        perClass = e.perClass
        mapInterval = e.mapInterval
        iouThreshold = e.operatingPoint.iouThreshold
        scoreThreshold = e.operatingPoint.scoreThreshold
        confusion = e.operatingPoint.confusion
        thresholdSweep = e.thresholdSweep
    }
}

extension EvaluationReport.Metrics {
    init(_ e: ClassificationEvaluation) {
        accuracy = e.metrics.accuracy
        accuracyInterval = e.metrics.accuracyInterval
        macro = e.metrics.macro
        micro = e.metrics.micro
        weighted = e.metrics.weighted
        perClass = e.perClass.map { v in
            EvaluationReport.ClassRow(className: v.className, precision: v.metrics.precision, recall: v.metrics.recall, f1: v.metrics.f1,
                                      support: v.metrics.support, predicted: v.metrics.predicted,
                                      precisionInterval: v.metrics.precisionInterval, recallInterval: v.metrics.recallInterval,
                                      evidence: v.evidence)
        }
    }
}
