import COpenBLAS
import Foundation

/// The kernel two-sample test on embeddings (Gretton et al. 2012): unbiased MMD² with an RBF
/// kernel and the median-heuristic bandwidth, and a permutation p-value
/// p = (1 + #{permuted MMD² ≥ observed}) / (1 + P).
///
/// The kernel matrix is computed once (`RBFKernelMatrix`). A split of the pooled sample into
/// n "first" and m "second" rows is a 0/1 vector a; its block sums are aᵀKa, aᵀr − aᵀKa and
/// Σr − 2aᵀr + aᵀKa (r the row sums), so the observed split and all P random splits cost one
/// triangular matrix product U·A (U the upper triangle of K − e⁻¹ in single precision, A the
/// N×(P+1) indicators; `strmm`, half the work of K·A), with aᵀKa = 2·aᵀUa − n(1 − e⁻¹) + e⁻¹n².
/// Centring keeps the single-precision sums small (errors ~1e-10 on MMD², far below the spread
/// of the permutation distribution); the reported MMD² is computed in double from the row sums
/// and the first block's sum, and agrees with numpy's float64 to rounding.
///
/// ```swift
/// let r = MaximumMeanDiscrepancy.test(reference: refEmbeddings, current: curEmbeddings)
/// r.statistic                   // MMD²
/// r.pValue                      // ≥ 1/(P+1)
/// r.details["bandwidth_h"]      // h
/// ```
public enum MaximumMeanDiscrepancy {
    /// Runs the test on two sets of embeddings (rows of equal length).
    public static func test(reference: [[Float]], current: [[Float]], settings: MMDSettings = MMDSettings())
        -> TwoSampleTestResult
    {
        let d = reference.first?.count ?? 0
        precondition(reference.allSatisfy { $0.count == d } && current.allSatisfy { $0.count == d },
                     "every embedding must have the same dimension (\(d))")
        let x = reference.flatMap { $0.map(Double.init) }, y = current.flatMap { $0.map(Double.init) }
        return test(reference: x, current: y, dimension: d, settings: settings)
    }

    /// Runs the test on two row-major matrices of `dimension` columns.
    public static func test(reference: [Double], current: [Double], dimension: Int,
                            settings: MMDSettings = MMDSettings()) -> TwoSampleTestResult
    {
        precondition(dimension > 0 && reference.count % dimension == 0 && current.count % dimension == 0,
                     "the samples must hold whole rows of \(dimension) values")
        let x = subsample(reference, dimension: dimension, limit: settings.maxSamples, seed: settings.seed)
        let y = subsample(current, dimension: dimension, limit: settings.maxSamples, seed: settings.seed &+ 1)
        let n = x.count / dimension, m = y.count / dimension
        precondition(n >= 2 && m >= 2, "the unbiased MMD² needs at least two rows in each sample")
        let kernel = (x + y).withUnsafeBufferPointer {
            RBFKernelMatrix(rows: $0, count: n + m, dimension: dimension, firstCount: n)
        }
        return test(kernel: kernel, settings: settings)
    }

    /// The test on a kernel matrix already built from the pooled sample (its first
    /// `firstCount` rows are the reference).
    public static func test(kernel: RBFKernelMatrix, settings: MMDSettings) -> TwoSampleTestResult {
        let n = kernel.firstCount
        let (observed, splits) = statistics(kernel: kernel, permutations: settings.permutations, seed: settings.seed)
        let exceed = splits.dropFirst().filter { $0 >= splits[0] }.count
        let p = Double(1 + exceed) / Double(1 + settings.permutations)
        return TwoSampleTestResult(
            test: "mmd2_rbf", statistic: observed, pValue: settings.permutations > 0 ? p : nil, effectSize: nil,
            n: n, m: kernel.count - n, method: settings.permutations > 0 ? "permutation" : "none",
            details: ["bandwidth_h": kernel.bandwidth, "permutations": Double(settings.permutations),
                      "exceedances": Double(exceed)])
    }

    /// Floating-point operations of the permutation product for P permutations (`strmm` of an
    /// N×N triangle by N×(P+1)): N²(P+1).
    public static func permutationFlops(count: Int, permutations: Int) -> Double {
        Double(count) * Double(count) * Double(permutations + 1)
    }

    /// The observed MMD² in double precision, and MMD² of the observed split (index 0) and of
    /// `permutations` seeded random splits from the single-precision centred triangle, which
    /// the p-value compares like with like.
    static func statistics(kernel: RBFKernelMatrix, permutations: Int, seed: UInt64)
        -> (observed: Double, splits: [Double])
    {
        let big = kernel.count, n = kernel.firstCount, m = big - n
        let columns = permutations + 1
        // A: row-major N × (P+1) indicators of the first sample; column 0 is the observed split.
        var a = [Float](repeating: 0, count: big * columns)
        for i in 0..<n { a[i * columns] = 1 }
        var rng = SplitMix64(seed: seed)
        var order = Array(0..<big)
        for c in 1..<max(columns, 1) {
            for i in 0..<n {  // partial Fisher–Yates: the first n of a uniform permutation
                order.swapAt(i, Int.random(in: i..<big, using: &rng))
            }
            for i in 0..<n { a[order[i] * columns + c] = 1 }
        }
        var ua = a
        cblas_strmm(CblasRowMajor, CblasLeft, CblasUpper, CblasNoTrans, CblasNonUnit, Int32(big), Int32(columns), 1.0,
                    kernel.centred, Int32(2 * big), &ua, Int32(columns))
        let r = kernel.rowSums
        // compensated sums: they feed a difference of nearly equal terms
        var grand = KahanSum()
        for v in r { grand.add(v) }
        let total = grand.value
        var quadratic = [Double](repeating: 0, count: columns)
        var rowSums = [KahanSum](repeating: KahanSum(), count: columns)
        // each column's sums in row order, the columns split between the cores
        let parts = min(columns, ProcessInfo.processInfo.activeProcessorCount)
        a.withUnsafeBufferPointer { a in
            ua.withUnsafeBufferPointer { ua in
                r.withUnsafeBufferPointer { r in
                    quadratic.withUnsafeMutableBufferPointer { quadratic in
                        rowSums.withUnsafeMutableBufferPointer { rowSums in
                            nonisolated(unsafe) let a = a, ua = ua, r = r, quadratic = quadratic, rowSums = rowSums
                            DispatchQueue.concurrentPerform(iterations: parts) { part in
                                let first = part * columns / parts, end = (part + 1) * columns / parts
                                for i in 0..<big {
                                    for c in first..<end where a[i * columns + c] != 0 {
                                        quadratic[c] += Double(ua[i * columns + c])
                                        rowSums[c].add(r[i])
                                    }
                                }
                            }
                        }
                    }
                }
            }
        }
        let ar = rowSums.map(\.value)
        let nd = Double(n), md = Double(m), centre = Double(kernel.centre)
        func mmd2(sxx: Double, ar: Double) -> Double {
            let sxy = ar - sxx
            let syy = total - 2.0 * ar + sxx
            return (sxx - nd) / Double(n * (n - 1)) + (syy - md) / Double(m * (m - 1)) - 2.0 * sxy / Double(n * m)
        }
        // aᵀKa = aᵀ(K − c)a + c·n², and aᵀ(K − c)a = 2·aᵀU a − n(1 − c) for U its upper triangle
        let splits = (0..<columns).map { c in
            mmd2(sxx: 2 * quadratic[c] - nd * Double(1 - kernel.centre) + centre * nd * nd, ar: ar[c])
        }
        return (mmd2(sxx: kernel.firstBlockSum, ar: ar[0]), splits)
    }

    /// A seeded uniform subset of `limit` rows, in their original order (all rows when fewer).
    static func subsample(_ rows: [Double], dimension: Int, limit: Int, seed: UInt64) -> [Double] {
        let count = rows.count / dimension
        guard limit > 0, count > limit else { return rows }
        var rng = SplitMix64(seed: seed ^ 0x5EED_5AB5_A3B1_E000)
        var order = Array(0..<count)
        for i in 0..<limit { order.swapAt(i, Int.random(in: i..<count, using: &rng)) }
        var out: [Double] = []
        out.reserveCapacity(limit * dimension)
        for i in order[0..<limit].sorted() { out.append(contentsOf: rows[(i * dimension)..<((i + 1) * dimension)]) }
        return out
    }
}
