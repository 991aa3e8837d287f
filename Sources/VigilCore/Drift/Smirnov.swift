import Foundation

private func logGamma(_ x: Double) -> Double { Foundation.lgamma(x) }

/// The one-sided Kolmogorov–Smirnov tail P(Dₙ⁺ ≥ x), as `scipy.special.smirnov` (xsf's
/// `cephes/kolmogorov.h`): the Birnbaum–Tingey sum
/// x Σⱼ C(n, j) (1 − x − j/n)^(n−j) (x + j/n)^(j−1), j = 0 … ⌊n(1 − x)⌋, with the same special
/// cases and early stop. scipy sums in double-double; here each term is formed in log space
/// and summed in double, which keeps ~1e-12 relative accuracy (all terms are positive).
enum Smirnov {
    private static let minLog = -7.08396418532264106224e2
    private static let maxComputeN = 1_000_000

    static func survival(n: Int, x: Double) -> Double {
        guard n > 0, x >= 0, x <= 1 else { return .nan }
        if n == 1 { return 1 - x }
        if x == 0 { return 1 }
        if x == 1 { return 0 }
        let nd = Double(n)
        // floor(n·x) and its remainder, exactly (an FMA recovers the rounding error of n·x)
        let nx = nd * x
        let error = fma(nd, x, -nx)
        var floorNX = nx.rounded(.down)
        var alpha = (nx - floorNX) + error
        if alpha < 0 { floorNX -= 1; alpha += 1 }
        if alpha >= 1 { floorNX += 1; alpha = 0 }
        let nxfl = Int(floorNX)
        var lastTerm = n - nxfl - (alpha == 0 ? 0 : 1)
        if alpha == 0 { lastTerm -= 1 }

        if nxfl == 0 || (nxfl == 1 && alpha == 0) {
            return 1 - x * pow(1 + x, nd - 1)
        }
        if -2 * nd * x * x < minLog { return 0 }
        if nxfl >= n - 1 { return pow(1 - x, nd) }
        if n > maxComputeN {
            let logp = -pow(6.0 * nd * x + 1, 2) / 18.0 / nd
            return logp < -M_LN2 ? exp(logp) : 1 - (-expm1(logp))
        }
        let terms = lastTerm + 1
        let logNFactorial = logGamma(nd + 1)
        var sum = pow(1 - x, nd) / x
        var j = 1
        while j < terms {
            let jd = Double(j)
            let logTerm = logNFactorial - logGamma(jd + 1) - logGamma(nd - jd + 1)
                + (nd - jd) * log(Double(n - j) / nd - x) + (jd - 1) * log(jd / nd + x)
            let term = exp(logTerm)
            if term.isFinite && term != 0 { sum += term }
            if term != 0 {
                if 4 * Double(terms - j) * abs(term) < Double.ulpOfOne * sum && j != terms - 1 { break }
            } else if j > n / 2 {
                break
            }
            j += 1
        }
        return min(max(x * sum, 0), 1)
    }
}
