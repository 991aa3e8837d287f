extension COCOEvaluator {
    /// pycocotools' `accumulate` and `summarize`, with the same floating-point operations on
    /// the values that reach the result, in less work:
    ///
    /// - The pooled detections of a category are sorted once (score, then image, then rank):
    ///   the pool for maxDets 1 or 10 and any area range is that order with the lower-ranked
    ///   detections left out, as a stable sort of the smaller pool would give.
    /// - Recall only changes at a true positive, and precision after a false positive or an
    ///   ignored detection is never above its value at the last true positive (same numerator,
    ///   a denominator at least as large), so pycocotools' right-to-left maximum read at the
    ///   first index reaching each recall point equals the same maximum over true positives
    ///   only. Recall and precision are computed there, with pycocotools' expressions.
    func accumulate(categories: [Int], images I: Int, evaluations: [ImageEvaluation?]) -> Result {
        let T = Self.iouThresholds.count, R = Self.recallThresholds.count, K = categories.count
        let A = Self.areaRanges.count, M = Self.maxDetections.count
        var precision = [Double](repeating: -1, count: T * R * K * A * M)
        var recall = [Double](repeating: -1, count: T * K * A * M)
        let recallThresholds = Self.recallThresholds
        for k in 0..<K {
            let E = (0..<I).compactMap { evaluations[k * I + $0] }
            if E.isEmpty { continue }
            // The pool in image order, then rank; a detection's outcome bits per area range.
            let P = E.reduce(0) { $0 + $1.scores.count }
            var scores = [Double](), ranks = [Int]()
            scores.reserveCapacity(P)
            ranks.reserveCapacity(P)
            var poolMatched = [UInt16](repeating: 0, count: A * P), poolIgnored = [UInt16](repeating: 0, count: A * P)
            for ev in E {
                let D = ev.scores.count, p0 = scores.count
                scores.append(contentsOf: ev.scores)
                ranks.append(contentsOf: 0..<D)
                for a in 0..<A {
                    for d in 0..<D {
                        poolMatched[a * P + p0 + d] = ev.matched[a * D + d]
                        poolIgnored[a * P + p0 + d] = ev.ignored[a * D + d]
                    }
                }
            }
            let order = (0..<P).sorted { x, y in scores[x] != scores[y] ? scores[x] > scores[y] : x < y }
            var matchedBits = [UInt16](repeating: 0, count: P), ignoredBits = [UInt16](repeating: 0, count: P)
            var hitRecall = [Double](repeating: 0, count: P), hitPrecision = [Double](repeating: 0, count: P)
            for a in 0..<A {
                let relevant = E.reduce(0) { $0 + $1.relevant[a] }
                if relevant == 0 { continue }
                for (m, maxDet) in Self.maxDetections.enumerated() {
                    var nd = 0
                    for p in order where ranks[p] < maxDet {
                        matchedBits[nd] = poolMatched[a * P + p]
                        ignoredBits[nd] = poolIgnored[a * P + p]
                        nd += 1
                    }
                    for t in 0..<T {
                        let bit: UInt16 = 1 << t
                        var tp = 0.0, fp = 0.0, hits = 0
                        for n in 0..<nd {
                            if ignoredBits[n] & bit != 0 { continue }
                            if matchedBits[n] & bit != 0 {
                                tp += 1
                                hitRecall[hits] = tp / Double(relevant)
                                hitPrecision[hits] = tp / (fp + tp + 2.220446049250313e-16)
                                hits += 1
                            } else {
                                fp += 1
                            }
                        }
                        recall[((t * K + k) * A + a) * M + m] = nd > 0 ? tp / Double(relevant) : 0
                        if hits > 1 {
                            for i in stride(from: hits - 1, to: 0, by: -1) where hitPrecision[i] > hitPrecision[i - 1] {
                                hitPrecision[i - 1] = hitPrecision[i]
                            }
                        }
                        // searchsorted(rc, recThrs, side='left'); thresholds past the last recall keep 0.
                        var j = 0
                        for ri in 0..<R {
                            while j < hits && hitRecall[j] < recallThresholds[ri] { j += 1 }
                            precision[(((t * R + ri) * K + k) * A + a) * M + m] = j < hits ? hitPrecision[j] : 0
                        }
                    }
                }
            }
        }
        var result = Result(categoryIDs: categories, precision: precision, recall: recall, stats: [])
        result.stats = Self.summarize(result)
        return result
    }

    /// pycocotools' `summarize`: the 12 statistics, each the mean of the defined entries.
    static func summarize(_ result: Result) -> [Double] {
        let T = iouThresholds.count, R = recallThresholds.count, K = result.K
        func mean(ap: Bool, iou: Double? = nil, area: Int = 0, maxDet: Int = 100) -> Double {
            let m = maxDetections.firstIndex(of: maxDet)!
            let ts = iou.map { v in iouThresholds.indices.filter { iouThresholds[$0] == v } } ?? Array(0..<T)
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
        return [
            mean(ap: true), mean(ap: true, iou: 0.5), mean(ap: true, iou: 0.75),
            mean(ap: true, area: 1), mean(ap: true, area: 2), mean(ap: true, area: 3),
            mean(ap: false, maxDet: 1), mean(ap: false, maxDet: 10), mean(ap: false),
            mean(ap: false, area: 1), mean(ap: false, area: 2), mean(ap: false, area: 3),
        ]
    }
}
