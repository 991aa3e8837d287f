extension COCOEvaluator {
    /// One image × category, for all four area ranges: what `evaluateImg` returns for each.
    ///
    /// Per detection and area range one `UInt16` holds a bit per IoU threshold, so the
    /// accumulation reads a detection's ten outcomes in one load.
    struct ImageEvaluation: Sendable {
        /// Scores of the kept detections (at most maxDets), best first.
        var scores: [Double]
        /// `matched[a * D + d]`: bit t set when detection d matched at IoU threshold t in area range a.
        var matched: [UInt16]
        /// `ignored[a * D + d]`: bit t set when detection d is ignored there (matched to ignored
        /// ground truth, or unmatched and outside the area range).
        var ignored: [UInt16]
        /// Ground truth not ignored, per area range.
        var relevant: SIMD4<Int>
    }

    /// The IoU thresholds as the matching compares them: `min(t, 1 − 1e-10)`.
    static let matchingThresholds: [Double] = iouThresholds.map { min($0, 1 - 1e-10) }
    /// The ten threshold bits.
    static let allThresholdBits: UInt16 = (1 << 10) - 1

    /// The matching step alone (see ``Prepared``).
    public func prepare(imageIDs: [Int], categoryIDs: [Int], groundTruth: [COCOGroundTruth], detections: [COCODetection]) -> Prepared {
        let images = Array(Set(imageIDs)).sorted()
        let categories = Array(Set(categoryIDs)).sorted()
        let imageIndex = Dictionary(uniqueKeysWithValues: images.enumerated().map { ($1, $0) })
        let categoryIndex = Dictionary(uniqueKeysWithValues: categories.enumerated().map { ($1, $0) })
        let I = images.count, K = categories.count
        // Group by (category, image), keeping input order (pycocotools' index order).
        let gts = Cells(count: K * I, items: groundTruth) { g in
            guard let i = imageIndex[g.imageID], let k = categoryIndex[g.categoryID] else { return nil }
            return k * I + i
        }
        let dts = Cells(count: K * I, items: detections) { d in
            guard let i = imageIndex[d.imageID], let k = categoryIndex[d.categoryID] else { return nil }
            return k * I + i
        }
        let maxDet = Self.maxDetections.last!
        var evaluations = [ImageEvaluation?](repeating: nil, count: K * I)
        for cell in 0..<(K * I) {
            let g = gts[cell], dAll = dts[cell]
            if g.isEmpty && dAll.isEmpty { continue }
            // Detections by score, stable (the index breaks ties: it is the input order); at most maxDet.
            let d = dAll.sorted { a, b in
                let (sa, sb) = (detections[a].score, detections[b].score)
                return sa != sb ? sa > sb : a < b
            }.prefix(maxDet)
            evaluations[cell] = Self.evaluateImage(detections: d.map { detections[$0] }, groundTruth: g.map { groundTruth[$0] })
        }
        return Prepared(categories: categories, imageCount: I, evaluations: evaluations)
    }

    /// Item indices grouped by cell, in input order (a compressed row layout: one allocation
    /// instead of one array per cell).
    struct Cells {
        private var start: [Int]
        private var items: [Int]

        init<T>(count: Int, items all: [T], cell: (T) -> Int?) {
            let cells = all.map(cell)
            var start = [Int](repeating: 0, count: count + 1)
            for c in cells { if let c { start[c + 1] += 1 } }
            for c in 0..<count { start[c + 1] += start[c] }
            var next = start
            var items = [Int](repeating: 0, count: start[count])
            for (n, c) in cells.enumerated() {
                guard let c else { continue }
                items[next[c]] = n
                next[c] += 1
            }
            self.start = start
            self.items = items
        }

        subscript(cell: Int) -> ArraySlice<Int> { items[start[cell]..<start[cell + 1]] }
    }

    /// IoU matrix `D × G` exactly as pycocotools' `bbIou` computes it (for a crowd region the
    /// union is the detection's own area).
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

    /// pycocotools' `evaluateImg` for one image and category, in each area range: at each IoU
    /// threshold, each detection (best score first) takes the best-overlapping ground truth
    /// still free (crowd regions are never used up), ordinary ground truth before ignored.
    static func evaluateImage(detections dt: [COCODetection], groundTruth gt: [COCOGroundTruth]) -> ImageEvaluation {
        let G = gt.count, D = dt.count
        let ious = iou(dt.map(\.bbox), gt.map(\.bbox), gt.map(\.isCrowd))
        var matched = [UInt16](repeating: 0, count: areaRanges.count * D)
        var ignored = [UInt16](repeating: 0, count: areaRanges.count * D)
        var relevant = SIMD4<Int>()
        let thresholds = matchingThresholds
        // Per area range: ground truth reordered, ignored last (stably); its crowd flags; and
        // which thresholds have used it up (one bit each).
        var order = [Int](repeating: 0, count: G)
        var crowd = [Bool](repeating: false, count: G)
        var used = [UInt16](repeating: 0, count: G)
        for (a, range) in areaRanges.enumerated() {
            func isIgnored(_ j: Int) -> Bool { gt[j].isCrowd || gt[j].area < range.0 || gt[j].area > range.1 }
            var n = 0
            for j in 0..<G where !isIgnored(j) { order[n] = j; n += 1 }
            let kept = n
            for j in 0..<G where isIgnored(j) { order[n] = j; n += 1 }
            relevant[a] = kept
            for gi in 0..<G { crowd[gi] = gt[order[gi]].isCrowd; used[gi] = 0 }
            let row = a * D
            if G > 0 && D > 0 {
                for t in 0..<thresholds.count {
                    let bit: UInt16 = 1 << t
                    for d in 0..<D {
                        var best = thresholds[t]
                        var m = -1
                        for gi in 0..<G {
                            if used[gi] & bit != 0 && !crowd[gi] { continue }
                            // Matched to ordinary ground truth: ignored ground truth cannot win.
                            if m > -1 && m < kept && gi >= kept { break }
                            let v = ious[d * G + order[gi]]
                            if v < best { continue }
                            best = v
                            m = gi
                        }
                        if m == -1 { continue }
                        if m >= kept { ignored[row + d] |= bit }
                        matched[row + d] |= bit
                        used[m] |= bit
                    }
                }
            }
            // Unmatched detections outside the area range are ignored too.
            for d in 0..<D {
                let area = dt[d].bbox.2 * dt[d].bbox.3
                if area < range.0 || area > range.1 { ignored[row + d] |= ~matched[row + d] & allThresholdBits }
            }
        }
        return ImageEvaluation(scores: dt.map(\.score), matched: matched, ignored: ignored, relevant: relevant)
    }
}
