/// A detector's evaluation over a window: COCO's 12 statistics and per-class AP (exactly as
/// pycocotools computes them, via ``COCOEvaluator``), and the findings of the policy's
/// thresholds on `map`, `map50`, `map75` (whole model) and `ap`, `ap50` (per class).
///
/// Evidence: a class with fewer ground-truth boxes than `min_reviewed_per_class` is
/// `insufficient-evidence` for its AP; the model-wide metrics need that many boxes in all.
public struct DetectionEvaluation: Sendable, Equatable, Codable {
    /// One reviewed image: the model's boxes and the ground truth.
    public struct Image: Sendable {
        public var predicted: [DetectionBox]
        public var groundTruth: [DetectionBox]
        public init(predicted: [DetectionBox], groundTruth: [DetectionBox]) {
            self.predicted = predicted
            self.groundTruth = groundTruth
        }
    }

    public struct ClassRow: Sendable, Equatable, Codable {
        public var className: String
        /// AP@[.50:.95]; −1 when undefined (no ground truth of the class).
        public var ap: Double
        public var ap50: Double
        public var groundTruthBoxes: Int
        public var predictedBoxes: Int
        /// At the policy's IoU and score thresholds.
        public var precision: Double
        public var recall: Double
        public var f1: Double
        public var counts: DetectionOperatingPoint.ClassCounts
        public var precisionInterval: Interval?
        public var recallInterval: Interval?
        public var evidence: Severity

        enum CodingKeys: String, CodingKey {
            case className = "class"
            case ap, ap50, evidence, precision, recall, f1, counts
            case groundTruthBoxes = "ground_truth_boxes"
            case predictedBoxes = "predicted_boxes"
            case precisionInterval = "precision_interval"
            case recallInterval = "recall_interval"
        }
    }

    /// The names of ``stats``, in order.
    public static let statNames = ["AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large",
                                   "AR1", "AR10", "AR100", "AR_small", "AR_medium", "AR_large"]

    public var images: Int
    /// COCO's 12 statistics (−1 where undefined), named by ``statNames``.
    public var stats: [Double]
    /// Seeded bootstrap interval (resampling images) on AP@[.50:.95]; `nil` without images or resamples.
    public var mapInterval: Interval?
    public var perClass: [ClassRow]
    /// Counts at the policy's IoU and score thresholds, and the confusion table.
    public var operatingPoint: DetectionOperatingPoint
    /// Precision, recall and F1 against the score threshold at the policy's IoU: all classes
    /// together first, then each class (``ThresholdSweepSummary``).
    public var thresholdSweep: [ThresholdSweepSummary]
    /// Every box matched at the policy's IoU with no score cut, per class: what the operating
    /// point, the sweep and the calibration are made from, matched once (not part of the JSON).
    public var scoredMatches: [ScoredMatches] = []
    public var findings: [Finding]
    public var status: EvaluationStatus

    enum CodingKeys: String, CodingKey {
        case images, stats, findings, status
        case perClass = "per_class"
        case operatingPoint = "operating_point"
        case mapInterval = "map_interval"
        case thresholdSweep = "threshold_sweep"
    }

    /// Evaluates `images` under `policy` (its classes are the categories, in order).
    public init(images: [Image], policy: Policy) {
        var gts: [COCOGroundTruth] = []
        var dts: [COCODetection] = []
        var gtCount = [Int](repeating: 0, count: policy.classes.count)
        var dtCount = [Int](repeating: 0, count: policy.classes.count)
        for (i, image) in images.enumerated() {
            for b in image.groundTruth where b.labelIndex >= 0 && b.labelIndex < policy.classes.count {
                gts.append(COCOGroundTruth(imageID: i + 1, categoryID: b.labelIndex + 1, bbox: b.bbox, area: b.area, isCrowd: b.isCrowd))
                if !b.isCrowd { gtCount[b.labelIndex] += 1 }  // a crowd region is not evidence about one object
            }
            for b in image.predicted where b.labelIndex >= 0 && b.labelIndex < policy.classes.count {
                dts.append(COCODetection(imageID: i + 1, categoryID: b.labelIndex + 1, bbox: b.bbox, score: b.score ?? 0))
                dtCount[b.labelIndex] += 1
            }
        }
        let minimum = policy.evaluation.minReviewedPerClass
        // Images are numbered 1… in the order given, categories are class index + 1.
        let coco = COCOEvaluator()
        let prepared = coco.prepare(imageIDs: images.indices.map { $0 + 1 }, categoryIDs: policy.classes.indices.map { $0 + 1 },
                                    groundTruth: gts, detections: dts)
        let result = coco.accumulate(prepared)
        mapInterval = coco.bootstrapMAP(prepared, resamples: policy.evaluation.bootstrapResamples, seed: policy.evaluation.bootstrapSeed,
                                        confidence: policy.evaluation.confidence)
        self.images = images.count
        stats = result.stats
        let matches = DetectionOperatingPoint.scoredMatches(images: images, classCount: policy.classes.count, iouThreshold: policy.evaluation.iouThreshold)
        scoredMatches = matches
        let point = DetectionOperatingPoint(images: images, classCount: policy.classes.count, iouThreshold: policy.evaluation.iouThreshold,
                                            scoreThreshold: policy.evaluation.scoreThreshold, matches: matches)
        operatingPoint = point
        let confidence = policy.evaluation.confidence
        thresholdSweep = Self.sweeps(matches, policy: policy)
        perClass = policy.classes.indices.map { k in
            let c = point.perClass[k]
            return ClassRow(className: policy.classes[k], ap: result.averagePrecision(k: k), ap50: result.averagePrecision(k: k, t: 0),
                            groundTruthBoxes: gtCount[k], predictedBoxes: dtCount[k],
                            precision: c.precision, recall: c.recall, f1: c.f1, counts: c,
                            precisionInterval: WilsonInterval.interval(successes: c.truePositives, trials: c.truePositives + c.falsePositives, confidence: confidence),
                            recallInterval: WilsonInterval.interval(successes: c.truePositives, trials: c.truePositives + c.falseNegatives, confidence: confidence),
                            evidence: gtCount[k] >= minimum ? .ok : .insufficientEvidence)
        }
        let totalBoxes = gtCount.reduce(0, +)
        var pending = PendingFindings()
        func test(_ rule: String, _ metric: MetricName, _ name: String?, _ t: Threshold, family: Int, evidence: Int, _ reading: MetricReading) {
            pending.decide(ThresholdTest(rule: rule, metric: metric.rawValue, className: name, label: name.map { "\(metric.rawValue) of '\($0)'" } ?? metric.rawValue,
                                         evidence: evidence, threshold: t, family: family, current: reading))
        }
        for (family, t) in policy.thresholds.enumerated() {
            guard let metric = MetricName(rawValue: t.metric), metric.tasks.contains(.detection) else { continue }
            if metric.isPerClass {
                for row in perClass where t.classSelector == "*" || t.classSelector == row.className {
                    let predicted = row.counts.truePositives + row.counts.falsePositives
                    let reading: MetricReading = switch metric {
                    case .ap: MetricReading(value: row.ap, interval: nil)
                    case .ap50: MetricReading(value: row.ap50, interval: nil)
                    case .precision: MetricReading(value: row.precision, interval: row.precisionInterval, successes: row.counts.truePositives, trials: predicted)
                    case .recall: MetricReading(value: row.recall, interval: row.recallInterval, successes: row.counts.truePositives,
                                                trials: row.counts.truePositives + row.counts.falseNegatives)
                    default: MetricReading(value: row.f1, interval: nil)
                    }
                    let rule = "\(metric.rawValue)[\(row.className)]"
                    if row.groundTruthBoxes < minimum || reading.value < 0 || (metric == .precision && predicted < minimum) {
                        pending.settle(Finding(rule: rule, metric: metric.rawValue, className: row.className, severity: .insufficientEvidence,
                                                value: nil, interval: nil, warning: t.warning, critical: t.critical, evidence: row.groundTruthBoxes,
                                                message: "\(metric.rawValue) of '\(row.className)': insufficient evidence (\(row.groundTruthBoxes) ground-truth boxes, at least \(minimum) needed)"))
                    } else {
                        test(rule, metric, row.className, t, family: family, evidence: metric == .precision ? predicted : row.groundTruthBoxes, reading)
                    }
                }
            } else {
                let value = metric == .map ? stats[0] : metric == .map50 ? stats[1] : stats[2]
                if totalBoxes < minimum || value < 0 {
                    pending.settle(Finding(rule: metric.rawValue, metric: metric.rawValue, className: nil, severity: .insufficientEvidence,
                                            value: nil, interval: nil, warning: t.warning, critical: t.critical, evidence: totalBoxes,
                                            message: "\(metric.rawValue): insufficient evidence (\(totalBoxes) ground-truth boxes, at least \(minimum) needed)"))
                } else {
                    test(metric.rawValue, metric, nil, t, family: family, evidence: totalBoxes,
                         MetricReading(value: value, interval: metric == .map ? mapInterval : nil))
                }
            }
        }
        let findings = pending.findings(confidence: policy.evaluation.confidence)
        self.findings = findings
        status = EvaluationStatus.summarising(findings, labeled: totalBoxes)
    }
}

extension DetectionEvaluation {
    /// The threshold sweep of all classes together, then of each class, at the policy's IoU.
    static func sweeps(_ matches: [ScoredMatches], policy: Policy) -> [ThresholdSweepSummary] {
        let e = policy.evaluation
        let all = ThresholdSweep(scores: matches.flatMap(\.scores), correct: matches.flatMap(\.correct), positives: matches.map(\.groundTruth).reduce(0, +))
        return [ThresholdSweepSummary(all, className: nil, scoreThreshold: e.scoreThreshold, confidence: e.confidence)]
            + zip(policy.classes, matches).map { name, m in
                ThresholdSweepSummary(ThresholdSweep(scores: m.scores, correct: m.correct, positives: m.groundTruth),
                                      className: name, scoreThreshold: e.scoreThreshold, confidence: e.confidence)
            }
    }
}
