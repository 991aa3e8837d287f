#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// ADWIN, adaptive windowing (Bifet & Gavaldà 2007), exactly as river's `drift.ADWIN`: the
/// same exponential-histogram buckets, the same cut test and the same floating-point
/// operations in the same order, so it detects changes at the same indices. After a
/// detection the next value starts a fresh window, as river does.
/// Formulas and references: docs/statistics.md, "Sequential detectors".
///
/// The buckets live in flat arrays (one row of `maxBuckets + 1` slots per size 2ⁱ), so an
/// update allocates nothing.
///
/// ```swift
/// var adwin = ADWIN()
/// let points = changePoints(adwin, on: correctness)
/// ```
public struct ADWIN: SequentialDetector, Sendable {
    /// ADWIN's parameters, with river's defaults; YAML/JSON keys in snake_case.
    public struct Settings: Sendable, Equatable, Codable {
        /// Confidence δ of the cut test: smaller means fewer false alarms, later detections (default 0.002).
        public var delta: Double
        /// The window is tested for a cut every `clock` values (default 32).
        public var clock: Int
        /// Buckets of each size kept before two are merged (default 5).
        public var maxBuckets: Int
        /// Sub-windows shorter than this are not tested (default 5).
        public var minWindowLength: Int
        /// No test until the window holds more than this many values (default 10).
        public var gracePeriod: Int

        public init(delta: Double = 0.002, clock: Int = 32, maxBuckets: Int = 5, minWindowLength: Int = 5, gracePeriod: Int = 10) {
            self.delta = delta
            self.clock = clock
            self.maxBuckets = maxBuckets
            self.minWindowLength = minWindowLength
            self.gracePeriod = gracePeriod
        }

        enum CodingKeys: String, CodingKey {
            case delta, clock
            case maxBuckets = "max_buckets"
            case minWindowLength = "min_window_length"
            case gracePeriod = "grace_period"
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            let d = Settings()
            delta = try c.decodeIfPresent(Double.self, forKey: .delta) ?? d.delta
            clock = try c.decodeIfPresent(Int.self, forKey: .clock) ?? d.clock
            maxBuckets = try c.decodeIfPresent(Int.self, forKey: .maxBuckets) ?? d.maxBuckets
            minWindowLength = try c.decodeIfPresent(Int.self, forKey: .minWindowLength) ?? d.minWindowLength
            gracePeriod = try c.decodeIfPresent(Int.self, forKey: .gracePeriod) ?? d.gracePeriod
        }

        /// Problems that make the settings unusable, each naming the field.
        public func problems() -> [String] {
            var out: [String] = []
            if !(delta > 0 && delta < 1) { out.append("delta: must be in (0, 1), e.g. 0.002") }
            if clock < 1 { out.append("clock: must be at least 1") }
            if maxBuckets < 1 { out.append("max_buckets: must be at least 1") }
            if minWindowLength < 1 { out.append("min_window_length: must be at least 1") }
            if gracePeriod < 0 { out.append("grace_period: must not be negative") }
            return out
        }
    }

    /// The parameters in use.
    public let settings: Settings
    /// Detections since this detector was created (river's `n_detections` restarts at each reset).
    public private(set) var totalDetections = 0
    /// Number of values in the current window (river's `width`).
    public var width: Int { Int(windowWidth) }
    /// Mean of the values in the window, 0 when it is empty (river's `estimation`).
    public var estimation: Double { windowWidth == 0 ? 0 : total / windowWidth }
    /// Sum of the values in the window (river's `total`).
    public var sum: Double { total }
    /// Sum of squared deviations from the mean in the window, kept incrementally — what
    /// river calls `variance`; divide by `width` for the window's variance.
    public var variance: Double { squares }

    // Slot (level, j) is at level * rowLength + j; level i holds buckets of 2^i values,
    // oldest first. Level `levels - 1` holds the oldest values of the window.
    private static let maxLevels = 64
    private let rowLength: Int
    private var buckets: Buckets
    private var levels = 1

    private var total = 0.0
    private var squares = 0.0
    private var windowWidth = 0.0
    private var untilCheck: Int
    private var detected = false
    private let minLength: Double
    private let grace: Double

    /// A detector with the given parameters (river's defaults when omitted).
    /// - Precondition: `settings.problems()` is empty.
    public init(_ settings: Settings = Settings()) {
        precondition(settings.problems().isEmpty, "ADWIN settings: \(settings.problems().joined(separator: "; "))")
        self.settings = settings
        rowLength = settings.maxBuckets + 1
        buckets = Buckets(levels: Self.maxLevels, rowLength: rowLength)
        untilCheck = settings.clock
        minLength = Double(settings.minWindowLength)
        grace = Double(settings.gracePeriod)
    }

    public mutating func update(_ x: Double) -> Bool {
        if !isKnownUniquelyReferenced(&buckets) { buckets = buckets.copy() }
        if detected { reset() }
        insert(x)
        // river tests when its tick count is a multiple of `clock`.
        untilCheck &-= 1
        guard untilCheck == 0 else { return false }
        untilCheck = settings.clock
        detected = windowWidth > grace && cutWhileChanged()
        if detected { totalDetections += 1 }
        return detected
    }

    private mutating func reset() {
        for i in 0..<levels { buckets.counts[i] = 0 }
        levels = 1
        total = 0
        squares = 0
        windowWidth = 0
        untilCheck = settings.clock
        detected = false
    }

    private mutating func insert(_ x: Double) {
        let counts = buckets.counts, totals = buckets.totals, squaresOf = buckets.squares
        totals[counts[0]] = x
        squaresOf[counts[0]] = 0
        counts[0] &+= 1
        windowWidth += 1
        var increment = 0.0
        if windowWidth > 1 {
            let d = x - total / (windowWidth - 1)
            increment = (windowWidth - 1) * d * d / windowWidth
        }
        squares += increment
        total += x
        // Merge the two oldest buckets of a full level into one of the next size. Dividing
        // by 2^level and multiplying by 2^-level round the same exact quotient: same result.
        var level = 0
        while counts[level] == rowLength {
            let row = level &* rowLength
            let n = Double(sign: .plus, exponent: level, significand: 1)
            let inverse = Double(sign: .plus, exponent: -level, significand: 1)
            let t0 = totals[row], t1 = totals[row &+ 1]
            let mu1 = t0 * inverse, mu2 = t1 * inverse
            let merged = t0 + t1
            let mergedSquares = squaresOf[row] + squaresOf[row &+ 1] + n * 0.5 * (mu1 - mu2) * (mu1 - mu2)
            if level &+ 1 == levels {
                precondition(levels < Self.maxLevels, "ADWIN: window exceeds 2^\(Self.maxLevels) values")
                counts[levels] = 0
                levels &+= 1
            }
            let next = row &+ rowLength &+ counts[level &+ 1]
            totals[next] = merged
            squaresOf[next] = mergedSquares
            counts[level &+ 1] &+= 1
            (totals + row).update(from: totals + (row &+ 2), count: rowLength &- 2)
            (squaresOf + row).update(from: squaresOf + (row &+ 2), count: rowLength &- 2)
            counts[level] &-= 2
            if counts[level &+ 1] <= settings.maxBuckets { break }
            level &+= 1
        }
    }

    /// river's `detect_change` loop: scan the cuts from the oldest value on; at the first
    /// cut whose sub-window means differ by more than ε, drop the oldest bucket and rescan.
    private mutating func cutWhileChanged() -> Bool {
        var changed = false
        while hasCut() {
            changed = true
            dropOldestBucket()
        }
        return changed
    }

    /// Whether some cut of the window passes river's test.
    private func hasCut() -> Bool {
        let width = windowWidth, delta = settings.delta, minLength = minLength
        let deltaPrime = log(2 * log(width) / delta)
        let meanSquares = squares / width
        // ε grows with 1/(n0 − m + 1) + 1/(n1 − m + 1), which is smallest at n0 = n1; below
        // that ε (less a margin far above rounding) no cut can pass, so most cuts skip the
        // exact test. Without the premises (e.g. `squares` rounded below 0) there is no shortcut.
        let spanAboveMinimum = width - 2 * minLength + 2
        var floor = -Double.infinity
        if spanAboveMinimum > 0, deltaPrime > 0, meanSquares >= 0 {
            let m = 4 / spanAboveMinimum
            floor = ((2 * m * meanSquares * deltaPrime).squareRoot() + 2.0 / 3.0 * deltaPrime * m) * (1 - 1e-9)
        }
        let counts = buckets.counts, totals = buckets.totals
        var n0 = 0.0, n1 = width, u0 = 0.0, u1 = total
        var level = levels &- 1
        while level >= 0 {
            let size = Double(sign: .plus, exponent: level, significand: 1)
            let count = counts[level], row = level &* rowLength
            for k in 0..<count {
                n0 += size
                n1 -= size
                let t = totals[row &+ k]
                u0 += t
                u1 -= t
                if level == 0 && k == count &- 1 { return false }
                let deltaMean = u0 / n0 - u1 / n1
                if n1 >= minLength && n0 >= minLength && abs(deltaMean) > floor {
                    let mRecip = 1 / (n0 - minLength + 1) + 1 / (n1 - minLength + 1)
                    let epsilon = (2 * mRecip * meanSquares * deltaPrime).squareRoot() + 2.0 / 3.0 * deltaPrime * mRecip
                    if abs(deltaMean) > epsilon { return true }
                }
            }
            level &-= 1
        }
        return false
    }

    private mutating func dropOldestBucket() {
        let last = levels &- 1
        let row = last &* rowLength
        let counts = buckets.counts, totals = buckets.totals, squaresOf = buckets.squares
        let n = Double(sign: .plus, exponent: last, significand: 1)
        let u = totals[row], v = squaresOf[row]
        let mu = u / n
        windowWidth -= n
        total -= u
        let muWindow = total / windowWidth
        squares -= v + n * windowWidth * (mu - muWindow) * (mu - muWindow) / (n + windowWidth)
        (totals + row).update(from: totals + (row &+ 1), count: rowLength &- 1)
        (squaresOf + row).update(from: squaresOf + (row &+ 1), count: rowLength &- 1)
        counts[last] &-= 1
        if counts[last] == 0 { levels &-= 1 }
    }
}
