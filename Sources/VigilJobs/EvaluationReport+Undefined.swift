import VigilCore

/// Undefined metrics, written once: a ratio over nothing (precision of a class the model never
/// predicted, recall of a class never observed, anything of a window with no reviewed items,
/// a COCO statistic pycocotools marks −1) is undefined. The numbers stay as scikit-learn and
/// pycocotools compute them (0 and −1), so they equal the references; what people and programs
/// read shows "—" in tables and the report, and `null` in JSON.
extension EvaluationReport.ClassRow {
    /// Precision, or nil when the class was never predicted in the window.
    public var definedPrecision: Double? { predicted > 0 ? precision : nil }
    /// Recall, or nil when the class was never observed in the window.
    public var definedRecall: Double? { support > 0 ? recall : nil }
    /// F1, or nil when the class was neither predicted nor observed.
    public var definedF1: Double? { predicted + support > 0 ? f1 : nil }
}

extension EvaluationReport.Metrics {
    /// Reviewed items the metrics count.
    public var reviewed: Int { perClass.reduce(0) { $0 + $1.support } }
    /// Accuracy, or nil when the window has no reviewed items.
    public var definedAccuracy: Double? { reviewed > 0 ? accuracy : nil }
    /// An average (macro, micro or weighted), or nil when the window has no reviewed items.
    public func defined(_ average: AveragedMetrics) -> AveragedMetrics? { reviewed > 0 ? average : nil }
}

extension DetectionMetrics {
    /// A COCO statistic, or nil where pycocotools gives −1 (no ground truth of that kind).
    public func defined(_ name: String) -> Double? { coco[name].flatMap { $0 >= 0 ? $0 : nil } }
}

extension DetectionEvaluation.ClassRow {
    /// AP@[.50:.95], or nil when the class has no ground truth (−1).
    public var definedAP: Double? { ap >= 0 ? ap : nil }
    /// AP50, or nil when the class has no ground truth (−1).
    public var definedAP50: Double? { ap50 >= 0 ? ap50 : nil }
    /// Precision at the operating point, or nil without a detection of the class.
    public var definedPrecision: Double? { predictedBoxes > 0 ? precision : nil }
    /// Recall at the operating point, or nil without a ground-truth box of the class.
    public var definedRecall: Double? { groundTruthBoxes > 0 ? recall : nil }
    /// F1 at the operating point, or nil with neither.
    public var definedF1: Double? { predictedBoxes + groundTruthBoxes > 0 ? f1 : nil }
}

// MARK: JSON: null where undefined; read back as the reference values (0, −1).

extension EvaluationReport.ClassRow {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(className, forKey: .className)
        try c.encode(definedPrecision, forKey: .precision)
        try c.encode(definedRecall, forKey: .recall)
        try c.encode(definedF1, forKey: .f1)
        try c.encode(support, forKey: .support)
        try c.encode(predicted, forKey: .predicted)
        try c.encodeIfPresent(precisionInterval, forKey: .precisionInterval)
        try c.encodeIfPresent(recallInterval, forKey: .recallInterval)
        try c.encode(evidence, forKey: .evidence)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(className: try c.decode(String.self, forKey: .className),
                  precision: try c.decodeIfPresent(Double.self, forKey: .precision) ?? 0,
                  recall: try c.decodeIfPresent(Double.self, forKey: .recall) ?? 0,
                  f1: try c.decodeIfPresent(Double.self, forKey: .f1) ?? 0,
                  support: try c.decode(Int.self, forKey: .support), predicted: try c.decode(Int.self, forKey: .predicted),
                  precisionInterval: try c.decodeIfPresent(Interval.self, forKey: .precisionInterval),
                  recallInterval: try c.decodeIfPresent(Interval.self, forKey: .recallInterval),
                  evidence: try c.decode(Severity.self, forKey: .evidence))
    }
}

extension EvaluationReport.Metrics {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(definedAccuracy, forKey: .accuracy)
        try c.encodeIfPresent(accuracyInterval, forKey: .accuracyInterval)
        try c.encode(defined(macro), forKey: .macro)
        try c.encode(defined(micro), forKey: .micro)
        try c.encode(defined(weighted), forKey: .weighted)
        try c.encode(perClass, forKey: .perClass)
        if !thresholdSweep.isEmpty { try c.encode(thresholdSweep, forKey: .thresholdSweep) }
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        let zero = AveragedMetrics(precision: 0, recall: 0, f1: 0)
        self.init(accuracy: try c.decodeIfPresent(Double.self, forKey: .accuracy) ?? 0,
                  accuracyInterval: try c.decodeIfPresent(Interval.self, forKey: .accuracyInterval),
                  macro: try c.decodeIfPresent(AveragedMetrics.self, forKey: .macro) ?? zero,
                  micro: try c.decodeIfPresent(AveragedMetrics.self, forKey: .micro) ?? zero,
                  weighted: try c.decodeIfPresent(AveragedMetrics.self, forKey: .weighted) ?? zero,
                  perClass: try c.decode([EvaluationReport.ClassRow].self, forKey: .perClass))
        thresholdSweep = try c.decodeIfPresent([ThresholdSweepSummary].self, forKey: .thresholdSweep) ?? []
    }
}

extension DetectionMetrics {
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(images, forKey: .images)
        try c.encode(Dictionary(uniqueKeysWithValues: coco.keys.map { ($0, defined($0)) }), forKey: .coco)
        try c.encodeIfPresent(mapInterval, forKey: .mapInterval)
        try c.encode(perClass, forKey: .perClass)
        try c.encode(iouThreshold, forKey: .iouThreshold)
        try c.encode(scoreThreshold, forKey: .scoreThreshold)
        try c.encode(confusion, forKey: .confusion)
        try c.encode(thresholdSweep, forKey: .thresholdSweep)
        try c.encode(errorTaxonomy, forKey: .errorTaxonomy)
        try c.encodeIfPresent(calibration, forKey: .calibration)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        images = try c.decode(Int.self, forKey: .images)
        coco = try c.decode([String: Double?].self, forKey: .coco).mapValues { $0 ?? -1 }
        mapInterval = try c.decodeIfPresent(Interval.self, forKey: .mapInterval)
        perClass = try c.decode([DetectionEvaluation.ClassRow].self, forKey: .perClass)
        iouThreshold = try c.decode(Double.self, forKey: .iouThreshold)
        scoreThreshold = try c.decode(Double.self, forKey: .scoreThreshold)
        confusion = try c.decode([[Int]].self, forKey: .confusion)
        // Reports stored before the sweep existed have none.
        thresholdSweep = try c.decodeIfPresent([ThresholdSweepSummary].self, forKey: .thresholdSweep) ?? []
        errorTaxonomy = try c.decodeIfPresent(ErrorTaxonomy.self, forKey: .errorTaxonomy)
        // Reports stored before the calibration existed have none.
        calibration = try c.decodeIfPresent(DetectionCalibrationReport.self, forKey: .calibration)
    }
}
