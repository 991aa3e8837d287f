import Foundation

extension COCOEvaluator {
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
        let samples = BootstrapDraws.counts(items: n, resamples: resamples, seed: seed)
        let results = UnsafeMutableBufferPointer<Double>.allocate(capacity: resamples)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: resamples) { r in out[r] = pools.averagePrecision(counts: samples[r]) }
        return Interval.percentile(of: Array(results).filter { $0 > -1 }, confidence: confidence)
    }

    /// AP (area all, maxDets 100) of `prepared` on each resample in `counts` (image `i` drawn
    /// `counts[r][i]` times): over all IoU thresholds, or only threshold index `iouIndex`
    /// (0 is IoU .50: AP50); −1 where undefined. Two evaluations prepared over the same images
    /// and given the same `counts` make a paired bootstrap (the registry gate's test).
    public func resampledAP(_ prepared: Prepared, counts: [[Int]], iouIndex: Int? = nil) -> [Double] {
        guard !counts.isEmpty else { return [] }
        let pools = BootstrapPools(prepared)
        let range = iouIndex.map { $0..<($0 + 1) } ?? 0..<COCOEvaluator.iouThresholds.count
        let results = UnsafeMutableBufferPointer<Double>.allocate(capacity: counts.count)
        defer { results.deallocate() }
        nonisolated(unsafe) let out = results
        DispatchQueue.concurrentPerform(iterations: counts.count) { r in out[r] = pools.averagePrecision(counts: counts[r], thresholds: range) }
        return Array(results)
    }

    /// Every kept detection of each category (area all) in pooled order — score, then image,
    /// then rank — with one bit per IoU threshold, for fast re-accumulation over image counts.
    struct BootstrapPools: Sendable {
        struct Entry: Sendable { var image: Int32; var matched: UInt16; var ignored: UInt16 }
        var pools: [[Entry]] = []
        var relevant: [[Int]] = []
        var present: [[Bool]] = []

        init(_ prepared: Prepared) {
            let n = prepared.imageCount, maxDet = COCOEvaluator.maxDetections.last!
            for k in 0..<prepared.categories.count {
                var pool: [(score: Double, entry: Entry)] = []
                var rel = [Int](repeating: 0, count: n)
                var has = [Bool](repeating: false, count: n)
                for i in 0..<n {
                    guard let ev = prepared.evaluations[k * n + i] else { continue }
                    has[i] = true
                    rel[i] = ev.relevant[0]
                    for d in 0..<min(maxDet, ev.scores.count) {
                        pool.append((ev.scores[d], Entry(image: Int32(i), matched: ev.matched[d], ignored: ev.ignored[d])))
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
        func averagePrecision(counts: [Int], thresholds iou: Range<Int> = 0..<COCOEvaluator.iouThresholds.count) -> Double {
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
                        for t in iou {
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
}
