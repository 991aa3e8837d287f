import Foundation

/// The RBF kernel matrix K(zᵢ, zⱼ) = exp(−‖zᵢ − zⱼ‖²/h) of a pooled sample, with the median
/// heuristic h = median of ‖zᵢ − zⱼ‖² over the pairs i < j, computed once (upper triangle,
/// N×N doubles) and reused by every permutation of the MMD test.
///
/// Squared distances are formed as the vectorised numpy peer forms them, ‖zᵢ‖² + ‖zⱼ‖² − 2 zᵢ·zⱼ
/// clamped at 0, so h agrees with it to rounding. The median comes from a histogram selection
/// over the triangle (two passes, no copy, no sort of N²/2 values); of an even number of pairs
/// it is the mean of the two middle values, as `numpy.median`.
///
/// ```swift
/// let kernel = RBFKernelMatrix(GramMatrix(rows: pooled, count: n + m, dimension: d))
/// kernel.bandwidth   // h
/// ```
public final class RBFKernelMatrix: @unchecked Sendable {
    // @unchecked: the buffer is written only during init and read-only afterwards.
    /// Number of rows N of the pooled sample.
    public let count: Int
    /// The bandwidth h (median of the squared pairwise distances).
    public let bandwidth: Double
    /// Row sums rᵢ = Σⱼ K(zᵢ, zⱼ), diagonal included.
    public let rowSums: [Double]

    /// N×N row-major; entries (i, j ≥ i) hold K, diagonal 1.
    let storage: UnsafeMutablePointer<Double>

    public convenience init(rows: UnsafeBufferPointer<Double>, count: Int, dimension: Int) {
        self.init(GramMatrix(rows: rows, count: count, dimension: dimension))
    }

    /// Turns the Gram matrix into the kernel matrix in place.
    public init(_ gram: GramMatrix) {
        let n = gram.count
        count = n
        let k = gram.takeStorage()
        storage = k
        nonisolated(unsafe) let buffer = k
        let sq = gram.squaredNorms
        let rows = UpperTriangleRows(count: n)

        // squared distances, in place, and their range
        let ranges = rows.map { _, range -> (Double, Double) in
            var lo = Double.infinity, hi = -Double.infinity
            for i in range {
                let row = buffer + i * n
                let si = sq[i]
                row[i] = 0
                for j in (i + 1)..<max(i + 1, n) {
                    let d = max(si + sq[j] - 2.0 * row[j], 0)
                    row[j] = d
                    lo = min(lo, d)
                    hi = max(hi, d)
                }
            }
            return (lo, hi)
        }
        let lo = ranges.map(\.0).min() ?? 0, hi = ranges.map(\.1).max() ?? 0
        let h = Self.median(buffer, count: n, rows: rows, lo: lo, hi: hi)
        bandwidth = h

        // kernel values, in place, and row sums (each entry counts for row i and row j)
        let partialSums = rows.map { _, range -> [Double] in
            var sums = [Double](repeating: 0, count: n)
            for i in range {
                let row = buffer + i * n
                row[i] = 1
                var own = 1.0
                for j in (i + 1)..<max(i + 1, n) {
                    let v = exp(-row[j] / h)
                    row[j] = v
                    own += v
                    sums[j] += v
                }
                sums[i] += own
            }
            return sums
        }
        var sums = [Double](repeating: 0, count: n)
        for part in partialSums { for i in 0..<n { sums[i] += part[i] } }
        rowSums = sums
    }

    deinit { storage.deallocate() }

    /// Median of the strict upper triangle: a histogram over [lo, hi] locates the bucket(s) of
    /// the middle rank(s); only the values in them are gathered and sorted.
    static func median(_ buffer: UnsafeMutablePointer<Double>, count n: Int, rows: UpperTriangleRows,
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
        let middle = gathered.flatMap { $0 }.sorted()
        let a = middle[lowRank - belowLow], b = middle[highRank - belowLow]
        return lowRank == highRank ? a : (a + b) / 2
    }
}
