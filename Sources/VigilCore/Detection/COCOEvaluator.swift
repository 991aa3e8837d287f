import Foundation

/// A ground-truth box in COCO's bbox convention.
public struct COCOGroundTruth: Sendable {
    public var imageID: Int
    public var categoryID: Int
    /// `[x, y, w, h]` in pixels.
    public var bbox: (Double, Double, Double, Double)
    /// The area used for COCO's area ranges: the annotation's `area` when given, else w·h.
    public var area: Double
    public var isCrowd: Bool

    public init(imageID: Int, categoryID: Int, bbox: (Double, Double, Double, Double), area: Double? = nil, isCrowd: Bool = false) {
        self.imageID = imageID
        self.categoryID = categoryID
        self.bbox = bbox
        self.area = area ?? bbox.2 * bbox.3
        self.isCrowd = isCrowd
    }
}

/// A detection in COCO's results convention; its area is always w·h (as `loadRes` sets it).
public struct COCODetection: Sendable {
    public var imageID: Int
    public var categoryID: Int
    public var bbox: (Double, Double, Double, Double)
    public var score: Double

    public init(imageID: Int, categoryID: Int, bbox: (Double, Double, Double, Double), score: Double) {
        self.imageID = imageID
        self.categoryID = categoryID
        self.bbox = bbox
        self.score = score
    }
}

/// COCO's bbox evaluation, number for number as pycocotools' `COCOeval` (`evaluate`,
/// `accumulate`, `summarize`): IoU thresholds .50:.05:.95, 101 recall points, maxDets 1/10/100,
/// area ranges all/small/medium/large, stable score sorting, greedy matching, −1 for undefined.
/// The conventions are written down in `docs/statistics.md`.
///
/// ```swift
/// let result = COCOEvaluator().evaluate(imageIDs: [1, 2], categoryIDs: [1], groundTruth: gts, detections: dts)
/// result.stats[0]   // AP@[.50:.95]
/// ```
public struct COCOEvaluator: Sendable {
    /// IoU thresholds, as `np.linspace(.5, .95, 10)` computes them.
    public static let iouThresholds: [Double] = linspace(0.5, 0.95, 10)
    /// Recall points, as `np.linspace(0, 1, 101)`.
    public static let recallThresholds: [Double] = linspace(0, 1, 101)
    public static let maxDetections = [1, 10, 100]
    /// `[all, small, medium, large]`, bounds inclusive at both ends as in pycocotools.
    public static let areaRanges: [(Double, Double)] = [(0, 1e10), (0, 1024), (1024, 9216), (9216, 1e10)]

    public init() {}

    static func linspace(_ start: Double, _ stop: Double, _ n: Int) -> [Double] {
        let step = (stop - start) / Double(n - 1)
        var out = (0..<n).map { Double($0) * step + start }
        out[n - 1] = stop
        return out
    }

    /// The result: `precision[t][r][k][a][m]` and `recall[t][k][a][m]` flattened, and the 12 stats.
    public struct Result: Sendable {
        public var categoryIDs: [Int]
        /// T×R×K×A×M, −1 where undefined.
        public var precision: [Double]
        /// T×K×A×M, −1 where undefined.
        public var recall: [Double]
        /// AP, AP50, AP75, AP small/medium/large, AR1, AR10, AR100, AR small/medium/large.
        public var stats: [Double]

        let T = COCOEvaluator.iouThresholds.count, R = COCOEvaluator.recallThresholds.count, A = 4, M = 3
        var K: Int { categoryIDs.count }

        public func precision(t: Int, r: Int, k: Int, a: Int, m: Int) -> Double { precision[(((t * R + r) * K + k) * A + a) * M + m] }
        public func recall(t: Int, k: Int, a: Int, m: Int) -> Double { recall[((t * K + k) * A + a) * M + m] }

        /// Mean of the defined precision entries of category index `k` (area all, maxDets 100),
        /// over all IoU thresholds or only `t`; −1 when none is defined.
        public func averagePrecision(k: Int, t: Int? = nil) -> Double {
            var sum = 0.0, n = 0
            for ti in t.map({ [$0] }) ?? Array(0..<T) {
                for r in 0..<R {
                    let v = precision(t: ti, r: r, k: k, a: 0, m: 2)
                    if v > -1 { sum += v; n += 1 }
                }
            }
            return n == 0 ? -1 : sum / Double(n)
        }
    }

    /// Evaluates `detections` against `groundTruth` over `imageIDs` and `categoryIDs` (both as
    /// pycocotools takes them from the ground-truth file; other ids are not evaluated).
    public func evaluate(imageIDs: [Int], categoryIDs: [Int], groundTruth: [COCOGroundTruth], detections: [COCODetection]) -> Result {
        accumulate(prepare(imageIDs: imageIDs, categoryIDs: categoryIDs, groundTruth: groundTruth, detections: detections))
    }

    /// Per-image matching done once (pycocotools' `evaluate`), ready to accumulate, or to
    /// re-accumulate over bootstrap resamples of the images.
    public struct Prepared: Sendable {
        var categories: [Int]
        var imageCount: Int
        /// `evaluations[k * imageCount + i]`; nil where the image has neither ground truth nor
        /// detections of the category (pycocotools' `None`).
        var evaluations: [ImageEvaluation?]
    }

    /// Accumulates and summarises all of a prepared evaluation.
    public func accumulate(_ prepared: Prepared) -> Result {
        accumulate(categories: prepared.categories, images: prepared.imageCount, evaluations: prepared.evaluations)
    }
}
