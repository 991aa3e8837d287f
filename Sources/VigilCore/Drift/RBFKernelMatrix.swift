import Foundation

/// The RBF kernel matrix K(zᵢ, zⱼ) = exp(−‖zᵢ − zⱼ‖²/h) of a pooled sample, with the median
/// heuristic h = median of ‖zᵢ − zⱼ‖² over the pairs i < j, computed once and reused by every
/// permutation of the MMD test.
///
/// Squared distances are formed in double as the vectorised numpy peer forms them,
/// ‖zᵢ‖² + ‖zⱼ‖² − 2 zᵢ·zⱼ clamped at 0, so h agrees with it to rounding; of an even number of
/// pairs the median is the mean of the two middle values, as `numpy.median`. It is found
/// without sorting the N(N−1)/2 values: a seeded sample of pairs brackets the middle ranks,
/// one pass counts the values below the bracket and gathers those inside it, and only those
/// are sorted (a histogram selection takes over in the rare case the bracket misses).
///
/// Kept for the permutations: the upper triangle of K − c in single precision, with
/// c = e⁻¹ (the kernel's median value, so the stored entries are centred and the float sums
/// stay small), the row sums in double, and the double sum of the first block.
///
/// ```swift
/// let kernel = RBFKernelMatrix(GramMatrix(rows: pooled, count: n + m, dimension: d), firstCount: n)
/// kernel.bandwidth   // h
/// ```
public final class RBFKernelMatrix: @unchecked Sendable {
    // @unchecked: the buffer is written only during init and read-only afterwards.
    /// Number of rows N of the pooled sample.
    public let count: Int
    /// Rows 0..<firstCount are the first (reference) sample.
    public let firstCount: Int
    /// The bandwidth h (median of the squared pairwise distances).
    public let bandwidth: Double
    /// Row sums rᵢ = Σⱼ K(zᵢ, zⱼ), diagonal included, in double.
    public let rowSums: [Double]
    /// Σ K over the first sample's block (i, j < firstCount), diagonal included, in double.
    public let firstBlockSum: Double
    /// The constant subtracted from the stored single-precision entries.
    let centre: Float
    /// Row-major single precision with leading dimension 2N (inside the N×N double buffer the
    /// distances were computed in); entries (i, j ≥ i) hold K − centre.
    let centred: UnsafeMutablePointer<Float>

    public convenience init(rows: UnsafeBufferPointer<Double>, count: Int, dimension: Int, firstCount: Int) {
        self.init(GramMatrix(rows: rows, count: count, dimension: dimension), firstCount: firstCount)
    }

    /// Turns the Gram matrix into squared distances in place, finds h, and stores the kernel.
    public init(_ gram: GramMatrix, firstCount: Int) {
        let n = gram.count
        precondition(firstCount >= 0 && firstCount <= n)
        count = n
        self.firstCount = firstCount
        let distances = gram.takeStorage()
        nonisolated(unsafe) let buffer = distances
        let rows = UpperTriangleRows(count: n)
        let h = Self.squaredDistancesAndMedian(buffer, squaredNorms: gram.squaredNorms, rows: rows)
        bandwidth = h

        let c = Float(exp(-1.0))
        centre = c
        let cd = Double(c)
        // The single-precision triangle reuses the distance buffer: float row i (leading
        // dimension 2N) is the first half of double row i. Writing float entry j overwrites
        // double entry ⌊j/2⌋ ≤ j of the same row, which has been read by then (or lies below
        // the diagonal, unused).
        let floats = UnsafeMutableRawPointer(distances).bindMemory(to: Float.self, capacity: 2 * n * n)
        centred = floats
        nonisolated(unsafe) let out = floats
        // kernel values; row sums (an entry counts for row i and for row j); the first block
        let parts = rows.map { _, range -> ([Double], Double) in
            var sums = [Double](repeating: 0, count: n)
            var block = KahanSum()
            sums.withUnsafeMutableBufferPointer { column in
                for i in range {
                    let row = buffer + i * n, dst = out + i * 2 * n
                    // the kernel values (two at a time); then the row's own sums (j < split lies
                    // inside the first block), the column sums and the float copy
                    var j = i + 1
                    while j + 1 < n {
                        let d = UnsafeRawPointer(row + j).loadUnaligned(as: SIMD2<Double>.self)
                        UnsafeMutableRawPointer(row + j).storeBytes(of: kernelExponential(-d / h), as: SIMD2<Double>.self)
                        j += 2
                    }
                    if j < n { row[j] = kernelExponential(-row[j] / h) }
                    // one pass for the rest: the row's own sum in order (its sequential adds
                    // overlap the column sums and the float copy), the first block's part first
                    let split = i < firstCount ? firstCount : i + 1
                    var own = 0.0
                    for j in (i + 1)..<split {
                        let v = row[j]
                        own += v
                        column[j] += v
                        dst[j] = Float(v - cd)
                    }
                    block.add(own)
                    for j in split..<max(split, n) {
                        let v = row[j]
                        own += v
                        column[j] += v
                        dst[j] = Float(v - cd)
                    }
                    column[i] += 1 + own
                    dst[i] = Float(1 - cd)
                }
            }
            return (sums, block.value)
        }
        var sums = [Double](repeating: 0, count: n)
        var block = KahanSum()
        for (part, b) in parts {
            for i in 0..<n { sums[i] += part[i] }
            block.add(b)
        }
        rowSums = sums
        firstBlockSum = Double(firstCount) + 2 * block.value
    }

    deinit { UnsafeMutableRawPointer(centred).deallocate() }

    /// Writes ‖zᵢ‖² + ‖zⱼ‖² − 2 zᵢ·zⱼ (clamped at 0) over the Gram entries (i < j) and returns
    /// the median of those values.
    static func squaredDistancesAndMedian(_ buffer: UnsafeMutablePointer<Double>, squaredNorms sq: [Double],
                                          rows: UpperTriangleRows) -> Double
    {
        let n = sq.count
        let total = n * (n - 1) / 2
        let lowRank = (total - 1) / 2, highRank = total / 2
        nonisolated(unsafe) let values = buffer
        @Sendable func distance(_ i: Int, _ j: Int) -> Double { max(sq[i] + sq[j] - 2.0 * values[i * n + j], 0) }

        // bracket the middle ranks by the 49.6th and 50.4th percentiles of 262,144 sampled pairs
        // (each four standard errors from the median); small triangles are gathered whole
        let sampleSize = 1 << 18
        var lo = 0.0, hi = Double.infinity
        if total > 16 * sampleSize {
            // the pairs in the generator's order, then their distances (scattered reads of the
            // matrix, the slow part) on all cores
            var rng = SplitMix64(seed: 0x6D65_6469_616E)
            var pairs = [(Int, Int)]()
            pairs.reserveCapacity(sampleSize)
            while pairs.count < sampleSize {
                let a = Int(rng.next() % UInt64(n)), b = Int(rng.next() % UInt64(n))
                if a != b { pairs.append((min(a, b), max(a, b))) }
            }
            var sample = [Double](repeating: 0, count: sampleSize)
            let parts = max(1, rows.ranges.count)
            pairs.withUnsafeBufferPointer { pairs in
                sample.withUnsafeMutableBufferPointer { out in
                    nonisolated(unsafe) let pairs = pairs, out = out
                    DispatchQueue.concurrentPerform(iterations: parts) { part in
                        for k in stride(from: part * sampleSize / parts, to: (part + 1) * sampleSize / parts, by: 1) {
                            out[k] = distance(pairs[k].0, pairs[k].1)
                        }
                    }
                }
            }
            // the two order statistics by selection, not a sort of the whole sample
            let low = Int(0.496 * Double(sampleSize)), high = Int(0.504 * Double(sampleSize))
            lo = select(&sample, low, in: 0..<sampleSize)
            hi = select(&sample, high, in: (low + 1)..<sampleSize)
        }
        let lowBits = lo.bitPattern, span = hi.bitPattern &- lo.bitPattern
        let parts = sq.withUnsafeBufferPointer { norms in
            nonisolated(unsafe) let norms = norms
            return rows.map { _, range -> (Int, [Double]) in
                var countBelow = 0
                var gathered: [Double] = []
                for i in range {
                    let row = values + i * n
                    let si = norms[i]
                    for j in (i + 1)..<max(i + 1, n) { row[j] = max(si + norms[j] - 2.0 * row[j], 0) }
                    for j in (i + 1)..<max(i + 1, n) {
                        // non-negative doubles order as their bit patterns: one unsigned compare
                        // tells "inside the bracket", a branch that is rarely taken
                        let bits = (row[j] + 0.0).bitPattern
                        countBelow &+= bits < lowBits ? 1 : 0
                        if bits &- lowBits <= span { gathered.append(row[j]) }
                    }
                }
                return (countBelow, gathered)
            }
        }
        let countBelow = parts.reduce(0) { $0 + $1.0 }
        let gatheredCount = parts.reduce(0) { $0 + $1.1.count }
        if lowRank >= countBelow && highRank < countBelow + gatheredCount {
            var middle = parts.flatMap(\.1)
            return pick(&middle, lowRank - countBelow, highRank - countBelow)
        }
        let extremes = rows.map { _, range -> (Double, Double) in
            var minimum = Double.infinity, maximum = -Double.infinity
            for i in range {
                for j in (i + 1)..<max(i + 1, n) {
                    minimum = min(minimum, values[i * n + j])
                    maximum = max(maximum, values[i * n + j])
                }
            }
            return (minimum, maximum)
        }
        return histogramMedian(values, count: n, rows: rows, lo: extremes.map(\.0).min() ?? 0,
                               hi: extremes.map(\.1).max() ?? 0)
    }

    /// The mean of the values of ranks a and b = a or a + 1 (0-based) of `values`, which
    /// it reorders: what sorting and reading them gives, by selection.
    static func pick(_ values: inout [Double], _ a: Int, _ b: Int) -> Double {
        let x = select(&values, a, in: 0..<values.count)
        if a == b { return x }
        // after the selection, the values right of position a are those of higher rank
        var y = Double.infinity
        for v in values[(a + 1)...] { y = min(y, v) }
        return (x + y) / 2
    }

    /// The value of rank `k` (0-based) within `range` of `values` (Hoare's selection, median of
    /// three pivots), leaving smaller-or-equal values left of position k and larger-or-equal
    /// ones right of it. The values are finite (distances).
    static func select(_ values: inout [Double], _ k: Int, in range: Range<Int>) -> Double {
        values.withUnsafeMutableBufferPointer { v in
            var lo = range.lowerBound, hi = range.upperBound - 1
            while lo < hi {
                let mid = lo + (hi - lo) / 2
                if v[mid] < v[lo] { v.swapAt(mid, lo) }
                if v[hi] < v[lo] { v.swapAt(hi, lo) }
                if v[hi] < v[mid] { v.swapAt(hi, mid) }
                let pivot = v[mid]
                var i = lo, j = hi
                while i <= j {
                    while v[i] < pivot { i += 1 }
                    while pivot < v[j] { j -= 1 }
                    if i <= j {
                        v.swapAt(i, j)
                        i += 1
                        j -= 1
                    }
                }
                // lo...j ≤ pivot ≤ i...hi, and j < i
                if k <= j { hi = j } else if k >= i { lo = i } else { return v[k] }
            }
            return v[k]
        }
    }

    /// Median of the strict upper triangle: a histogram over [lo, hi] locates the bucket(s) of
    /// the middle rank(s); only the values in them are gathered and sorted.
    static func histogramMedian(_ buffer: UnsafeMutablePointer<Double>, count n: Int, rows: UpperTriangleRows,
                                lo: Double, hi: Double) -> Double
    {
        let total = n * (n - 1) / 2
        if !(hi > lo) { return lo }
        let buckets = min(1 << 20, max(16, total / 32))  // ~32 values a bucket, at most 1M buckets
        let scale = Double(buckets) / (hi - lo)
        nonisolated(unsafe) let values = buffer
        @Sendable func bucket(_ v: Double) -> Int { min(Int((v - lo) * scale), buckets - 1) }
        let histograms = rows.map { _, range -> [UInt32] in
            var counts = [UInt32](repeating: 0, count: buckets)
            for i in range {
                let row = values + i * n
                for j in (i + 1)..<max(i + 1, n) { counts[bucket(row[j])] &+= 1 }
            }
            return counts
        }
        let lowRank = (total - 1) / 2, highRank = total / 2
        var below = 0, lowBucket = -1, highBucket = -1, belowLow = 0
        for b in 0..<buckets {
            var c = 0
            for hgram in histograms { c += Int(hgram[b]) }
            if lowBucket < 0 && below + c > lowRank { lowBucket = b; belowLow = below }
            if below + c > highRank { highBucket = b; break }
            below += c
        }
        let (first, last) = (lowBucket, highBucket)
        let gathered = rows.map { _, range -> [Double] in
            var out: [Double] = []
            for i in range {
                let row = values + i * n
                for j in (i + 1)..<max(i + 1, n) {
                    let b = bucket(row[j])
                    if b >= first && b <= last { out.append(row[j]) }
                }
            }
            return out
        }
        var middle = gathered.flatMap { $0 }
        return pick(&middle, lowRank - belowLow, highRank - belowLow)
    }
}
