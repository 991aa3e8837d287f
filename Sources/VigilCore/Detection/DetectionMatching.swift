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

    /// Matches `images` (boxes with class indices below `classCount`) at the thresholds. The
    /// per-class counts are ``scoredMatches(images:classCount:iouThreshold:)`` cut at the score
    /// threshold (greedy matching in score order makes a detection's match independent of the cut).
    public init(images: [DetectionEvaluation.Image], classCount K: Int, iouThreshold: Double, scoreThreshold: Double) {
        self.init(images: images, classCount: K, iouThreshold: iouThreshold, scoreThreshold: scoreThreshold,
                  matches: Self.scoredMatches(images: images, classCount: K, iouThreshold: iouThreshold))
    }

    /// The same, from `matches` already made of `images` at `iouThreshold` (an evaluation
    /// matches once for the operating point, the threshold sweep and the calibration).
    init(images: [DetectionEvaluation.Image], classCount K: Int, iouThreshold: Double, scoreThreshold: Double, matches: [ScoredMatches]) {
        self.iouThreshold = iouThreshold
        self.scoreThreshold = scoreThreshold
        perClass = matches.map { m in
            var c = ClassCounts()
            for (score, correct) in zip(m.scores, m.correct) where score >= scoreThreshold {
                if correct { c.truePositives += 1 } else { c.falsePositives += 1 }
            }
            c.falseNegatives = m.groundTruth - c.truePositives
            return c
        }
        var confusion = [[Int]](repeating: [Int](repeating: 0, count: K + 1), count: K + 1)
        for image in images {
            let (gts, crowds, dets) = Self.prepare(image, classCount: K, scoreThreshold: scoreThreshold)
            let ious = COCOEvaluator.iou(dets.map(\.bbox), gts.map(\.bbox), gts.map { _ in false })
            let crowdIoUs = COCOEvaluator.iou(dets.map(\.bbox), crowds.map(\.bbox), crowds.map { _ in true })
            // Across classes.
            var used = [Bool](repeating: false, count: gts.count)
            for (d, det) in dets.enumerated() {
                if let g = Self.bestMatch(d, ious, gts.count, used, iouThreshold, where: { _ in true }) {
                    used[g] = true
                    confusion[gts[g].labelIndex][det.labelIndex] += 1
                } else if !Self.inCrowd(d, crowds, crowdIoUs, iouThreshold, sameClassAs: nil) {
                    confusion[K][det.labelIndex] += 1
                }
            }
            for (g, gt) in gts.enumerated() where !used[g] { confusion[gt.labelIndex][K] += 1 }
        }
        self.confusion = confusion
    }

    /// Per class: every detection scoring at least 0, matched to the ground truth of its class at
    /// `iouThreshold` (score order, COCO's greedy rule), as its score and whether it is a true
    /// positive, leaving out those a crowd region covers; and the class's ground-truth boxes.
    /// The input of the class's ``ThresholdSweep`` and of the box-score calibration.
    public static func scoredMatches(images: [DetectionEvaluation.Image], classCount K: Int, iouThreshold: Double) -> [ScoredMatches] {
        var out = [ScoredMatches](repeating: ScoredMatches(), count: K)
        for (index, image) in images.enumerated() {
            let (gts, crowds, dets) = prepare(image, classCount: K, scoreThreshold: -.infinity)
            let ious = COCOEvaluator.iou(dets.map(\.bbox), gts.map(\.bbox), gts.map { _ in false })
            let crowdIoUs = COCOEvaluator.iou(dets.map(\.bbox), crowds.map(\.bbox), crowds.map { _ in true })
            var taken = [Bool](repeating: false, count: gts.count)
            for (d, det) in dets.enumerated() {
                let k = det.labelIndex
                if let g = bestMatch(d, ious, gts.count, taken, iouThreshold, where: { gts[$0].labelIndex == k }) {
                    taken[g] = true
                    out[k].append(score: det.score ?? 0, correct: true, image: index)
                } else if !inCrowd(d, crowds, crowdIoUs, iouThreshold, sameClassAs: k) {
                    out[k].append(score: det.score ?? 0, correct: false, image: index)
                }
            }
            for gt in gts { out[gt.labelIndex].groundTruth += 1 }
        }
        return out
    }

    /// An image's ordinary ground truth, crowd regions, and detections scoring at least
    /// `scoreThreshold` (a missing score counts as 0), best score first, stable for ties.
    static func prepare(_ image: DetectionEvaluation.Image, classCount K: Int, scoreThreshold: Double)
        -> (gts: [DetectionBox], crowds: [DetectionBox], dets: [DetectionBox]) {
        let all = image.groundTruth.filter { $0.labelIndex >= 0 && $0.labelIndex < K }
        let dets = image.predicted.enumerated()
            .filter { $0.element.labelIndex >= 0 && $0.element.labelIndex < K && ($0.element.score ?? 0) >= scoreThreshold }
            .sorted { a, b in
                let (sa, sb) = (a.element.score ?? 0, b.element.score ?? 0)
                return sa != sb ? sa > sb : a.offset < b.offset
            }.map(\.element)
        return (all.filter { !$0.isCrowd }, all.filter(\.isCrowd), dets)
    }

    /// Whether detection `d` lies in a crowd region (of `label`'s class, or any with nil):
    /// intersection over the detection's area at least `threshold`, as COCO ignores it.
    static func inCrowd(_ d: Int, _ crowds: [DetectionBox], _ crowdIoUs: [Double], _ threshold: Double, sameClassAs label: Int?) -> Bool {
        crowds.indices.contains { c in
            crowdIoUs[d * crowds.count + c] >= threshold && (label == nil || crowds[c].labelIndex == label)
        }
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

/// One class's detections matched at an IoU with no score cut (``DetectionOperatingPoint/scoredMatches(images:classCount:iouThreshold:)``):
/// each detection's score, whether it is a true positive and the index of its image, in image
/// order and, within an image, best score first; and the class's ground-truth boxes.
public struct ScoredMatches: Sendable, Equatable {
    public var scores: [Double] = []
    public var correct: [Bool] = []
    /// The index (in the evaluated images) of each detection's image, non-decreasing.
    public var images: [Int] = []
    public var groundTruth = 0

    public init() {}

    mutating func append(score: Double, correct isCorrect: Bool, image: Int) {
        scores.append(score)
        correct.append(isCorrect)
        images.append(image)
    }
}
