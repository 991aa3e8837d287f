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
/// The buckets live in flat arrays (one row of `maxBuckets` + min(`clock`, 256) + 1 slots per
/// size 2ⁱ), so an update allocates nothing.
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
        /// Buckets of each size kept before two are merged (default 5; at least 2).
        public var maxBuckets: Int
        /// Sub-windows shorter than this are not tested (default 5).
        public var minWindowLength: Int
        /// No test until the window holds more than this many values (default 10).
        public var gracePeriod: Int

        /// Settings with the given values; omitted ones take the defaults.
        public init(delta: Double = 0.002, clock: Int = 32, maxBuckets: Int = 5, minWindowLength: Int = 5, gracePeriod: Int = 10) {
            self.delta = delta
            self.clock = clock
            self.maxBuckets = maxBuckets
            self.minWindowLength = minWindowLength
            self.gracePeriod = gracePeriod
        }

        enum CodingKeys: String, CodingKey, CaseIterable {
            case delta, clock
            case maxBuckets = "max_buckets"
            case minWindowLength = "min_window_length"
            case gracePeriod = "grace_period"
        }

        /// Decodes the policy's keys; a missing key takes its default.
        public init(from decoder: any Decoder) throws {
            let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
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
            // With one bucket per size a merge empties a level that a later drop may read (river too).
            if maxBuckets < 2 { out.append("max_buckets: must be at least 2") }
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
    /// Values added in one tight loop at most (a level's row has room for one run's arrivals).
    private static let maxRun = 256
    private let rowLength: Int
    private var buckets: Buckets
    private var levels = 1
    /// Levels 0...stale have changed since `hasCut` last scanned them (see there).
    private var stale = Self.maxLevels
    /// Σ|x| over the window (it only grows between resets).
    private var absolute = 0.0
    /// δ′ at width `lowWidth` of the current window, a lower bound of δ′ at a larger width.
    private var lowDeltaPrime = 0.0
    private var lowWidth = Double.infinity

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
        // a level holds at most maxBuckets buckets between runs, plus one run's arrivals
        let run = Swift.min(settings.clock, Self.maxRun)
        rowLength = settings.maxBuckets + run + 1
        buckets = Buckets(levels: Self.maxLevels, rowLength: rowLength)
        untilCheck = settings.clock
        minLength = Double(settings.minWindowLength)
        grace = Double(settings.gracePeriod)
    }

    /// Takes the next value; true when a change is detected at this value.
    public mutating func update(_ x: Double) -> Bool {
        var hit = false
        withUnsafePointer(to: x) { readValues(UnsafeBufferPointer(start: $0, count: 1), from: 0) { _ in hit = true } }
        return hit
    }

    /// Reads `values` as so many `update` calls would; between two tests of the window
    /// (every `clock` values) the values are added in one tight loop.
    public mutating func readValues(_ values: UnsafeBufferPointer<Double>, from: Int, detection: (Int) -> Void) {
        if !isKnownUniquelyReferenced(&buckets) { buckets = buckets.copy() }
        var i = 0
        while i < values.count {
            if detected { reset() }
            // river tests when its tick count is a multiple of `clock`.
            let run = Swift.min(untilCheck, values.count &- i, Self.maxRun)
            insert(UnsafeBufferPointer(rebasing: values[i..<(i &+ run)]))
            i &+= run
            untilCheck &-= run
            guard untilCheck == 0 else { continue }
            untilCheck = settings.clock
            detected = windowWidth > grace && cutWhileChanged()
            if detected {
                totalDetections += 1
                detection(from &+ i &- 1)
            }
        }
    }

    private mutating func reset() {
        for i in 0..<levels { buckets.counts[i] = 0 }
        levels = 1
        total = 0
        squares = 0
        windowWidth = 0
        untilCheck = settings.clock
        detected = false
        stale = Self.maxLevels
        absolute = 0
        lowWidth = .infinity
    }

    /// river's `insert_element` for each value (at most `maxRun` of them), with the results of
    /// river's value-by-value loop:
    /// - one loop, two values at a time, carries the three running sums (total, squares, Σ|x|)
    ///   in river's order; the increments of `squares`, (w − 1)·d·d/w with d = x − total/(w − 1),
    ///   are divided two at a time (lane-wise division is IEEE division: the same quotients as
    ///   one at a time). In one loop the sequential additions run while the divider works;
    ///   in separate passes each waited for the other;
    /// - the buckets: the values are appended to level 0, and each level's oldest pairs are
    ///   merged into the next level, level by level. A merged bucket depends only on the two
    ///   buckets merged, and each level merges its oldest pairs in arrival order until at most
    ///   `maxBuckets` remain, so merging after the run leaves the same buckets as merging after
    ///   each value, with rows moved once per run, not once per merge.
    private mutating func insert(_ values: UnsafeBufferPointer<Double>) {
        let count = values.count
        guard count > 0, let source = values.baseAddress else { return }
        let counts = buckets.counts, totals = buckets.totals
        let level0 = totals + counts[0]
        counts[0] &+= count

        var total = total, width = windowWidth, absolute = absolute, squares = squares
        var first = 0
        if width == 0 {
            // the window's first value adds nothing to the squares
            level0[0] = source[0]
            total += source[0]
            absolute += abs(source[0])
            width = 1
            first = 1
        }
        // Value j (j ≥ first) arrives with w − 1 = width + (j − first) values already in the window.
        var j = first
        let base = width - Double(first)
        var previous = SIMD2<Double>(base + Double(j), base + Double(j &+ 1))
        while j &+ 1 < count {
            let x = UnsafeRawPointer(source + j).loadUnaligned(as: SIMD2<Double>.self)
            UnsafeMutableRawPointer(level0 + j).storeBytes(of: x, as: SIMD2<Double>.self)
            let t0 = total
            total += x.x
            let t = SIMD2(t0, total)
            total += x.y
            absolute += abs(x.x)
            absolute += abs(x.y)
            let current = previous + 1
            let d = x - t / previous
            let increment = previous * d * d / current
            squares += increment.x
            squares += increment.y
            previous = previous + 2
            j &+= 2
        }
        if j < count {
            let x = source[j]
            level0[j] = x
            let previous = base + Double(j), current = previous + 1
            let d = x - total / previous
            squares += previous * d * d / current
            total += x
            absolute += abs(x)
        }
        self.absolute = absolute
        self.total = total
        self.squares = squares
        windowWidth = width + Double(count &- first)
        // Level 0's oldest pairs merge into level 1 (see `mergeFullLevels`).
        let maxBuckets = settings.maxBuckets
        let filled = counts[0]
        let pairs = filled > maxBuckets ? (filled &- maxBuckets &+ 1) / 2 : 0
        if pairs > 0 && levels == 1 {
            counts[1] = 0
            levels = 2
        }
        let merged = totals + (rowLength &+ counts[1]), mergedSquares = buckets.squares + (rowLength &+ counts[1])
        var p = 0
        while p &+ 1 < pairs {
            Self.mergeSingles(totals + 2 &* p, into: merged + p, mergedSquares + p)
            p &+= 2
        }
        if p < pairs {
            let t0 = totals[2 &* p], t1 = totals[2 &* p &+ 1]
            merged[p] = t0 + t1
            mergedSquares[p] = 0.5 * (t0 - t1) * (t0 - t1)
        }

        if pairs > 0 {
            Self.moveDown(totals, from: 2 &* pairs, count: filled &- 2 &* pairs)
            counts[0] = filled &- 2 &* pairs
            counts[1] &+= pairs
            mergeFullLevels(from: 1)
        } else {
            stale = Swift.max(stale, 0)
        }
    }

    /// Two level-0 merges: buckets (t0, t1) and (t2, t3) at `t` become t0 + t1 and t2 + t3,
    /// with squares 0.5·(t0 − t1)² and 0.5·(t2 − t3)² (single values have no squares).
    @inline(__always)
    private static func mergeSingles(_ t: UnsafeMutablePointer<Double>, into out: UnsafeMutablePointer<Double>,
                                     _ outSquares: UnsafeMutablePointer<Double>) {
        let a = load(t), b = load(t + 2)
        let t0 = SIMD2(a.x, b.x), t1 = SIMD2(a.y, b.y)
        store(t0 + t1, out)
        store(0.5 * (t0 - t1) * (t0 - t1), outSquares)
    }

    /// Merges, level by level from `start` up, the oldest pairs of buckets of every level
    /// holding more than `maxBuckets`, until at most `maxBuckets` remain there; the merged
    /// buckets go, in order, to the end of the next level. river's merge of two buckets of
    /// n = 2^level values is t0 + t1 and v0 + v1 + n·0.5·(μ1 − μ2)²; dividing by 2^level and
    /// multiplying by 2^-level round the same exact quotient, so the result is river's.
    /// (Level 0's merges run in `insert`.)
    private mutating func mergeFullLevels(from start: Int) {
        let counts = buckets.counts, totals = buckets.totals, squaresOf = buckets.squares
        let maxBuckets = settings.maxBuckets
        var level = start
        while counts[level] > maxBuckets {
            let count = counts[level]
            let pairs = (count &- maxBuckets &+ 1) / 2
            if level &+ 1 == levels {
                precondition(levels < Self.maxLevels, "ADWIN: window exceeds 2^\(Self.maxLevels) values")
                counts[levels] = 0
                levels &+= 1
            }
            let row = level &* rowLength
            let nextRow = row &+ rowLength &+ counts[level &+ 1]
            let t = totals + row, v = squaresOf + row
            let outTotals = totals + nextRow, outSquares = squaresOf + nextRow
            // two merges at a time: lane-wise arithmetic is the scalar arithmetic
            var p = 0
            let n = Self.power(level), inverse = Self.power(-level)
            while p &+ 1 < pairs {
                let a = Self.load(t + 2 &* p), b = Self.load(t + (2 &* p &+ 2))
                let va = Self.load(v + 2 &* p), vb = Self.load(v + (2 &* p &+ 2))
                let t0 = SIMD2(a.x, b.x), t1 = SIMD2(a.y, b.y)
                let mu1 = t0 * inverse, mu2 = t1 * inverse
                Self.store(t0 + t1, outTotals + p)
                let gap = mu1 - mu2
                let v0 = SIMD2(va.x, vb.x), v1 = SIMD2(va.y, vb.y)
                let merged: SIMD2<Double> = v0 + v1 + n * 0.5 * gap * gap
                Self.store(merged, outSquares + p)
                p &+= 2
            }
            if p < pairs {
                let t0 = t[2 &* p], t1 = t[2 &* p &+ 1]
                let mu1 = t0 * inverse, mu2 = t1 * inverse
                outTotals[p] = t0 + t1
                outSquares[p] = v[2 &* p] + v[2 &* p &+ 1] + n * 0.5 * (mu1 - mu2) * (mu1 - mu2)
            }
            Self.moveDown(v, from: 2 &* pairs, count: count &- 2 &* pairs)
            Self.moveDown(t, from: 2 &* pairs, count: count &- 2 &* pairs)
            counts[level] = count &- 2 &* pairs
            counts[level &+ 1] &+= pairs
            level &+= 1
        }
        stale = Swift.max(stale, level)
    }

    /// Moves `count` slots starting at `from` ≥ 2 to the start of the row (a handful of
    /// slots), two at a time; an odd count also copies the slot after the last one, which
    /// lies inside the row (`from + count` slots were in use) and is not in use afterwards.
    @inline(__always)
    private static func moveDown(_ row: UnsafeMutablePointer<Double>, from: Int, count: Int) {
        var j = 0
        while j < count {
            store(load(row + (j &+ from)), row + j)
            j &+= 2
        }
    }

    @inline(__always)
    private static func load(_ p: UnsafeMutablePointer<Double>) -> SIMD2<Double> {
        UnsafeRawPointer(p).loadUnaligned(as: SIMD2<Double>.self)
    }

    @inline(__always)
    private static func store(_ v: SIMD2<Double>, _ p: UnsafeMutablePointer<Double>) {
        UnsafeMutableRawPointer(p).storeBytes(of: v, as: SIMD2<Double>.self)
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

    /// Whether some cut of the window passes river's test: what `plainHasCut` answers, with
    /// fewer operations.
    ///
    /// With exact sums, a cut's u0·n1 − u1·n0 is W·(P − μ·N), P = u0 and N = n0 at the cut,
    /// μ = U/W the window's mean. Between two tests only the newest levels change (level k
    /// about every 2^(k+1) values), so each level keeps from its last scan f = maxⱼ |Pⱼ − μc·Nⱼ|
    /// over its cuts (μc the mean then) and the sum of its buckets. Then
    /// |Pⱼ − μ·Nⱼ| ≤ f + Nⱼ·|μ − μc|: one bound per level, set against the level's smallest
    /// ε·n0·n1 as `sumsPastLevel` does. The slack added, 10⁻¹²·(1 + max_buckets/16)·6·A·W with
    /// A = Σ|x| over the window (the window only grows between resets, so A bounds every sum
    /// and every μc·Nⱼ involved), is far above the rounding of river's running u0 and u1 (at
    /// most one rounding a bucket), of P summed level by level, of f and of these products.
    /// δ′ grows with W, so a δ′ taken earlier in the same window lowers every bound: it is
    /// recomputed when W has grown by 1%, and river's own value is computed for river's test.
    /// A level that the bound cannot clear is rescanned at the current μ; one that still does
    /// not clear is tested cut by cut with river's running sums and arithmetic, as
    /// `plainHasCut` does. A merge marks the levels up to the one it reached for rescanning;
    /// a dropped bucket or a reset, all of them.
    private mutating func hasCut() -> Bool {
        let width = windowWidth, delta = settings.delta, minLength = minLength
        if !(width >= lowWidth && width <= lowWidth * 1.01) {
            lowDeltaPrime = log(2 * log(width) / delta)
            lowWidth = width
        }
        let deltaLow = lowDeltaPrime
        let meanSquares = squares / width
        let c = minLength - 1
        let span = width - 2 * c
        guard deltaLow > 0 && meanSquares >= 0 && span > 0 && deltaLow.isFinite && meanSquares.isFinite
              && absolute.isFinite && width < 0x1p52
        else {
            stale = Self.maxLevels
            return plainHasCut()
        }
        let shrink = 1 - 1e-9
        let linear = shrink * (2.0 / 3.0) * deltaLow * span
        let quadratic = shrink * shrink * 2 * meanSquares * deltaLow * span
        // ε·n0·n1 ≥ √(2·V·δ′·W·n0·n1) + ⅔·δ′·W, as m·n0·n1 ≥ n0 + n1 = W.
        let rootBound = 2 * meanSquares * deltaLow * width * shrink * shrink
        let slack = 1e-12 * (1 + Double(settings.maxBuckets) / 16) * 6 * absolute * width
        let threshold = 2.0 / 3.0 * deltaLow * width * shrink - slack
        let mu = total / width
        let counts = buckets.counts, totals = buckets.totals
        let spread = buckets.spread, means = buckets.means, sums = buckets.sums
        let firsts = buckets.firsts, lasts = buckets.lasts
        let stale = Swift.min(self.stale, levels &- 1)
        self.stale = -1
        var n0 = 0.0, entry = 0.0
        var level = levels &- 1
        // The levels that have not changed since their last scan (never level 0), in a tight
        // loop: their n0 at the first and last cut are those of that scan.
        while level > stale {
            let count = counts[level]
            if count > 0 {
                let first0 = firsts[level], last0 = lasts[level]
                let last1 = width - last0
                guard last1 >= 1 else { break }
                let smallest = Swift.min(first0 * (width - first0), last0 * last1)
                // excess ≤ 0 or excess² ≤ rootBound·smallest, without a branch on the sign of the
                // excess (which varies from level to level, so the branch is often mispredicted);
                // a NaN excess stays NaN and fails, as before.
                let over = Swift.max(width * (spread[level] + last0 * abs(mu - means[level])) - threshold, 0)
                guard over * over <= rootBound * smallest else { break }
                entry += sums[level]
                n0 = last0
            }
            level &-= 1
        }
        // The other levels: scanned at the current mean (f and the sum kept for the next test),
        // and tested cut by cut with river's arithmetic when the bound cannot clear them.
        while level >= 0 {
            // The cut after the newest value leaves nothing on its right: river stops before it.
            let count = level == 0 ? counts[0] &- 1 : counts[level]
            if count > 0 {
                let size = Self.power(level)
                let row = totals + level &* rowLength
                let first0 = n0 + size, last0 = n0 + Double(count) * size
                let last1 = width - last0
                var local = 0.0, peak = 0.0, n = n0
                for k in 0..<count {
                    local += row[k]
                    n += size
                    let d = abs((entry + local) - mu * n)
                    peak = peak > d ? peak : d
                }
                firsts[level] = first0
                lasts[level] = last0
                spread[level] = peak
                means[level] = mu
                sums[level] = local
                let over = Swift.max(width * peak - threshold, 0)  // as in the loop above
                let clears = last1 >= 1 && over * over <= rootBound * Swift.min(first0 * (width - first0), last0 * last1)
                if !clears && riverCutInLevel(level, count: count, n0: n0, linear: linear, quadratic: quadratic,
                                              meanSquares: meanSquares, deltaLow: deltaLow) {
                    self.stale = Self.maxLevels
                    return true
                }
                entry += local
                n0 = last0
            }
            level &-= 1
        }
        return false
    }

    /// `plainHasCut`'s loop over the cuts of one level, with river's running sums u0 and u1
    /// (summed from the oldest bucket on, as river does) and river's δ′ for river's test.
    @inline(never)
    private func riverCutInLevel(_ level: Int, count: Int, n0: Double, linear: Double, quadratic: Double,
                                 meanSquares: Double, deltaLow: Double) -> Bool {
        let counts = buckets.counts, totals = buckets.totals
        let width = windowWidth, minLength = minLength, c = minLength - 1
        var u0 = 0.0, u1 = total
        var upper = levels &- 1
        while upper > level {
            let r = totals + upper &* rowLength
            for k in 0..<counts[upper] {
                u0 += r[k]
                u1 -= r[k]
            }
            upper &-= 1
        }
        let size = Self.power(level)
        let row = totals + level &* rowLength
        var m0 = n0, m1 = width - n0
        for k in 0..<count {
            m0 += size
            m1 -= size
            let t = row[k]
            u0 += t
            u1 -= t
            guard m1 >= minLength && m0 >= minLength else { continue }
            let bound = abs(u0 * m1 - u1 * m0) + 0x1p-50 * (abs(u0) * m1 + abs(u1) * m0)
            let p = m0 * m1, q = (m0 - c) * (m1 - c)
            let l = bound * q - linear * p
            if l <= 0 || l * l <= quadratic * q * p * p { continue }
            let deltaPrime = width == lowWidth ? deltaLow : log(2 * log(width) / settings.delta)
            if Self.riverCut(n0: m0, n1: m1, u0: u0, u1: u1, meanSquares: meanSquares, deltaPrime: deltaPrime, minLength: minLength) {
                return true
            }
        }
        return false
    }

    /// Whether some cut of the window passes river's test
    /// |u0/n0 − u1/n1| > ε = √(2·m·V·δ′) + ⅔·δ′·m, m = 1/(n0 − c) + 1/(n1 − c), c = min − 1,
    /// V = squares/width, δ′ = ln(2·ln(width)/δ).
    ///
    /// river's arithmetic (two divisions, then two more and a square root for ε) runs only
    /// for cuts that a division-free bound cannot rule out. With D = u0·n1 − u1·n0,
    /// P = n0·n1, Q = (n0 − c)(n1 − c) and S = width − 2c, m = S/Q and the test reads
    /// |D|/P > √(2VδS/Q) + ⅔δS/Q, i.e. L = |D|·Q − ⅔δS·P > 0 and L² > 2VδS·Q·P². Rounding
    /// is covered by adding 2⁻⁵⁰·(|u0|·n1 + |u1|·n0) to |D| (well above the error of both D
    /// and river's difference of quotients) and by shrinking the bound by 10⁻⁹ (far above the
    /// error of any product here); NaN or infinity always goes to river's test.
    private func plainHasCut() -> Bool {
        let width = windowWidth, delta = settings.delta, minLength = minLength
        let deltaPrime = log(2 * log(width) / delta)
        let meanSquares = squares / width
        let c = minLength - 1
        let span = width - 2 * c
        let shortcut = deltaPrime > 0 && meanSquares >= 0 && span > 0 && deltaPrime.isFinite && meanSquares.isFinite
        let shrink = 1 - 1e-9
        let linear = shrink * (2.0 / 3.0) * deltaPrime * span
        let quadratic = shrink * shrink * 2 * meanSquares * deltaPrime * span
        // ε·n0·n1 ≥ √(2·V·δ′·width·n0·n1) + ⅔·δ′·width, as m·n0·n1 ≥ n0 + n1 = width.
        let rootFactor = 2 * meanSquares * deltaPrime * width
        let linearFloor = 2.0 / 3.0 * deltaPrime * width
        let counts = buckets.counts, totals = buckets.totals
        var n0 = 0.0, n1 = width, u0 = 0.0, u1 = total
        var level = levels &- 1
        while level >= 0 {
            let size = Self.power(level)
            // The cut after the newest value leaves nothing on its right: river stops before it.
            let count = level == 0 ? counts[0] &- 1 : counts[level]
            let row = level &* rowLength
            if shortcut && count > 0, let (past0, past1) = Self.sumsPastLevel(
                totals + row, count: count, size: size, n0: n0, n1: n1, u0: u0, u1: u1, rootFactor: rootFactor, linearFloor: linearFloor) {
                u0 = past0
                u1 = past1
                n0 += Double(count) * size
                n1 -= Double(count) * size
                level &-= 1
                continue
            }
            var k = 0
            while k < count {
                n0 += size
                n1 -= size
                let t = totals[row &+ k]
                u0 += t
                u1 -= t
                k &+= 1
                guard n1 >= minLength && n0 >= minLength else { continue }
                if shortcut {
                    let bound = abs(u0 * n1 - u1 * n0) + 0x1p-50 * (abs(u0) * n1 + abs(u1) * n0)
                    let p = n0 * n1, q = (n0 - c) * (n1 - c)
                    let l = bound * q - linear * p
                    if l <= 0 || l * l <= quadratic * q * p * p { continue }
                }
                if Self.riverCut(n0: n0, n1: n1, u0: u0, u1: u1, meanSquares: meanSquares, deltaPrime: deltaPrime, minLength: minLength) {
                    return true
                }
            }
            level &-= 1
        }
        return false
    }

    /// When no cut inside one level can pass, u0 and u1 after the level, summed as the
    /// cut-by-cut loop would; nil when the level needs that loop. Entering the level with
    /// sums U0, U1 and counts N0, N1 (W = N0 + N1), the cut after its j-th bucket (totals
    /// tᵢ, size s) has u0·n1 − u1·n0 = Dⱼ = D0 + Σᵢ≤ⱼ (tᵢ·W − s·(U0 + U1)) with
    /// D0 = U0·N1 − U1·N0, up to the rounding of the running sums. A cut passes only if
    /// |Dⱼ| > ε·n0·n1 ≥ √(`rootFactor`·n0·n1) + `linearFloor` (since m·n0·n1 ≥ W), and
    /// n0·n1 is smallest at the level's first or last cut. The bound is shrunk by 10⁻⁹ and a
    /// slack of 10⁻¹² of the magnitudes involved is added, far above the rounding of the
    /// running sums, of these products and of river's own quotients.
    @inline(__always)
    private static func sumsPastLevel(_ row: UnsafeMutablePointer<Double>, count: Int, size: Double,
                                      n0: Double, n1: Double, u0: Double, u1: Double,
                                      rootFactor: Double, linearFloor: Double) -> (Double, Double)? {
        let last0 = n0 + Double(count) * size, last1 = n1 - Double(count) * size
        guard last1 >= 1 else { return nil }
        let width = n0 + n1, step = size * (u0 + u1)
        var d = u0 * n1 - u1 * n0, peak = 0.0, magnitude = 0.0
        var past0 = u0, past1 = u1
        for k in 0..<count {
            let t = row[k]
            d += t * width - step
            peak = Swift.max(peak, abs(d))
            magnitude += abs(t)
            past0 += t
            past1 -= t
        }
        let slack = 1e-12 * (abs(u0) + abs(u1) + 2 * magnitude) * width
        let smallest = Swift.min((n0 + size) * (n1 - size), last0 * last1)
        // peak + slack ≤ (√(rootFactor·smallest) + linearFloor)·shrink, without the root.
        let shrink = 1 - 1e-9
        let excess = peak + slack - linearFloor * shrink
        let passes = excess <= 0 || excess * excess <= rootFactor * shrink * shrink * smallest
        return passes ? (past0, past1) : nil
    }

    /// river's `evaluate_cut`, operation for operation (kept out of the scan loop, which
    /// rarely needs it).
    @inline(never)
    private static func riverCut(n0: Double, n1: Double, u0: Double, u1: Double, meanSquares: Double, deltaPrime: Double, minLength: Double) -> Bool {
        let deltaMean = u0 / n0 - u1 / n1
        let mRecip = 1 / (n0 - minLength + 1) + 1 / (n1 - minLength + 1)
        let epsilon = (2 * mRecip * meanSquares * deltaPrime).squareRoot() + 2.0 / 3.0 * deltaPrime * mRecip
        return abs(deltaMean) > epsilon
    }

    private mutating func dropOldestBucket() {
        let last = levels &- 1
        let row = last &* rowLength
        let counts = buckets.counts, totals = buckets.totals, squaresOf = buckets.squares
        let n = Self.power(last)
        let u = totals[row], v = squaresOf[row]
        let mu = u / n
        windowWidth -= n
        total -= u
        let muWindow = total / windowWidth
        squares -= v + n * windowWidth * (mu - muWindow) * (mu - muWindow) / (n + windowWidth)
        Self.shift(totals + row, by: 1, count: counts[last])
        Self.shift(squaresOf + row, by: 1, count: counts[last])
        counts[last] &-= 1
        if counts[last] == 0 { levels &-= 1 }
        stale = Self.maxLevels
    }

    /// 2^e, exactly, for |e| < 1023.
    @inline(__always)
    private static func power(_ e: Int) -> Double {
        Double(bitPattern: UInt64(truncatingIfNeeded: 1023 &+ e) << 52)
    }

    /// Moves a row's slots `by` places towards its start, two at a time (a row is a handful
    /// of slots: a plain loop would become a call to memmove).
    @inline(__always)
    private static func shift(_ row: UnsafeMutablePointer<Double>, by n: Int, count: Int) {
        var j = n
        while j &+ 1 < count {
            let pair = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD2<Double>.self)
            UnsafeMutableRawPointer(row + (j &- n)).storeBytes(of: pair, as: SIMD2<Double>.self)
            j &+= 2
        }
        if j < count { row[j &- n] = row[j] }
    }
}
