extension TIDELedger {
    /// Matches and classifies every box of `images` as tidecv's `TIDERun` does at IoU
    /// `foreground` (box mode). Per image, the predictions (score ≥ first, stable; the best
    /// `maxDetections` kept) each take the unmatched same-class ground truth of highest IoU when it
    /// is ≥ `foreground`. A crowd ground truth is tidecv's ignore region: an unmatched prediction of
    /// its class covered more than `foreground` (intersection over the prediction's area) leaves
    /// the AP data, but is still given an error below. Each other prediction gets the first of:
    ///
    /// 1. `bkg` when the image has no (non-crowd) ground truth;
    /// 2. `loc` when its highest IoU with same-class ground truth (matched or not) is in [background, foreground];
    /// 3. `cls` when its highest IoU with ground truth of another class is ≥ foreground;
    /// 4. `dupe` when its highest IoU with matched same-class ground truth is ≥ foreground;
    /// 5. `bkg` when its highest IoU with any ground truth is ≤ background;
    /// 6. `both` otherwise.
    ///
    /// Fixing a `cls` or `loc` error turns the prediction into a true positive (of the ground
    /// truth's class) only if that ground truth is unmatched and this is the best-scored
    /// `cls`/`loc` prediction on it (the first, on a tie); else the prediction is dropped, as are
    /// fixed `dupe`, `bkg` and `both` errors. An unmatched ground truth that no `cls`/`loc` error
    /// could fix is a `miss`; fixing it removes it from the class's ground truth.
    init(images: [DetectionEvaluation.Image], classCount: Int, foreground: Double, background: Double, maxDetections: Int) {
        classes = [TIDEClassData](repeating: TIDEClassData(), count: classCount)
        errors = []
        unmatchedGroundTruth = [Int](repeating: 0, count: classCount)
        for image in images {
            let known = { (b: DetectionBox) in b.labelIndex >= 0 && b.labelIndex < classCount }
            let truth = image.groundTruth.filter { known($0) && !$0.isCrowd }
            let ignoreRegions = image.groundTruth.filter { known($0) && $0.isCrowd }
            let predicted = image.predicted.filter(known).enumerated()
                .sorted { a, b in (a.element.score ?? 0) != (b.element.score ?? 0) ? (a.element.score ?? 0) > (b.element.score ?? 0) : a.offset < b.offset }
                .prefix(maxDetections).map(\.element)
            add(predicted: predicted, truth: truth, ignoreRegions: ignoreRegions, foreground: foreground, background: background)
        }
    }

    private mutating func add(predicted: [DetectionBox], truth: [DetectionBox], ignoreRegions: [DetectionBox],
                              foreground: Double, background: Double) {
        for t in truth { classes[t.labelIndex].groundTruth += 1 }
        let G = truth.count
        let iou = COCOEvaluator.iou(predicted.map(\.bbox), truth.map(\.bbox), [Bool](repeating: false, count: G))
        func iouOf(_ d: Int, _ g: Int) -> Double { iou[d * G + g] }
        /// The first ground truth of highest value among those `admits`, a non-admitted one counting 0 (numpy's argmax).
        func best(_ d: Int, _ admits: (Int) -> Bool) -> (index: Int, value: Double) {
            var top = (index: 0, value: G > 0 && admits(0) ? iouOf(d, 0) : 0)
            for g in 1..<max(G, 1) where admits(g) && iouOf(d, g) > top.value { top = (g, iouOf(d, g)) }
            return top
        }
        // Matching, best score first.
        var matchedTruth = [Bool](repeating: false, count: G)
        var isTruePositive = [Bool](repeating: false, count: predicted.count)
        for (d, p) in predicted.enumerated() where G > 0 {
            let (g, value) = best(d) { !matchedTruth[$0] && truth[$0].labelIndex == p.labelIndex }
            if value >= foreground {
                matchedTruth[g] = true
                isTruePositive[d] = true
            }
        }
        // Ignore regions take unmatched predictions out of the AP data.
        var ignored = [Bool](repeating: false, count: predicted.count)
        if !ignoreRegions.isEmpty {
            let cover = COCOEvaluator.iou(predicted.map(\.bbox), ignoreRegions.map(\.bbox), [Bool](repeating: true, count: ignoreRegions.count))
            for (r, region) in ignoreRegions.enumerated() {
                for (d, p) in predicted.enumerated() where !isTruePositive[d] && cover[d * ignoreRegions.count + r] > foreground && region.labelIndex == p.labelIndex {
                    ignored[d] = true
                }
            }
        }
        // Errors, best score first; a cls/loc error remembers the ground truth it could fix.
        var bestFixer = [(score: Double, error: Int)?](repeating: nil, count: G)
        var fixTarget: [Int: Int] = [:]  // error index -> ground truth
        var fixable = [Bool](repeating: false, count: G)
        for (d, p) in predicted.enumerated() {
            let score = p.score ?? 0
            let point = TIDEPoint(score: score, isTrue: isTruePositive[d])
            if !ignored[d] { classes[p.labelIndex].points.append(point) }
            if isTruePositive[d] { continue }
            let original: TIDEOutcome = ignored[d] ? .drop : .point(classIndex: p.labelIndex, point)
            func record(_ kind: ErrorTaxonomy.Kind, fixing g: Int? = nil) {
                if let g, !matchedTruth[g] {
                    fixable[g] = true
                    if (bestFixer[g]?.score ?? -1) < score { bestFixer[g] = (score: score, error: errors.count) }
                    fixTarget[errors.count] = g
                }
                errors.append(TIDEError(kind: kind, classIndex: p.labelIndex, original: original, fixed: .drop))
            }
            if G == 0 { record(.bkg); continue }
            let sameClass = best(d) { truth[$0].labelIndex == p.labelIndex }
            if background <= sameClass.value && sameClass.value <= foreground { record(.loc, fixing: sameClass.index); continue }
            let otherClass = best(d) { truth[$0].labelIndex != p.labelIndex }
            if otherClass.value >= foreground { record(.cls, fixing: otherClass.index); continue }
            if best(d, { matchedTruth[$0] && truth[$0].labelIndex == p.labelIndex }).value >= foreground { record(.dupe); continue }
            if best(d, { _ in true }).value <= background { record(.bkg); continue }
            record(.both)
        }
        for (e, g) in fixTarget where bestFixer[g]?.error == e {
            errors[e].fixed = .point(classIndex: truth[g].labelIndex, TIDEPoint(score: bestFixer[g]!.score, isTrue: true))
        }
        for (g, t) in truth.enumerated() where !matchedTruth[g] {
            unmatchedGroundTruth[t.labelIndex] += 1
            if !fixable[g] {
                errors.append(TIDEError(kind: .miss, classIndex: t.labelIndex, original: .drop, fixed: .removeGroundTruth(classIndex: t.labelIndex)))
            }
        }
    }
}
