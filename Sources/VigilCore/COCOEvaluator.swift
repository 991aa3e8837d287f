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

    /// One image × category × area range: what `evaluateImg` returns.
    struct ImageEvaluation: Sendable {
        /// Scores of the kept detections, best first.
        var scores: [Double]
        /// `matched[t * D + d]`, `ignored[t * D + d]`.
        var matched: [Bool]
        var ignored: [Bool]
        /// Ground truth not ignored in this area range.
        var relevantGroundTruth: Int
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
        var evaluations: [ImageEvaluation?]
    }

    /// A seeded percentile-bootstrap interval on AP@[.50:.95], resampling images with
    /// replacement (`resamples` times, at level `confidence`); `nil` without images.
    ///
    /// Each resample is evaluated as COCO would evaluate a dataset holding each drawn image as
    /// often as it was drawn, the copies numbered next to each other in the original order
    /// (area all, maxDets 100). The pooled score order is computed once; a resample only
    /// walks it with multiplicities, so 200 resamples cost about as much as one evaluation.
    public func bootstrapMAP(_ prepared: Prepared, resamples: Int, seed: UInt64, confidence: Double) -> Interval? {
        let n = prepared.imageCount
        guard n > 0, resamples > 0 else { return nil }
        let pools = BootstrapPools(prepared)
        // Draw every resample first, in order, from one seeded stream; then evaluate them on
        // all cores. The result does not depend on how the work is scheduled.
        var rng = SplitMix64(seed: seed)
        let samples: [[Int]] = (0..<resamples).map { _ in
            var counts = [Int](repeating: 0, count: n)
            for _ in 0..<n { counts[Int(rng.next() % UInt64(n))] += 1 }
            return counts
        }
        let results = UnsafeMutableBufferPointer<Double>.allocate(capacity: resamples)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: resamples) { r in out[r] = pools.averagePrecision(counts: samples[r]) }
        return Interval.percentile(of: Array(results).filter { $0 > -1 }, confidence: confidence)
    }

    /// Every kept detection of each category (area all) in pooled order — score, then image,
    /// then rank — with one bit per IoU threshold, for fast re-accumulation over image counts.
    struct BootstrapPools: Sendable {
        struct Entry: Sendable { var image: Int32; var matched: UInt16; var ignored: UInt16 }
        var pools: [[Entry]] = []
        var relevant: [[Int]] = []
        var present: [[Bool]] = []

        init(_ prepared: Prepared) {
            let n = prepared.imageCount, A = COCOEvaluator.areaRanges.count
            let T = COCOEvaluator.iouThresholds.count, maxDet = COCOEvaluator.maxDetections.last!
            for k in 0..<prepared.categories.count {
                var pool: [(score: Double, entry: Entry)] = []
                var rel = [Int](repeating: 0, count: n)
                var has = [Bool](repeating: false, count: n)
                for i in 0..<n {
                    guard let ev = prepared.evaluations[(k * A) * n + i] else { continue }
                    has[i] = true
                    rel[i] = ev.relevantGroundTruth
                    let D = ev.scores.count
                    for d in 0..<min(maxDet, D) {
                        var e = Entry(image: Int32(i), matched: 0, ignored: 0)
                        for t in 0..<T {
                            if ev.matched[t * D + d] { e.matched |= 1 << t }
                            if ev.ignored[t * D + d] { e.ignored |= 1 << t }
                        }
                        pool.append((ev.scores[d], e))
                    }
                }
                pools.append(pool.enumerated().sorted { x, y in
                    x.element.score != y.element.score ? x.element.score > y.element.score : x.offset < y.offset
                }.map(\.element.entry))
                relevant.append(rel)
                present.append(has)
            }
        }

        /// AP@[.50:.95] (area all, maxDets 100) with image `i` present `counts[i]` times; −1 when undefined.
        func averagePrecision(counts: [Int]) -> Double {
            let T = COCOEvaluator.iouThresholds.count
            let thresholds = COCOEvaluator.recallThresholds
            var sum = 0.0, defined = 0
            return counts.withUnsafeBufferPointer { counts in
                for k in pools.indices {
                    var npig = 0, any = false
                    present[k].withUnsafeBufferPointer { present in
                        relevant[k].withUnsafeBufferPointer { relevant in
                            for i in 0..<counts.count where counts[i] > 0 && present[i] { any = true; npig += counts[i] * relevant[i] }
                        }
                    }
                    guard any, npig > 0 else { continue }
                    pools[k].withUnsafeBufferPointer { pool in
                        var length = 0
                        for e in pool { length += counts[Int(e.image)] }
                        let pr = UnsafeMutablePointer<Double>.allocate(capacity: max(1, length))
                        let rc = UnsafeMutablePointer<Double>.allocate(capacity: max(1, length))
                        defer { pr.deallocate(); rc.deallocate() }
                        let relevantCount = Double(npig)
                        for t in 0..<T {
                            let bit: UInt16 = 1 << t
                            var tp = 0.0, fp = 0.0, nd = 0
                            for e in pool {
                                let c = counts[Int(e.image)]
                                if c == 0 { continue }
                                let isIgnored = e.ignored & bit != 0, isMatched = e.matched & bit != 0
                                for _ in 0..<c {
                                    if isIgnored { } else if isMatched { tp += 1 } else { fp += 1 }
                                    rc[nd] = tp / relevantCount
                                    pr[nd] = tp / (fp + tp + 2.220446049250313e-16)
                                    nd += 1
                                }
                            }
                            if nd > 1 { for i in stride(from: nd - 1, to: 0, by: -1) where pr[i] > pr[i - 1] { pr[i - 1] = pr[i] } }
                            var pi = 0
                            for thr in thresholds {
                                while pi < nd && rc[pi] < thr { pi += 1 }
                                sum += pi < nd ? pr[pi] : 0
                                defined += 1
                            }
                        }
                    }
                }
                return defined == 0 ? -1 : sum / Double(defined)
            }
        }
    }

    /// Accumulates and summarises all of a prepared evaluation.
    public func accumulate(_ prepared: Prepared) -> Result {
        accumulate(categories: prepared.categories, images: prepared.imageCount, evaluations: prepared.evaluations)
    }

    /// The matching step alone (see ``Prepared``).
    public func prepare(imageIDs: [Int], categoryIDs: [Int], groundTruth: [COCOGroundTruth], detections: [COCODetection]) -> Prepared {
        let images = Array(Set(imageIDs)).sorted()
        let categories = Array(Set(categoryIDs)).sorted()
        let imageIndex = Dictionary(uniqueKeysWithValues: images.enumerated().map { ($1, $0) })
        let categoryIndex = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0) })
        let I = images.count, K = categories.count
        // Group by (category, image), keeping input order (pycocotools' index order).
        var gts = [[Int]](repeating: [], count: I * K)
        var dts = [[Int]](repeating: [], count: I * K)
        for (n, g) in groundTruth.enumerated() {
            guard let i = imageIndex[g.imageID], let k = categoryIndex[g.categoryID] else { continue }
            gts[k * I + i].append(n)
        }
        for (n, d) in detections.enumerated() {
            guard let i = imageIndex[d.imageID], let k = categoryIndex[d.categoryID] else { continue }
            dts[k * I + i].append(n)
        }
        let T = Self.iouThresholds.count, A = Self.areaRanges.count, maxDet = Self.maxDetections.last!
        // evaluations[(k * A + a) * I + i]
        var evaluations = [ImageEvaluation?](repeating: nil, count: K * A * I)
        for k in 0..<K {
            for i in 0..<I {
                let g = gts[k * I + i], dAll = dts[k * I + i]
                if g.isEmpty && dAll.isEmpty { continue }
                // Detections by score, stable; at most maxDet of them.
                // dAll is in input order, so ties on score keep it when the index breaks them.
                let d = Array(dAll.sorted { a, b in
                    let (sa, sb) = (detections[a].score, detections[b].score)
                    return sa != sb ? sa > sb : a < b
                }.prefix(maxDet))
                let dBoxes = d.map { detections[$0] }, gBoxes = g.map { groundTruth[$0] }
                let ious = Self.iou(dBoxes.map(\.bbox), gBoxes.map(\.bbox), gBoxes.map(\.isCrowd))
                for a in 0..<A {
                    evaluations[(k * A + a) * I + i] = Self.evaluateImage(
                        detections: dBoxes, groundTruth: gBoxes, ious: ious, range: Self.areaRanges[a], thresholds: T)
                }
            }
        }
        return Prepared(categories: categories, imageCount: I, evaluations: evaluations)
    }

    /// IoU matrix `D × G` exactly as pycocotools' `bbIou` computes it.
    static func iou(_ d: [(Double, Double, Double, Double)], _ g: [(Double, Double, Double, Double)], _ crowd: [Bool]) -> [Double] {
        var out = [Double](repeating: 0, count: d.count * g.count)
        for (gi, gb) in g.enumerated() {
            let ga = gb.2 * gb.3
            for (di, db) in d.enumerated() {
                let da = db.2 * db.3
                let w = min(db.0 + db.2, gb.0 + gb.2) - max(db.0, gb.0)
                if w <= 0 { continue }
                let h = min(db.1 + db.3, gb.1 + gb.3) - max(db.1, gb.1)
                if h <= 0 { continue }
                let inter = w * h
                let union = crowd[gi] ? da : da + ga - inter
                out[di * g.count + gi] = inter / union
            }
        }
        return out
    }

    static func evaluateImage(detections dt: [COCODetection], groundTruth gtIn: [COCOGroundTruth], ious: [Double],
                              range: (Double, Double), thresholds T: Int) -> ImageEvaluation {
        let G = gtIn.count, D = dt.count
        // Ground truth outside the area range (or crowd) is ignored; ignored ones go last, stably.
        let gtIgnoreIn = gtIn.map { $0.isCrowd || $0.area < range.0 || $0.area > range.1 }
        let order = Array(0..<G).filter { !gtIgnoreIn[$0] } + Array(0..<G).filter { gtIgnoreIn[$0] }
        let gtIgnore = order.map { gtIgnoreIn[$0] }
        let crowd = order.map { gtIn[$0].isCrowd }
        var gtMatched = [Bool](repeating: false, count: T * G)
        var matched = [Bool](repeating: false, count: T * D)
        var ignored = [Bool](repeating: false, count: T * D)
        if G > 0 && D > 0 {
            for t in 0..<T {
                for d in 0..<D {
                    var best = min(Self.iouThresholds[t], 1 - 1e-10)
                    var m = -1
                    for gi in 0..<G {
                        if gtMatched[t * G + gi] && !crowd[gi] { continue }
                        if m > -1 && !gtIgnore[m] && gtIgnore[gi] { break }
                        let v = ious[d * G + order[gi]]
                        if v < best { continue }
                        best = v
                        m = gi
                    }
                    if m == -1 { continue }
                    ignored[t * D + d] = gtIgnore[m]
                    matched[t * D + d] = true
                    gtMatched[t * G + m] = true
                }
            }
        }
        // Unmatched detections outside the area range are ignored too.
        for d in 0..<D {
            let area = dt[d].bbox.2 * dt[d].bbox.3
            if area < range.0 || area > range.1 {
                for t in 0..<T where !matched[t * D + d] { ignored[t * D + d] = true }
            }
        }
        return ImageEvaluation(scores: dt.map(\.score), matched: matched, ignored: ignored,
                               relevantGroundTruth: gtIgnore.filter { !$0 }.count)
    }

    /// pycocotools' `accumulate` and `summarize`.
    func accumulate(categories: [Int], images I: Int, evaluations: [ImageEvaluation?]) -> Result {
        let T = Self.iouThresholds.count, R = Self.recallThresholds.count, K = categories.count, A = 4, M = 3
        var precision = [Double](repeating: -1, count: T * R * K * A * M)
        var recall = [Double](repeating: -1, count: T * K * A * M)
        for k in 0..<K {
            for a in 0..<A {
                let E = (0..<I).compactMap { evaluations[(k * A + a) * I + $0] }
                if E.isEmpty { continue }
                let relevant = E.reduce(0) { $0 + $1.relevantGroundTruth }
                for (m, maxDet) in Self.maxDetections.enumerated() {
                    if relevant == 0 { continue }
                    // All kept detections, concatenated in image order, then stably sorted by score.
                    var pool: [(score: Double, e: Int, d: Int)] = []
                    for (e, ev) in E.enumerated() {
                        for d in 0..<min(maxDet, ev.scores.count) { pool.append((ev.scores[d], e, d)) }
                    }
                    let sorted = pool.indices.sorted { x, y in
                        pool[x].score != pool[y].score ? pool[x].score > pool[y].score : x < y
                    }.map { pool[$0] }
                    // One bit per IoU threshold, gathered once per pool rather than per threshold.
                    var matchedBits = [UInt16](repeating: 0, count: sorted.count)
                    var ignoredBits = [UInt16](repeating: 0, count: sorted.count)
                    for (n, s) in sorted.enumerated() {
                        let D = E[s.e].scores.count
                        E[s.e].matched.withUnsafeBufferPointer { matched in
                            E[s.e].ignored.withUnsafeBufferPointer { ignored in
                                for t in 0..<T {
                                    if matched[t * D + s.d] { matchedBits[n] |= 1 << t }
                                    if ignored[t * D + s.d] { ignoredBits[n] |= 1 << t }
                                }
                            }
                        }
                    }
                    var rc = [Double](repeating: 0, count: sorted.count)
                    var pr = [Double](repeating: 0, count: sorted.count)
                    for t in 0..<T {
                        var tp = 0.0, fp = 0.0
                        let bit: UInt16 = 1 << t
                        for n in 0..<sorted.count {
                            if ignoredBits[n] & bit != 0 { /* neither */ } else if matchedBits[n] & bit != 0 { tp += 1 } else { fp += 1 }
                            rc[n] = tp / Double(relevant)
                            pr[n] = tp / (fp + tp + 2.220446049250313e-16)
                        }
                        let nd = rc.count
                        recall[((t * K + k) * A + a) * M + m] = nd > 0 ? rc[nd - 1] : 0
                        if nd > 1 { for i in stride(from: nd - 1, to: 0, by: -1) where pr[i] > pr[i - 1] { pr[i - 1] = pr[i] } }
                        // searchsorted(rc, recThrs, side='left'); thresholds past the last recall keep 0.
                        var pi = 0
                        for (ri, thr) in Self.recallThresholds.enumerated() {
                            while pi < nd && rc[pi] < thr { pi += 1 }
                            precision[(((t * R + ri) * K + k) * A + a) * M + m] = pi < nd ? pr[pi] : 0
                        }
                    }
                }
            }
        }
        var result = Result(categoryIDs: categories, precision: precision, recall: recall, stats: [])
        func summarize(ap: Bool, iou: Double? = nil, area: Int = 0, maxDet: Int = 100) -> Double {
            let m = Self.maxDetections.firstIndex(of: maxDet)!
            let ts = iou.map { v in Self.iouThresholds.indices.filter { Self.iouThresholds[$0] == v } } ?? Array(0..<T)
            var sum = 0.0, n = 0
            for t in ts {
                for k in 0..<K {
                    if ap {
                        for r in 0..<R {
                            let v = result.precision(t: t, r: r, k: k, a: area, m: m)
                            if v > -1 { sum += v; n += 1 }
                        }
                    } else {
                        let v = result.recall(t: t, k: k, a: area, m: m)
                        if v > -1 { sum += v; n += 1 }
                    }
                }
            }
            return n == 0 ? -1 : sum / Double(n)
        }
        result.stats = [
            summarize(ap: true), summarize(ap: true, iou: 0.5), summarize(ap: true, iou: 0.75),
            summarize(ap: true, area: 1), summarize(ap: true, area: 2), summarize(ap: true, area: 3),
            summarize(ap: false, maxDet: 1), summarize(ap: false, maxDet: 10), summarize(ap: false),
            summarize(ap: false, area: 1), summarize(ap: false, area: 2), summarize(ap: false, area: 3),
        ]
        return result
    }
}
