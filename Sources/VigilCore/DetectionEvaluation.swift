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
        public var evidence: Severity

        enum CodingKeys: String, CodingKey {
            case className = "class"
            case ap, ap50, evidence
            case groundTruthBoxes = "ground_truth_boxes"
            case predictedBoxes = "predicted_boxes"
        }
    }

    /// The names of ``stats``, in order.
    public static let statNames = ["AP", "AP50", "AP75", "AP_small", "AP_medium", "AP_large",
                                   "AR1", "AR10", "AR100", "AR_small", "AR_medium", "AR_large"]

    public var images: Int
    /// COCO's 12 statistics (−1 where undefined), named by ``statNames``.
    public var stats: [Double]
    public var perClass: [ClassRow]
    public var findings: [Finding]
    public var status: EvaluationStatus

    enum CodingKeys: String, CodingKey {
        case images, stats, findings, status
        case perClass = "per_class"
    }

    /// Evaluates `images` under `policy` (its classes are the categories, in order).
    public init(images: [Image], policy: Policy) {
        var gts: [COCOGroundTruth] = []
        var dts: [COCODetection] = []
        var gtCount = [Int](repeating: 0, count: policy.classes.count)
        var dtCount = [Int](repeating: 0, count: policy.classes.count)
        for (i, image) in images.enumerated() {
            for b in image.groundTruth where b.labelIndex >= 0 && b.labelIndex < policy.classes.count {
                gts.append(COCOGroundTruth(imageID: i + 1, categoryID: b.labelIndex + 1, bbox: b.bbox, area: b.area))
                gtCount[b.labelIndex] += 1
            }
            for b in image.predicted where b.labelIndex >= 0 && b.labelIndex < policy.classes.count {
                dts.append(COCODetection(imageID: i + 1, categoryID: b.labelIndex + 1, bbox: b.bbox, score: b.score ?? 0))
                dtCount[b.labelIndex] += 1
            }
        }
        let minimum = policy.evaluation.minReviewedPerClass
        // Images are numbered 1… in the order given, categories are class index + 1.
        let result = COCOEvaluator().evaluate(imageIDs: images.indices.map { $0 + 1 }, categoryIDs: policy.classes.indices.map { $0 + 1 },
                                              groundTruth: gts, detections: dts)
        self.images = images.count
        stats = result.stats
        perClass = policy.classes.indices.map { k in
            ClassRow(className: policy.classes[k], ap: result.averagePrecision(k: k), ap50: result.averagePrecision(k: k, t: 0),
                     groundTruthBoxes: gtCount[k], predictedBoxes: dtCount[k],
                     evidence: gtCount[k] >= minimum ? .ok : .insufficientEvidence)
        }
        let totalBoxes = gtCount.reduce(0, +)
        var findings: [Finding] = []
        for t in policy.thresholds {
            guard let metric = MetricName(rawValue: t.metric), metric.task == .detection else { continue }
            if metric.isPerClass {
                for row in perClass where t.classSelector == "*" || t.classSelector == row.className {
                    let value = metric == .ap ? row.ap : row.ap50
                    let rule = "\(metric.rawValue)[\(row.className)]"
                    if row.groundTruthBoxes < minimum || value < 0 {
                        findings.append(Finding(rule: rule, metric: metric.rawValue, className: row.className, severity: .insufficientEvidence,
                                                value: nil, interval: nil, warning: t.warning, critical: t.critical, evidence: row.groundTruthBoxes,
                                                message: "\(metric.rawValue) of '\(row.className)': insufficient evidence (\(row.groundTruthBoxes) ground-truth boxes, at least \(minimum) needed)"))
                    } else {
                        findings.append(ClassificationEvaluation.judged(rule: rule, metric: metric.rawValue, className: row.className, value: value,
                                                                         interval: nil, t, evidence: row.groundTruthBoxes, confidence: policy.evaluation.confidence,
                                                                         label: "\(metric.rawValue) of '\(row.className)'"))
                    }
                }
            } else {
                let value = metric == .map ? stats[0] : metric == .map50 ? stats[1] : stats[2]
                if totalBoxes < minimum || value < 0 {
                    findings.append(Finding(rule: metric.rawValue, metric: metric.rawValue, className: nil, severity: .insufficientEvidence,
                                            value: nil, interval: nil, warning: t.warning, critical: t.critical, evidence: totalBoxes,
                                            message: "\(metric.rawValue): insufficient evidence (\(totalBoxes) ground-truth boxes, at least \(minimum) needed)"))
                } else {
                    findings.append(ClassificationEvaluation.judged(rule: metric.rawValue, metric: metric.rawValue, className: nil, value: value,
                                                                     interval: nil, t, evidence: totalBoxes, confidence: policy.evaluation.confidence,
                                                                     label: metric.rawValue))
                }
            }
        }
        self.findings = findings
        status = EvaluationStatus.summarising(findings, labeled: totalBoxes)
    }
}
