/// A model's monitoring policy: one YAML file per model in `policies/`.
///
/// ```yaml
/// model: shelf-classifier
/// task: classification
/// classes: [bottle, can, box]
/// evaluation:
///   window: 7d
///   min_reviewed_per_class: 12
///   confidence: 0.95
/// thresholds:
///   - metric: recall
///     class: "*"
///     warning: 0.80
///     critical: 0.65
///   - metric: macro_f1
///     warning: 0.80
///     critical: 0.70
/// ```
public struct Policy: Sendable, Equatable, Codable {
    /// The model this policy governs.
    public var model: String
    public var task: ModelTask
    /// The model's classes; new classes may be appended, never removed or reordered.
    public var classes: [String]
    public var evaluation: EvaluationSettings
    /// Rules that turn metric values into findings.
    public var thresholds: [Threshold]
    /// Prediction-bias and distribution-drift tests (on by default).
    public var drift: DriftSettings
    /// Scheduled jobs (`vigil tick`), their cron expressions, and the zone they are read in.
    public var schedule: [ScheduleEntry] = []
    public var timezone: String?
    /// How `vigil sample` spends the review budget, and how the review queue hands items out.
    public var sampling = SamplingSettings()
    public var review = ReviewSettings()
    /// When retraining jobs start and how they train (`nil`: no automatic retraining).
    public var retraining: RetrainingSettings?
    /// What a candidate version must show before it is promoted (defaults when absent).
    public var gate = GateSettings()

    /// The window the model's own baseline is measured over (relative levels, `reference: baseline`).
    public var baseline = BaselineSettings()

    /// Where this model's alerts go (``AlertRouting``); no routes: alerts are kept, nobody is paged.
    public var alerts: AlertRouting

    public init(model: String, task: ModelTask, classes: [String], evaluation: EvaluationSettings = .init(), thresholds: [Threshold] = [],
                drift: DriftSettings = .init(), alerts: AlertRouting = .init()) {
        self.model = model
        self.task = task
        self.classes = classes
        self.evaluation = evaluation
        self.thresholds = thresholds
        self.drift = drift
        self.alerts = alerts
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case model, task, classes, evaluation, thresholds, drift, schedule, timezone, sampling, review, retraining, gate, baseline, alerts }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        model = try c.decode(String.self, forKey: .model)
        task = try c.decode(ModelTask.self, forKey: .task)
        classes = try c.decode([String].self, forKey: .classes)
        evaluation = try c.decodeIfPresent(EvaluationSettings.self, forKey: .evaluation) ?? EvaluationSettings()
        thresholds = try c.decodeIfPresent([Threshold].self, forKey: .thresholds) ?? []
        drift = try c.decodeIfPresent(DriftSettings.self, forKey: .drift) ?? DriftSettings()
        schedule = try c.decodeIfPresent([ScheduleEntry].self, forKey: .schedule) ?? []
        timezone = try c.decodeIfPresent(String.self, forKey: .timezone)
        sampling = try c.decodeIfPresent(SamplingSettings.self, forKey: .sampling) ?? SamplingSettings()
        review = try c.decodeIfPresent(ReviewSettings.self, forKey: .review) ?? ReviewSettings()
        retraining = try c.decodeIfPresent(RetrainingSettings.self, forKey: .retraining)
        gate = try c.decodeIfPresent(GateSettings.self, forKey: .gate) ?? GateSettings()
        baseline = try c.decodeIfPresent(BaselineSettings.self, forKey: .baseline) ?? BaselineSettings()
        alerts = try c.decodeIfPresent(AlertRouting.self, forKey: .alerts) ?? AlertRouting()
    }

    /// The same policy with `classes` in the store's order (the store's order is authoritative).
    public func withClasses(_ classes: [String]) -> Policy {
        var copy = self
        copy.classes = classes
        return copy
    }

    /// The schema ingest and metrics use.
    public var schema: ModelSchema { ModelSchema(name: model, task: task, classes: classes) }

    /// Problems a person must fix before the policy can be used, each naming the field.
    public func problems() -> [String] {
        var out: [String] = []
        if model.isEmpty { out.append("model: must not be empty") }
        if classes.isEmpty { out.append("classes: list at least one class") }
        if Set(classes).count != classes.count { out.append("classes: a class is listed twice") }
        if WindowLength.seconds(evaluation.window) == nil { out.append("evaluation.window: '\(evaluation.window)' is not a length such as 7d, 36h or 2w") }
        if evaluation.minReviewedPerClass < 1 { out.append("evaluation.min_reviewed_per_class: must be at least 1") }
        if !(evaluation.iouThreshold > 0 && evaluation.iouThreshold <= 1) { out.append("evaluation.iou_threshold: must be in (0, 1], e.g. 0.5") }
        if evaluation.bootstrapResamples < 0 || evaluation.bootstrapResamples > 100_000 { out.append("evaluation.bootstrap_resamples: must be between 0 and 100000") }
        if !(evaluation.scoreThreshold >= 0 && evaluation.scoreThreshold <= 1) { out.append("evaluation.score_threshold: must be in [0, 1]") }
        if !(evaluation.confidence > 0.5 && evaluation.confidence < 1) { out.append("evaluation.confidence: must be between 0.5 and 1, e.g. 0.95") }
        out += alerts.problems()
        for (i, t) in thresholds.enumerated() {
            let at = "thresholds[\(i)]"
            guard let metric = MetricName(rawValue: t.metric) else {
                out.append("\(at).metric: unknown metric '\(t.metric)' (known: \(MetricName.allCases.map(\.rawValue).joined(separator: ", ")))")
                continue
            }
            if !metric.tasks.contains(task) { out.append("\(at).metric: '\(t.metric)' is a \(metric.tasks.map(\.rawValue).joined(separator: "/")) metric; this is a \(task.rawValue) model") }
            if metric.isPerClass, t.classSelector == nil { out.append("\(at).class: '\(t.metric)' is per class: give a class name or \"*\"") }
            if !metric.isPerClass, t.classSelector != nil { out.append("\(at).class: '\(t.metric)' is not per class: remove 'class'") }
            if let c = t.classSelector, c != "*", !classes.contains(c) { out.append("\(at).class: '\(c)' is not in classes") }
            out += t.levelProblems(at: at)
            if t.drop != nil && task == .detection { out.append("\(at).drop: levels relative to the baseline are for classifiers so far; give absolute levels (warning, critical)") }
        }
        out += baseline.problems()
        out += drift.problems(classes: classes)
        out += sampling.problems() + review.problems() + schedulingProblems()
        out += (retraining?.problems() ?? []) + gate.problems(task: task)
        return out
    }
}

/// How and over what an evaluation runs.
public struct EvaluationSettings: Sendable, Equatable, Codable {
    /// Default window length, e.g. `7d`.
    public var window: String
    /// A class with fewer reviewed examples than this gets `insufficient-evidence` (default 12).
    public var minReviewedPerClass: Int
    /// Confidence level of intervals (default 0.95).
    public var confidence: Double
    /// Detection: IoU at which a box counts as found, for precision/recall/F1 and the confusion table (default 0.5).
    public var iouThreshold: Double
    /// Detection: boxes scoring below this are not counted as predictions there (default 0.5).
    public var scoreThreshold: Double
    /// Bootstrap resamples for intervals that have no closed form (detection mAP; default 200).
    public var bootstrapResamples: Int
    /// Seed of those resamples, so a run can be repeated exactly (default 1).
    public var bootstrapSeed: UInt64
    /// How late ground truth arrives (e.g. `2d`): the scheduled evaluation judges the window
    /// ending this long before its slot. `nil`: no delay.
    public var labelDelay: String?
    /// `input.attributes` keys whose values split the reviewed items into slices, each judged
    /// against the rest (``SliceAnalysis``); empty: no slices.
    public var slices: [String] = []

    public init(window: String = "7d", minReviewedPerClass: Int = 12, confidence: Double = 0.95,
                iouThreshold: Double = 0.5, scoreThreshold: Double = 0.5, bootstrapResamples: Int = 200, bootstrapSeed: UInt64 = 1) {
        self.bootstrapResamples = bootstrapResamples
        self.bootstrapSeed = bootstrapSeed
        self.window = window
        self.minReviewedPerClass = minReviewedPerClass
        self.confidence = confidence
        self.iouThreshold = iouThreshold
        self.scoreThreshold = scoreThreshold
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case window, confidence
        case minReviewedPerClass = "min_reviewed_per_class"
        case iouThreshold = "iou_threshold"
        case scoreThreshold = "score_threshold"
        case bootstrapResamples = "bootstrap_resamples"
        case bootstrapSeed = "bootstrap_seed"
        case labelDelay = "label_delay"
        case slices
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        window = try c.decodeIfPresent(String.self, forKey: .window) ?? "7d"
        slices = try c.decodeIfPresent([String].self, forKey: .slices) ?? []
        minReviewedPerClass = try c.decodeIfPresent(Int.self, forKey: .minReviewedPerClass) ?? 12
        confidence = try c.decodeIfPresent(Double.self, forKey: .confidence) ?? 0.95
        iouThreshold = try c.decodeIfPresent(Double.self, forKey: .iouThreshold) ?? 0.5
        scoreThreshold = try c.decodeIfPresent(Double.self, forKey: .scoreThreshold) ?? 0.5
        bootstrapResamples = try c.decodeIfPresent(Int.self, forKey: .bootstrapResamples) ?? 200
        bootstrapSeed = try c.decodeIfPresent(UInt64.self, forKey: .bootstrapSeed) ?? 1
        labelDelay = try c.decodeIfPresent(String.self, forKey: .labelDelay)
    }
}

/// A rule: when `metric` (for `class`, or every class with `*`) falls below `warning` or
/// `critical`, the evaluation reports a finding of that severity.
public struct Threshold: Sendable, Equatable, Codable {
    public var metric: String
    /// A class name, `*` for every class, or `nil` for a metric over the whole model.
    public var classSelector: String?
    /// Absolute levels: the metric below this value is a warning…
    public var warning: Double?
    /// …or a critical finding.
    public var critical: Double?
    /// Levels relative to the model's baseline (``BaselineSettings``): the metric this far
    /// below its baseline value, with evidence, is a finding (`drop: {warning: 0.03}`).
    public var drop: Drop?

    /// How far below the baseline each severity starts (points of the metric, e.g. 0.05).
    public struct Drop: Sendable, Equatable, Codable {
        public var warning: Double?
        public var critical: Double?
        public init(warning: Double? = nil, critical: Double? = nil) { self.warning = warning; self.critical = critical }

        enum CodingKeys: String, CodingKey, CaseIterable { case warning, critical }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
            warning = try c.decodeIfPresent(Double.self, forKey: .warning)
            critical = try c.decodeIfPresent(Double.self, forKey: .critical)
        }
    }

    public init(metric: String, classSelector: String? = nil, warning: Double? = nil, critical: Double? = nil, drop: Drop? = nil) {
        self.metric = metric
        self.classSelector = classSelector
        self.warning = warning
        self.critical = critical
        self.drop = drop
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case metric, warning, critical, drop
        case classSelector = "class"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        metric = try c.decode(String.self, forKey: .metric)
        classSelector = try c.decodeIfPresent(String.self, forKey: .classSelector)
        warning = try c.decodeIfPresent(Double.self, forKey: .warning)
        critical = try c.decodeIfPresent(Double.self, forKey: .critical)
        drop = try c.decodeIfPresent(Drop.self, forKey: .drop)
    }

    /// Problems of the levels, each prefixed with `at` (e.g. `thresholds[2]`).
    func levelProblems(at: String) -> [String] {
        var out: [String] = []
        if let drop {
            if warning != nil || critical != nil { out.append("\(at): give either absolute levels (warning, critical) or 'drop', not both") }
            if drop.warning == nil && drop.critical == nil { out.append("\(at).drop: give 'warning', 'critical' or both, e.g. {warning: 0.03, critical: 0.08}") }
            for (key, v) in [("warning", drop.warning), ("critical", drop.critical)] {
                if let v, !(v >= 0 && v < 1) { out.append("\(at).drop.\(key): must be in [0, 1): points below the baseline, e.g. 0.05") }
            }
            if let w = drop.warning, let c = drop.critical, c < w { out.append("\(at).drop: critical (\(c)) must not be smaller than warning (\(w))") }
            return out
        }
        if warning == nil && critical == nil { out.append("\(at): give 'warning', 'critical' or both (or 'drop' for levels relative to the baseline)") }
        if let w = warning, let c = critical, c > w { out.append("\(at): critical (\(c)) must not be above warning (\(w)): metrics fire when they fall below") }
        return out
    }
}

/// The metrics a threshold can name.
public enum MetricName: String, Sendable, CaseIterable, Codable {
    case accuracy
    case precision, recall, f1
    case macroPrecision = "macro_precision", macroRecall = "macro_recall", macroF1 = "macro_f1"
    case microPrecision = "micro_precision", microRecall = "micro_recall", microF1 = "micro_f1"
    case weightedPrecision = "weighted_precision", weightedRecall = "weighted_recall", weightedF1 = "weighted_f1"
    /// Detection: COCO AP@[.50:.95], AP50 and AP75 over all classes, and AP / AP50 per class.
    case map, map50, map75, ap, ap50

    /// True for metrics reported per class.
    public var isPerClass: Bool { [.precision, .recall, .f1, .ap, .ap50].contains(self) }

    /// The tasks whose evaluation reports this metric (per-class precision, recall and F1 exist
    /// for both: for detectors at the policy's IoU and score thresholds).
    public var tasks: [ModelTask] {
        switch self {
        case .precision, .recall, .f1: [.classification, .detection]
        case .map, .map50, .map75, .ap, .ap50: [.detection]
        default: [.classification]
        }
    }
}
