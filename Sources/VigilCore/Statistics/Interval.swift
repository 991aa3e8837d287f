import Foundation

/// A two-sided confidence interval.
public struct Interval: Sendable, Equatable, Codable {
    public var lower: Double
    public var upper: Double
    public init(lower: Double, upper: Double) { self.lower = lower; self.upper = upper }

    /// The percentile interval of bootstrap `values` at `confidence` (e.g. 0.95): the
    /// (1−c)/2 and (1+c)/2 quantiles with linear interpolation (numpy's default), or `nil`
    /// when there are no values.
    public static func percentile(of values: [Double], confidence: Double) -> Interval? {
        guard !values.isEmpty else { return nil }
        let sorted = values.sorted()
        func quantile(_ q: Double) -> Double {
            let h = q * Double(sorted.count - 1)
            let lo = Int(h.rounded(.down)), hi = min(lo + 1, sorted.count - 1)
            return sorted[lo] + (h - Double(lo)) * (sorted[hi] - sorted[lo])
        }
        let alpha = (1 - confidence) / 2
        return Interval(lower: quantile(alpha), upper: quantile(1 - alpha))
    }
}

/// Wilson score interval for a binomial proportion (Wilson 1927); see `docs/statistics.md`.
public enum WilsonInterval {
    /// The interval for `successes` out of `trials` at `confidence` (e.g. 0.95), or `nil` for no trials.
    public static func interval(successes: Int, trials: Int, confidence: Double = 0.95) -> Interval? {
        guard trials > 0 else { return nil }
        let z = NormalDistribution.quantile(1 - (1 - confidence) / 2)
        let n = Double(trials)
        let p = Double(successes) / n
        let z2 = z * z
        let centre = (p + z2 / (2 * n)) / (1 + z2 / n)
        let half = (z / (1 + z2 / n)) * (p * (1 - p) / n + z2 / (4 * n * n)).squareRoot()
        // At p = 0 (or 1) the bound is exactly 0 (or 1); say so rather than leave a rounding residue.
        return Interval(lower: successes == 0 ? 0 : max(0, centre - half), upper: successes == trials ? 1 : min(1, centre + half))
    }
}

/// The standard normal distribution.
public enum NormalDistribution {
    /// The quantile (inverse CDF) at `p` in (0, 1), by Wichura's algorithm AS 241 (PPND16),
    /// accurate to about 1e-16.
    public static func quantile(_ p: Double) -> Double {
        precondition(p > 0 && p < 1, "quantile needs 0 < p < 1")
        let q = p - 0.5
        if abs(q) <= 0.425 {
            let r = 0.180625 - q * q
            return q * (((((((r * 2509.0809287301226727 + 33430.575583588128105) * r + 67265.770927008700853) * r
                + 45921.953931549871457) * r + 13731.693765509461125) * r + 1971.5909503065514427) * r + 133.14166789178437745) * r
                + 3.387132872796366608)
                / (((((((r * 5226.495278852545925 + 28729.085735721942674) * r + 39307.89580009271061) * r
                + 21213.794301586595867) * r + 5394.1960214247511077) * r + 687.1870074920579083) * r + 42.313330701600911252) * r + 1)
        }
        var r = q < 0 ? p : 1 - p
        r = (-log(r)).squareRoot()
        var v: Double
        if r <= 5 {
            r -= 1.6
            v = (((((((r * 7.7454501427834140764e-4 + 0.0227238449892691845833) * r + 0.24178072517745061177) * r
                + 1.27045825245236838258) * r + 3.64784832476320460504) * r + 5.7694972214606914055) * r + 4.6303378461565452959) * r
                + 1.42343711074968357734)
                / (((((((r * 1.05075007164441684324e-9 + 5.475938084995344946e-4) * r + 0.0151986665636164571966) * r
                + 0.14810397642748007459) * r + 0.68976733498510000455) * r + 1.6763848301838038494) * r + 2.05319162663775882187) * r + 1)
        } else {
            r -= 5
            v = (((((((r * 2.01033439929228813265e-7 + 2.71155556874348757815e-5) * r + 0.0012426609473880784386) * r
                + 0.026532189526576123093) * r + 0.29656057182850489123) * r + 1.7848265399172913358) * r + 5.4637849111641143699) * r
                + 6.6579046435011037772)
                / (((((((r * 2.04426310338993978564e-15 + 1.4215117583164458887e-7) * r + 1.8463183175100546818e-5) * r
                + 7.868691311456132591e-4) * r + 0.0148753612908506148525) * r + 0.13692988092273580531) * r + 0.59983220655588793769) * r + 1)
        }
        return q < 0 ? -v : v
    }
}
