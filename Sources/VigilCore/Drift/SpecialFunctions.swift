import Foundation

/// The special functions the drift tests need, in Double precision.
///
/// The regularized incomplete gamma functions follow Cephes (`igam`, `igamc`; Moshier 1989),
/// which is also what SciPy's `chi2.sf` reduces to; relative accuracy is about 1e-14 for the
/// arguments drift tests produce.
public enum SpecialFunctions {
    private static let machineEpsilon = 1.11022302462515654042e-16
    private static let maxLog = 7.09782712893383996843e2
    private static let big = 4.503599627370496e15
    private static let bigInverse = 2.22044604925031308085e-16

    /// The lower regularized incomplete gamma function P(a, x).
    public static func regularizedGammaP(_ a: Double, _ x: Double) -> Double {
        if x <= 0 || a <= 0 { return x.isNaN || a.isNaN || a <= 0 ? .nan : 0 }
        if x > 1 && x > a { return 1 - regularizedGammaQ(a, x) }
        var ax = a * Foundation.log(x) - x - lgamma(a)
        if ax < -maxLog { return 0 }
        ax = Foundation.exp(ax)
        var r = a, c = 1.0, sum = 1.0
        repeat {
            r += 1
            c *= x / r
            sum += c
        } while c / sum > machineEpsilon
        return sum * ax / a
    }

    /// The upper regularized incomplete gamma function Q(a, x) = 1 − P(a, x).
    public static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
        if x < 0 || a <= 0 || x.isNaN || a.isNaN { return .nan }
        if x.isInfinite { return 0 }
        if x < 1 || x < a { return 1 - regularizedGammaP(a, x) }
        var ax = a * Foundation.log(x) - x - lgamma(a)
        if ax < -maxLog { return 0 }
        ax = Foundation.exp(ax)
        // Continued fraction.
        var y = 1 - a, z = x + y + 1, c = 0.0
        var pkm2 = 1.0, qkm2 = x, pkm1 = x + 1, qkm1 = z * x
        var answer = pkm1 / qkm1
        var t: Double
        repeat {
            c += 1; y += 1; z += 2
            let yc = y * c
            let pk = pkm1 * z - pkm2 * yc
            let qk = qkm1 * z - qkm2 * yc
            if qk != 0 {
                let r = pk / qk
                t = Swift.abs((answer - r) / r)
                answer = r
            } else {
                t = 1
            }
            pkm2 = pkm1; pkm1 = pk; qkm2 = qkm1; qkm1 = qk
            if Swift.abs(pk) > big {
                pkm2 *= bigInverse; pkm1 *= bigInverse; qkm2 *= bigInverse; qkm1 *= bigInverse
            }
        } while t > machineEpsilon
        return answer * ax
    }

    /// P(X > x) for X ~ χ²(df): SciPy's `chi2.sf(x, df)`.
    public static func chiSquareSurvival(_ x: Double, degreesOfFreedom df: Double) -> Double {
        if x.isNaN || df <= 0 { return .nan }
        if x <= 0 { return 1 }
        return regularizedGammaQ(df / 2, x / 2)
    }

    /// P(X ≤ k) for X ~ Binomial(n, p), summed term by term in log space (exact to about 1e-13
    /// for the sizes exact tests use).
    public static func binomialCDF(_ k: Int, trials n: Int, probability p: Double = 0.5) -> Double {
        if k < 0 { return 0 }
        if k >= n { return 1 }
        let logP = Foundation.log(p), logQ = Foundation.log1p(-p)
        let lgN1: Double = Foundation.lgamma(Double(n) + 1)
        var sum = 0.0
        for i in 0...k {
            let logTerm = lgN1 - Foundation.lgamma(Double(i) + 1) - Foundation.lgamma(Double(n - i) + 1) + Double(i) * logP + Double(n - i) * logQ
            sum += Foundation.exp(logTerm)
        }
        return Swift.min(sum, 1)
    }

    /// Two-sided exact binomial test of `k` successes in `n` trials against p = 1/2 (the sign
    /// test and exact McNemar): `min(1, 2·P(X ≤ min(k, n−k)))`, as SciPy's `binomtest` and
    /// statsmodels' `mcnemar(exact=True)` give for p = 1/2.
    public static func signTestPValue(_ k: Int, trials n: Int) -> Double {
        if n == 0 { return 1 }
        return Swift.min(1, 2 * binomialCDF(Swift.min(k, n - k), trials: n))
    }
}
