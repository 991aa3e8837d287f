/// How far a detector's box scores are from the precision they promise, on the reviewed images:
/// the confidence-only D-ECE (``DetectionCalibration``, as netcal computes it) of every detection
/// matched at the policy's IoU — all classes pooled, and each class alone — with a seeded
/// bootstrap interval on the pooled value.
///
/// A detection's outcome is the one ``DetectionOperatingPoint/scoredMatches(images:classCount:iouThreshold:)``
/// gives it: a true positive if COCO's greedy matching (best score first) pairs it with a ground
/// truth box of its class at IoU ≥ the threshold; detections a crowd region covers are left out.
/// No score threshold applies: calibration is about every score the model emits.
///
/// The interval resamples images with replacement (the unit that was reviewed; the detections of
/// one image are not independent) with ``BootstrapDraws``, as the mAP interval does, so with the
/// same seed both intervals see the same resamples; resamples without a detection are dropped.
public struct DetectionCalibrationReport: Sendable, Equatable, Codable {
    /// One class's calibration.
    public struct ClassCalibration: Sendable, Equatable, Codable {
        public var className: String
        public var calibration: DetectionCalibration

        enum CodingKeys: String, CodingKey { case className = "class" }

        /// JSON: `class` beside the calibration's own fields.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(className, forKey: .className)
            try calibration.encode(to: encoder)
        }

        public init(from decoder: any Decoder) throws {
            className = try decoder.container(keyedBy: CodingKeys.self).decode(String.self, forKey: .className)
            calibration = try DetectionCalibration(from: decoder)
        }

        public init(className: String, calibration: DetectionCalibration) {
            self.className = className
            self.calibration = calibration
        }
    }

    public var iouThreshold: Double
    /// All classes pooled: the D-ECE, its bins, the detections counted.
    public var overall: DetectionCalibration
    /// Percentile bootstrap interval on `overall.ece`, resampling images; `nil` without
    /// detections or resamples.
    public var interval: Interval?
    public var perClass: [ClassCalibration]

    enum CodingKeys: String, CodingKey {
        case interval
        case iouThreshold = "iou_threshold"
        case perClass = "per_class"
    }

    /// JSON: the pooled calibration's fields (`detections`, `ece`, `sample_threshold`, `bins`)
    /// at the top, beside `iou_threshold`, `interval` (`null` when undefined) and `per_class`.
    public func encode(to encoder: any Encoder) throws {
        try overall.encode(to: encoder)
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(iouThreshold, forKey: .iouThreshold)
        try c.encode(interval, forKey: .interval)
        try c.encode(perClass, forKey: .perClass)
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        overall = try DetectionCalibration(from: decoder)
        iouThreshold = try c.decode(Double.self, forKey: .iouThreshold)
        interval = try c.decodeIfPresent(Interval.self, forKey: .interval)
        perClass = try c.decode([ClassCalibration].self, forKey: .perClass)
    }

    /// The calibration of `images` (classes named by `classNames`, in index order) at `iouThreshold`.
    public init(images: [DetectionEvaluation.Image], classNames: [String], iouThreshold: Double,
                binCount: Int = DetectionCalibration.defaultBinCount,
                resamples: Int, seed: UInt64, confidence: Double) {
        self.init(matches: DetectionOperatingPoint.scoredMatches(images: images, classCount: classNames.count, iouThreshold: iouThreshold),
                  imageCount: images.count, classNames: classNames, iouThreshold: iouThreshold, binCount: binCount,
                  resamples: resamples, seed: seed, confidence: confidence)
    }

    /// The same from `matches` already made of `imageCount` images at `iouThreshold`
    /// (``DetectionEvaluation/scoredMatches``), so an evaluation matches its boxes once.
    public init(matches: [ScoredMatches], imageCount: Int, classNames: [String], iouThreshold: Double,
                binCount: Int = DetectionCalibration.defaultBinCount,
                resamples: Int, seed: UInt64, confidence: Double) {
        var imageTotals = [DetectionCalibration.BinTotals](repeating: .init(binCount: binCount), count: imageCount)
        // Per image, class by class: each class's detections come image by image, so an image's
        // are one contiguous run.
        for m in matches {
            var start = 0
            while start < m.images.count {
                let image = m.images[start]
                var end = start + 1
                while end < m.images.count && m.images[end] == image { end += 1 }
                imageTotals[image].add(scores: Array(m.scores[start..<end]), matched: Array(m.correct[start..<end]))
                start = end
            }
        }
        // The pooled point estimate sums detections class by class, image by image: the order
        // netcal would see them in if handed each class's detections in turn.
        var overallTotals = DetectionCalibration.BinTotals(binCount: binCount)
        var classTotals: [DetectionCalibration.BinTotals] = []
        for m in matches {
            var totals = DetectionCalibration.BinTotals(binCount: binCount)
            totals.add(scores: m.scores, matched: m.correct)
            classTotals.append(totals)
            overallTotals.add(scores: m.scores, matched: m.correct)
        }
        let overall = DetectionCalibration(overallTotals)
        self.iouThreshold = iouThreshold
        self.overall = overall
        perClass = zip(classNames, classTotals).map { ClassCalibration(className: $0, calibration: DetectionCalibration($1)) }
        interval = overall.ece == nil ? nil
            : Self.bootstrapInterval(imageTotals, binCount: binCount, resamples: resamples, seed: seed, confidence: confidence)
    }

    /// Percentile interval of the pooled D-ECE over `resamples` seeded draws of the images.
    static func bootstrapInterval(_ imageTotals: [DetectionCalibration.BinTotals], binCount: Int,
                                  resamples: Int, seed: UInt64, confidence: Double) -> Interval? {
        var values: [Double] = []
        for counts in BootstrapDraws.counts(items: imageTotals.count, resamples: resamples, seed: seed) {
            var totals = DetectionCalibration.BinTotals(binCount: binCount)
            for (i, c) in counts.enumerated() where c > 0 { totals.add(imageTotals[i], times: c) }
            if let ece = DetectionCalibration.expectedCalibrationError(totals) { values.append(ece) }
        }
        return Interval.percentile(of: values, confidence: confidence)
    }
}
