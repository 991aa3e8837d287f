/// The detection expected calibration error (D-ECE, Küppers et al. 2020, "Multivariate Confidence
/// Calibration for Object Detection") over box confidence only, exactly as `netcal` 1.4 computes
/// `ECE(bins, detection=True, equal_intervals=True, sample_threshold).measure(scores, matched)`,
/// and the reliability diagram behind it.
///
/// Each detection is a confidence and whether it is a true positive. netcal's rules, written once:
/// - confidences are first clipped to [ε, 1 − ε] (ε = 2⁻⁵², float64 machine epsilon), so 0 and 1
///   fall in the first and last bin and enter the bin's mean score as ε and 1 − ε;
/// - the `bins` bins have equal width over [0, 1]; edge `i` is `i · (1 / bins)` (numpy's
///   `linspace`, so 0.3 is *below* the fourth edge of ten, 0.30000000000000004); a confidence on
///   an inner edge belongs to the bin above it (numpy `histogramdd` / scipy `binned_statistic_dd`);
/// - per bin: precision = mean of matched, mean score = mean of confidence, each a sum in input
///   order divided by the count; a bin with fewer than `sampleThreshold` detections (an empty bin
///   among them) contributes nothing, but its detections still count in the total;
/// - D-ECE = Σ over bins of |precision − mean score| · count / total.
public struct DetectionCalibration: Sendable, Equatable, Codable {
    /// One bin of the reliability diagram, `[lower, upper)` (the last bin also holds `upper`).
    public struct Bin: Sendable, Equatable, Codable {
        public var lower: Double
        public var upper: Double
        public var count: Int
        /// Mean clipped confidence of the bin's detections; `nil` when the bin is empty.
        public var meanScore: Double?
        /// Share of the bin's detections that are true positives; `nil` when the bin is empty.
        public var precision: Double?

        public init(lower: Double, upper: Double, count: Int, meanScore: Double?, precision: Double?) {
            self.lower = lower; self.upper = upper; self.count = count
            self.meanScore = meanScore; self.precision = precision
        }

        enum CodingKeys: String, CodingKey {
            case lower, upper, count, precision
            case meanScore = "mean_score"
        }

        /// An empty bin's mean score and precision are written as `null`.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(lower, forKey: .lower)
            try c.encode(upper, forKey: .upper)
            try c.encode(count, forKey: .count)
            try c.encode(meanScore, forKey: .meanScore)
            try c.encode(precision, forKey: .precision)
        }
    }

    /// netcal's default number of bins.
    public static let defaultBinCount = 10
    /// float64 machine epsilon, netcal's clip margin (`np.finfo(np.float64).eps`).
    public static let clipMargin = 2.220446049250313e-16

    /// Detections binned.
    public var detections: Int
    /// The D-ECE, or `nil` without detections (netcal refuses an empty input).
    public var ece: Double?
    /// Bins with fewer detections than this contribute nothing to ``ece``.
    public var sampleThreshold: Int
    /// All bins, lowest confidence first.
    public var bins: [Bin]

    enum CodingKeys: String, CodingKey {
        case detections, ece, bins
        case sampleThreshold = "sample_threshold"
    }

    /// An undefined ``ece`` is written as `null`.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(detections, forKey: .detections)
        try c.encode(ece, forKey: .ece)
        try c.encode(sampleThreshold, forKey: .sampleThreshold)
        try c.encode(bins, forKey: .bins)
    }

    /// Per-bin sums from which the D-ECE follows; they add, so a bootstrap can weight them.
    public struct BinTotals: Sendable, Equatable {
        public var count: [Int]
        public var matched: [Double]
        public var score: [Double]

        public init(binCount: Int) {
            count = [Int](repeating: 0, count: binCount)
            matched = [Double](repeating: 0, count: binCount)
            score = [Double](repeating: 0, count: binCount)
        }

        /// Adds detections (confidence, true positive) in order, as netcal's sums do.
        public mutating func add(scores: [Double], matched isMatched: [Bool]) {
            guard !scores.isEmpty else { return }
            let edges = DetectionCalibration.edges(binCount: count.count)
            for (s, m) in zip(scores, isMatched) {
                let x = DetectionCalibration.clipped(s)
                let b = DetectionCalibration.binIndex(of: x, edges: edges)
                count[b] += 1
                matched[b] += m ? 1 : 0
                score[b] += x
            }
        }

        /// Adds `other` `times` times (a bootstrap's image drawn that often).
        public mutating func add(_ other: BinTotals, times: Int) {
            let w = Double(times)
            for b in count.indices {
                count[b] += other.count[b] * times
                matched[b] += other.matched[b] * w
                score[b] += other.score[b] * w
            }
        }
    }

    /// The calibration of detections given as parallel arrays of confidence and true-positive flag.
    public init(scores: [Double], matched: [Bool], binCount: Int = defaultBinCount, sampleThreshold: Int = 1) {
        var totals = BinTotals(binCount: binCount)
        totals.add(scores: scores, matched: matched)
        self.init(totals, sampleThreshold: sampleThreshold)
    }

    /// The calibration of the detections summed in `totals`.
    public init(_ totals: BinTotals, sampleThreshold: Int = 1) {
        let edges = Self.edges(binCount: totals.count.count)
        let total = totals.count.reduce(0, +)
        self.detections = total
        self.sampleThreshold = sampleThreshold
        bins = totals.count.indices.map { b in
            let n = totals.count[b]
            return Bin(lower: edges[b], upper: edges[b + 1], count: n,
                       meanScore: n > 0 ? totals.score[b] / Double(n) : nil,
                       precision: n > 0 ? totals.matched[b] / Double(n) : nil)
        }
        ece = Self.expectedCalibrationError(totals, sampleThreshold: sampleThreshold)
    }

    /// Σ |precision − mean score| · count / total over bins holding at least `sampleThreshold`
    /// detections; `nil` without detections.
    public static func expectedCalibrationError(_ totals: BinTotals, sampleThreshold: Int = 1) -> Double? {
        let total = totals.count.reduce(0, +)
        guard total > 0 else { return nil }
        var sum = 0.0
        for b in totals.count.indices where totals.count[b] >= max(1, sampleThreshold) {
            let n = Double(totals.count[b])
            let gap = abs(totals.matched[b] / n - totals.score[b] / n)
            sum += gap * (n / Double(total))
        }
        return sum
    }

    /// The `binCount + 1` bin edges over [0, 1] as numpy's `linspace(0, 1, binCount + 1)`.
    public static func edges(binCount: Int) -> [Double] {
        let step = 1.0 / Double(binCount)
        return (0...binCount).map { $0 == binCount ? 1.0 : Double($0) * step }
    }

    /// A confidence clipped to [ε, 1 − ε] as netcal clips it (NaN stays NaN; see ``binIndex(of:edges:)``).
    static func clipped(_ score: Double) -> Double { min(max(score, clipMargin), 1 - clipMargin) }

    /// The bin of a clipped confidence: the last edge not above it (a value on an inner edge
    /// goes up), the last bin for 1 — numpy's `searchsorted(edges, x, side="right") − 1`.
    static func binIndex(of x: Double, edges: [Double]) -> Int {
        var lo = 0, hi = edges.count  // first index with edges[index] > x
        while lo < hi {
            let mid = (lo + hi) / 2
            if edges[mid] <= x { lo = mid + 1 } else { hi = mid }
        }
        return min(max(lo - 1, 0), edges.count - 2)
    }
}
