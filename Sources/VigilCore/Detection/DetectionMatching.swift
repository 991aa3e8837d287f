/// Precision, recall and F1 of a detector at one operating point (an IoU threshold and a
/// score threshold), and the detection confusion table — the numbers a person acts on, beside
/// COCO's threshold-free AP.
///
/// Matching follows COCO's greedy rule: detections at or above the score threshold, best score
/// first (stable for ties), each takes the unmatched ground truth with the highest IoU ≥ the
/// threshold. Per class for precision/recall; across classes for the confusion table, so a
/// box found in the right place with the wrong class is a confusion, not a miss.
///
/// Crowd regions (`iscrowd`) are ignored as COCO ignores them: never a miss, and a detection
/// that matches no ordinary box but covers a crowd region (intersection / detection area ≥ the
/// threshold; of the same class for the per-class counts) is neither a true nor a false positive.
public struct DetectionOperatingPoint: Sendable, Equatable, Codable {
    public struct ClassCounts: Sendable, Equatable, Codable {
        public var truePositives = 0
        public var falsePositives = 0
        public var falseNegatives = 0

        public var precision: Double { ratio(truePositives, truePositives + falsePositives) }
        public var recall: Double { ratio(truePositives, truePositives + falseNegatives) }
        /// 2·tp / (2·tp + fp + fn), 0 when undefined.
        public var f1: Double { ratio(2 * truePositives, 2 * truePositives + falsePositives + falseNegatives) }

        func ratio(_ a: Int, _ b: Int) -> Double { b == 0 ? 0 : Double(a) / Double(b) }

        enum CodingKeys: String, CodingKey {
            case truePositives = "tp", falsePositives = "fp", falseNegatives = "fn"
        }
    }

    public var iouThreshold: Double
    public var scoreThreshold: Double
    /// Per class, in class order.
    public var perClass: [ClassCounts]
    /// `(K+1)×(K+1)`, row-major: rows ground-truth class, columns predicted class; index K is
    /// background (row K: false detections of nothing; column K: missed ground truth).
    public var confusion: [[Int]]

    enum CodingKeys: String, CodingKey {
        case iouThreshold = "iou_threshold", scoreThreshold = "score_threshold", perClass = "per_class", confusion
    }

    /// Matches `images` (boxes with class indices below `classCount`) at the thresholds.
    public init(images: [DetectionEvaluation.Image], classCount K: Int, iouThreshold: Double, scoreThreshold: Double) {
        self.iouThreshold = iouThreshold
        self.scoreThreshold = scoreThreshold
        var perClass = [ClassCounts](repeating: ClassCounts(), count: K)
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: K + 1), count: K + 1)
        for image in images {
            let all = image.groundTruth.filter { $0.labelIndex >= 0 && $0.labelIndex < K }
            let gts = all.filter { !$0.isCrowd }
            let crowds = all.filter(\.isCrowd)
            let dets = image.predicted.enumerated()
                .filter { $0.element.labelIndex >= 0 && $0.element.labelIndex < K && ($0.element.score ?? 0) >= scoreThreshold }
                .sorted { a, b in
                    let (sa, sb) = (a.element.score ?? 0, b.element.score ?? 0)
                    return sa != sb ? sa > sb : a.offset < b.offset
                }.map(\.element)
            let ious = COCOEvaluator.iou(dets.map(\.bbox), gts.map(\.bbox), gts.map { _ in false })
            let crowdIoUs = COCOEvaluator.iou(dets.map(\.bbox), crowds.map(\.bbox), crowds.map { _ in true })
            func inCrowd(_ d: Int, sameClassAs label: Int?) -> Bool {
                crowds.indices.contains { c in
                    crowdIoUs[d * crowds.count + c] >= iouThreshold && (label == nil || crowds[c].labelIndex == label)
                }
            }
            // Per class.
            var taken = [Bool](repeating: false, count: gts.count)
            for (d, det) in dets.enumerated() {
                if let g = Self.bestMatch(d, ious, gts.count, taken, iouThreshold, where: { gts[$0].labelIndex == det.labelIndex }) {
                    taken[g] = true
                    perClass[det.labelIndex].truePositives += 1
                } else if !inCrowd(d, sameClassAs: det.labelIndex) {
                    perClass[det.labelIndex].falsePositives += 1
                }
            }
            for (g, gt) in gts.enumerated() where !taken[g] { perClass[gt.labelIndex].falseNegatives += 1 }
            // Across classes.
            var used = [Bool](repeating: false, count: gts.count)
            for (d, det) in dets.enumerated() {
                if let g = Self.bestMatch(d, ious, gts.count, used, iouThreshold, where: { _ in true }) {
                    used[g] = true
                    confusion[gts[g].labelIndex][det.labelIndex] += 1
                } else if !inCrowd(d, sameClassAs: nil) {
                    confusion[K][det.labelIndex] += 1
                }
            }
            for (g, gt) in gts.enumerated() where !used[g] { confusion[gt.labelIndex][K] += 1 }
        }
        self.perClass = perClass
        self.confusion = confusion
    }

    /// The unmatched ground truth (among `allowed`) with the highest IoU ≥ `threshold`; on a tie the later one, as COCO.
    static func bestMatch(_ d: Int, _ ious: [Double], _ G: Int, _ taken: [Bool], _ threshold: Double,
                          where allowed: (Int) -> Bool) -> Int? {
        var best = threshold
        var match: Int?
        for g in 0..<G where !taken[g] && allowed(g) {
            let v = ious[d * G + g]
            if v >= best { best = v; match = g }
        }
        return match
    }
}
