import Foundation

/// The two-sample Kolmogorov–Smirnov test, two-sided, computed exactly as
/// `scipy.stats.ks_2samp(x, y)` with its defaults (`method='auto'`): the exact distribution of
/// D when both samples have at most 10,000 values, Smirnov's asymptotic distribution
/// (`kstwo.sf(D, round(nm/(n+m)))`) otherwise or when the exact computation fails numerically.
///
/// ```swift
/// let r = KolmogorovSmirnov.test(referenceScores, currentScores)
/// r.statistic   // D = sup |F₁ − F₂|
/// r.pValue      // P(D ≥ observed) under equal distributions
/// ```
public enum KolmogorovSmirnov {
    /// Both sizes at most this: the exact p-value is attempted (scipy's `MAX_AUTO_N`).
    public static let exactSizeLimit = 10_000

    /// Runs the test. Both samples must be non-empty; a NaN anywhere gives a NaN statistic and
    /// p-value (scipy's `nan_policy='propagate'`).
    public static func test(_ first: [Double], _ second: [Double]) -> TwoSampleTestResult {
        precondition(!first.isEmpty && !second.isEmpty, "ks_2samp needs two non-empty samples")
        let n1 = first.count, n2 = second.count
        if first.contains(where: \.isNaN) || second.contains(where: \.isNaN) {
            return result(d: .nan, p: .nan, n1: n1, n2: n2, method: "none", sign: 0, location: .nan)
        }
        let (dRaw, sign, location) = statistic(first.sorted(), second.sorted())
        var d = dRaw
        var p = Double.nan
        var method = max(n1, n2) <= exactSizeLimit ? "exact" : "asymptotic"
        if method == "exact" {
            let g = gcd(n1, n2)
            let lcm = (n1 / g) * n2
            let h = Int((d * Double(lcm)).rounded(.toNearestOrEven))
            d = Double(h) / Double(lcm)
            if h == 0 {
                p = 1
            } else {
                p = n1 == n2 ? probabilityOutsideSquare(n: n1, h: h) : probabilityOutsideBand(n1, n2, g: g, h: h)
            }
            if !(p >= 0 && p <= 1) { method = "asymptotic" }
        }
        if method == "asymptotic" {
            let big = Double(max(n1, n2)), small = Double(min(n1, n2))
            let en = big * small / (big + small)
            p = KolmogorovDistribution.survival(n: Int(en.rounded(.toNearestOrEven)), x: d)
        }
        return result(d: d, p: min(max(p, 0), 1), n1: n1, n2: n2, method: method, sign: sign, location: location)
    }

    private static func result(d: Double, p: Double, n1: Int, n2: Int, method: String, sign: Double, location: Double)
        -> TwoSampleTestResult
    {
        TwoSampleTestResult(test: "ks_2samp", statistic: d, pValue: p, effectSize: d, n: n1, m: n2, method: method,
                            details: ["statistic_location": location, "statistic_sign": sign])
    }

    /// D = max over the pooled values v of |F₁(v) − F₂(v)| with right-continuous ECDFs, with
    /// scipy's tie-break (D⁻ wins only when strictly larger) and the value where it is reached.
    static func statistic(_ a: [Double], _ b: [Double]) -> (d: Double, sign: Double, location: Double) {
        let n1 = Double(a.count), n2 = Double(b.count)
        var i = 0, j = 0
        var maxDiff = -Double.infinity, maxAt = Double.nan
        var minDiff = Double.infinity, minAt = Double.nan
        // scipy evaluates the ECDF difference at every pooled value and keeps the first arg-max
        // in the order (sorted first sample, then sorted second); equal values give equal
        // differences, so walking distinct values and remembering the first one reached in that
        // order gives the same statistic and location.
        var firstMaxKey = (Int.max, Int.max), firstMinKey = (Int.max, Int.max)
        while i < a.count || j < b.count {
            let v = j >= b.count || (i < a.count && a[i] <= b[j]) ? a[i] : b[j]
            let i0 = i, j0 = j
            while i < a.count && a[i] == v { i += 1 }
            while j < b.count && b[j] == v { j += 1 }
            let diff = Double(i) / n1 - Double(j) / n2
            // the first position of v in [sorted a, sorted b]
            let key = i > i0 ? (0, i0) : (1, j0)
            if diff > maxDiff || (diff == maxDiff && key < firstMaxKey) { maxDiff = diff; maxAt = v; firstMaxKey = key }
            if diff < minDiff || (diff == minDiff && key < firstMinKey) { minDiff = diff; minAt = v; firstMinKey = key }
        }
        let minS = min(max(-minDiff, 0), 1)
        return minS > maxDiff ? (minS, -1, minAt) : (maxDiff, 1, maxAt)
    }

    /// P(D ≥ h/n) for equal sizes n (scipy `_compute_prob_outside_square`): the alternating sum
    /// 2 Σ (−1)^(k−1) C(2n, n−kh)/C(2n, n), in a Horner-like product that avoids cancellation.
    static func probabilityOutsideSquare(n: Int, h: Int) -> Double {
        var total = 0.0
        var k = n / h
        while k >= 0 {
            var term = 1.0
            for j in 0..<h {
                term = Double(n - k * h - j) * term / Double(n + k * h + j + 1)
            }
            total = term * (1.0 - total)
            k -= 1
        }
        return 2 * total
    }

    /// P(D ≥ h/lcm) for unequal sizes (scipy `_compute_outer_prob_inside_method`): the lattice
    /// paths from (0,0) to (m,n) that leave the band |x/m − y/n| < h/lcm, counted as a
    /// proportion column by column (Hodges 1958; Viehmann 2021's recursion for 1 − p).
    static func probabilityOutsideBand(_ a: Int, _ b: Int, g: Int, h: Int) -> Double {
        let m = max(a, b), n = min(a, b)
        let mg = m / g, ng = n / g
        var minj = 0
        var maxj = min(Int((Double(h) / Double(mg)).rounded(.up)), n + 1)
        var curlen = maxj - minj
        let lenA = min(2 * maxj + 2, n + 1)
        var column = [Double](repeating: 1, count: lenA)
        for k in minj..<min(maxj, lenA) { column[k] = 0 }
        for i in 1...m {
            let lastminj = minj, lastlen = curlen
            minj = max(Int((Double(ng * i - h) / Double(mg)).rounded(.down)) + 1, 0)
            minj = min(minj, n)
            maxj = min(Int((Double(ng * i + h) / Double(mg)).rounded(.up)), n + 1)
            if maxj <= minj { return 1.0 }
            var val = minj == 0 ? 0.0 : 1.0
            let di = Double(i)
            for jj in 0..<(maxj - minj) {
                let j = jj + minj
                val = (column[jj + minj - lastminj] * di + val * Double(j)) / Double(i + j)
                column[jj] = val
            }
            curlen = maxj - minj
            if lastlen > curlen {
                for k in curlen..<min(curlen + (lastlen - curlen), lenA) { column[k] = 1 }
            }
        }
        return column[maxj - minj - 1]
    }

    private static func gcd(_ a: Int, _ b: Int) -> Int {
        var (x, y) = (a, b)
        while y != 0 { (x, y) = (y, x % y) }
        return x
    }
}
