import Foundation

/// Tests on the paired K×K table of reviewed items (predicted class × observed class): is the
/// distribution of predicted classes the distribution of observed classes? This is marginal
/// homogeneity of one sample, not a comparison of two independent samples.
public enum PairedTests {
    /// Stuart–Maxwell test of marginal homogeneity, as statsmodels'
    /// `SquareTable(table, shift_zeros=False).homogeneity("stuart_maxwell")`.
    ///
    /// `table[i][j]` counts items predicted `i` and observed `j` (the test is symmetric in the
    /// two). Classes without any discordant item (row and column off the diagonal all zero)
    /// have equal margins by construction and would make the covariance singular: they are
    /// left out, and the degrees of freedom are the remaining classes − 1.
    public static func stuartMaxwell(_ table: [[Int]]) -> ChiSquareResult {
        let all = table.count
        let kept = (0..<all).filter { k in
            (0..<all).contains { j in j != k && (table[k][j] > 0 || table[j][k] > 0) }
        }
        let k = kept.count
        guard k >= 2 else { return ChiSquareResult(statistic: 0, pValue: 1, degreesOfFreedom: Swift.max(k - 1, 0)) }
        var n = 0.0
        for i in kept { for j in kept { n += Double(table[i][j]) } }
        // Proportions of the kept table; the last kept class is dropped (the margins sum to 1).
        let m = k - 1
        var row = [Double](repeating: 0, count: m), col = [Double](repeating: 0, count: m)
        var p = [Double](repeating: 0, count: m * m)
        for (a, i) in kept.enumerated() {
            for (b, j) in kept.enumerated() {
                let v = Double(table[i][j]) / n
                if a < m { row[a] += v }
                if b < m { col[b] += v }
                if a < m && b < m { p[a * m + b] = v }
            }
        }
        var d = [Double](repeating: 0, count: m)
        var v = [Double](repeating: 0, count: m * m)
        for a in 0..<m {
            d[a] = col[a] - row[a]
            for b in 0..<m { v[a * m + b] = -(p[a * m + b] + p[b * m + a]) }
            v[a * m + a] = row[a] + col[a] - 2 * p[a * m + a]
        }
        guard let solved = LinearAlgebra.solve(v, d, size: m) else {
            return ChiSquareResult(statistic: .nan, pValue: .nan, degreesOfFreedom: m)
        }
        var quad = 0.0
        for a in 0..<m { quad += d[a] * solved[a] }
        let statistic = n * quad
        return ChiSquareResult(statistic: statistic, pValue: SpecialFunctions.chiSquareSurvival(statistic, degreesOfFreedom: Double(m)), degreesOfFreedom: m)
    }

    /// McNemar's test for one class: `b` items predicted as the class but observed as another,
    /// `c` observed as the class but predicted as another.
    public struct McNemar: Sendable, Equatable, Codable {
        public var b: Int
        public var c: Int
        /// `exact` (two-sided binomial, as statsmodels `mcnemar(exact=True)`) or
        /// `chi_square_corrected` (`(|b−c|−1)²/(b+c)`, as `mcnemar(exact=False)`).
        public var method: String
        public var statistic: Double
        public var pValue: Double
    }

    /// The discordant count below which McNemar uses the exact binomial test.
    public static let exactMcNemarBelow = 25

    /// McNemar's test: exact when `b + c` is below ``exactMcNemarBelow`` (or `exact` is
    /// forced), otherwise χ² with continuity correction.
    public static func mcnemar(b: Int, c: Int, exact: Bool? = nil) -> McNemar {
        let n = b + c
        if exact ?? (n < exactMcNemarBelow) {
            return McNemar(b: b, c: c, method: "exact", statistic: Double(Swift.min(b, c)), pValue: SpecialFunctions.signTestPValue(Swift.min(b, c), trials: n))
        }
        let diff = Swift.abs(Double(b - c)) - 1
        let statistic = diff * diff / Double(n)
        return McNemar(b: b, c: c, method: "chi_square_corrected", statistic: statistic,
                       pValue: SpecialFunctions.chiSquareSurvival(statistic, degreesOfFreedom: 1))
    }

    /// Newcombe's hybrid score interval (1998, method 10) for the difference of two paired
    /// proportions p₁ − p₂, where of `n` items `both` have both properties, `onlyFirst` only
    /// the first, `onlySecond` only the second. Built from the two Wilson intervals and the
    /// φ correlation of the 2×2 table; never outside [−1, 1].
    public static func newcombeDifference(both a: Int, onlyFirst b: Int, onlySecond c: Int, total n: Int, confidence: Double) -> Interval? {
        guard n > 0 else { return nil }
        let d = n - a - b - c
        let p1 = Double(a + b) / Double(n), p2 = Double(a + c) / Double(n)
        guard let w1 = WilsonInterval.interval(successes: a + b, trials: n, confidence: confidence),
              let w2 = WilsonInterval.interval(successes: a + c, trials: n, confidence: confidence) else { return nil }
        let denominator = Double(a + b) * Double(c + d) * Double(a + c) * Double(b + d)
        let phi = denominator > 0 ? (Double(a) * Double(d) - Double(b) * Double(c)) / denominator.squareRoot() : 0
        let delta = p1 - p2
        let dl1 = p1 - w1.lower, du1 = w1.upper - p1, dl2 = p2 - w2.lower, du2 = w2.upper - p2
        let lower = delta - Swift.max(0, dl1 * dl1 - 2 * phi * dl1 * du2 + du2 * du2).squareRoot()
        let upper = delta + Swift.max(0, du1 * du1 - 2 * phi * du1 * dl2 + dl2 * dl2).squareRoot()
        return Interval(lower: Swift.max(-1, lower), upper: Swift.min(1, upper))
    }
}

/// Small dense linear algebra for the tests' covariance matrices.
enum LinearAlgebra {
    /// Solves `A x = b` for a dense row-major `size×size` matrix by Gaussian elimination with
    /// partial pivoting; `nil` when `A` is singular to working precision.
    static func solve(_ matrix: [Double], _ rhs: [Double], size n: Int) -> [Double]? {
        var a = matrix, b = rhs
        var scale = 0.0
        for v in a { scale = Swift.max(scale, Swift.abs(v)) }
        let tiny = scale * Double(n) * 1e-14
        for col in 0..<n {
            var pivot = col
            for r in (col + 1)..<Swift.max(col + 1, n) where Swift.abs(a[r * n + col]) > Swift.abs(a[pivot * n + col]) { pivot = r }
            guard Swift.abs(a[pivot * n + col]) > tiny else { return nil }
            if pivot != col {
                for j in 0..<n { a.swapAt(col * n + j, pivot * n + j) }
                b.swapAt(col, pivot)
            }
            for r in (col + 1)..<Swift.max(col + 1, n) {
                let f = a[r * n + col] / a[col * n + col]
                if f == 0 { continue }
                for j in col..<n { a[r * n + j] -= f * a[col * n + j] }
                b[r] -= f * b[col]
            }
        }
        var x = [Double](repeating: 0, count: n)
        for r in stride(from: n - 1, through: 0, by: -1) {
            var s = b[r]
            for j in (r + 1)..<Swift.max(r + 1, n) { s -= a[r * n + j] * x[j] }
            x[r] = s / a[r * n + r]
        }
        return x
    }
}
