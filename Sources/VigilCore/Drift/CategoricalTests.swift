import Foundation

/// A test statistic with its p-value and degrees of freedom.
public struct ChiSquareResult: Sendable, Equatable, Codable {
    public var statistic: Double
    public var pValue: Double
    public var degreesOfFreedom: Int

    public init(statistic: Double, pValue: Double, degreesOfFreedom: Int) {
        self.statistic = statistic
        self.pValue = pValue
        self.degreesOfFreedom = degreesOfFreedom
    }
}

/// Tests and distances on class counts: the unpaired drift of the predicted-class distribution.
///
/// Every function is defined as its SciPy namesake (see `docs/statistics.md`); classes that
/// are empty in both distributions carry no information and are left out, as SciPy would
/// otherwise fail on a zero expected count.
public enum CategoricalTests {
    /// Which power-divergence statistic: Pearson's χ² (λ = 1) or the G-test (log-likelihood, λ = 0).
    public enum Statistic: String, Sendable, Codable {
        case pearson = "chi_square"
        case logLikelihood = "g_test"
    }

    /// Goodness of fit of `observed` counts to `expectedShares` (which are rescaled to the
    /// observed total): `scipy.stats.chisquare(observed, f_exp=shares·n)` for Pearson and
    /// `power_divergence(…, lambda_="log-likelihood")` for G. Classes with expected share 0
    /// and observed count 0 are dropped; an observed count where the share is 0 gives an
    /// infinite statistic and p = 0.
    public static func goodnessOfFit(observed: [Double], expectedShares: [Double], statistic: Statistic) -> ChiSquareResult {
        precondition(observed.count == expectedShares.count, "one expected share per class")
        let n = observed.reduce(0, +)
        let shareTotal = expectedShares.reduce(0, +)
        var obs: [Double] = [], exp: [Double] = []
        for (o, s) in zip(observed, expectedShares) where !(o == 0 && s == 0) {
            obs.append(o)
            exp.append(s / shareTotal * n)
        }
        let df = obs.count - 1
        guard df > 0, n > 0 else { return ChiSquareResult(statistic: 0, pValue: 1, degreesOfFreedom: Swift.max(df, 0)) }
        let value = powerDivergence(observed: obs, expected: exp, statistic: statistic)
        return ChiSquareResult(statistic: value, pValue: SpecialFunctions.chiSquareSurvival(value, degreesOfFreedom: Double(df)), degreesOfFreedom: df)
    }

    /// Homogeneity of two samples of class counts (the 2×K table `[reference; current]`):
    /// `scipy.stats.chi2_contingency(table, correction=True, lambda_=…)`, including Yates'
    /// correction when there is one degree of freedom.
    public static func contingency(reference: [Double], current: [Double], statistic: Statistic) -> ChiSquareResult {
        precondition(reference.count == current.count, "one count per class in both samples")
        var a: [Double] = [], b: [Double] = []
        for (r, c) in zip(reference, current) where !(r == 0 && c == 0) {
            a.append(r)
            b.append(c)
        }
        let na = a.reduce(0, +), nb = b.reduce(0, +), n = na + nb
        let df = a.count - 1
        guard df > 0, na > 0, nb > 0 else { return ChiSquareResult(statistic: 0, pValue: 1, degreesOfFreedom: Swift.max(df, 0)) }
        var observed: [Double] = [], expected: [Double] = []
        observed.reserveCapacity(2 * a.count)
        expected.reserveCapacity(2 * a.count)
        for (rowTotal, row) in [(na, a), (nb, b)] {
            for (j, o) in row.enumerated() {
                observed.append(o)
                expected.append(rowTotal * (a[j] + b[j]) / n)
            }
        }
        if df == 1 {
            // Yates: move each observed count up to 0.5 toward its expected count.
            for i in observed.indices {
                let diff = expected[i] - observed[i]
                observed[i] += Swift.min(0.5, Swift.abs(diff)) * (diff > 0 ? 1 : diff < 0 ? -1 : 0)
            }
        }
        let value = powerDivergence(observed: observed, expected: expected, statistic: statistic)
        return ChiSquareResult(statistic: value, pValue: SpecialFunctions.chiSquareSurvival(value, degreesOfFreedom: Double(df)), degreesOfFreedom: df)
    }

    /// Σ (o−e)²/e (Pearson) or 2·Σ o·ln(o/e) (G; terms with o = 0 are 0).
    static func powerDivergence(observed: [Double], expected: [Double], statistic: Statistic) -> Double {
        var sum = 0.0
        switch statistic {
        case .pearson:
            for (o, e) in zip(observed, expected) {
                let d = o - e
                sum += d * d / e
            }
            return sum
        case .logLikelihood:
            for (o, e) in zip(observed, expected) where o > 0 {
                sum += o * Foundation.log(o / e)
            }
            return 2 * sum
        }
    }

    /// Shares of a count vector (all zero when the total is zero).
    public static func shares(_ counts: [Double]) -> [Double] {
        let total = counts.reduce(0, +)
        return total > 0 ? counts.map { $0 / total } : counts.map { _ in 0 }
    }

    /// Population stability index Σ (c − r)·ln(c / r) on shares, each floored at `floor`
    /// (default 1e-4) so an empty class does not make it infinite.
    public static func populationStabilityIndex(currentShares c: [Double], referenceShares r: [Double], floor: Double = 1e-4) -> Double {
        var sum = 0.0
        for (x, y) in zip(c, r) {
            let a = Swift.max(x, floor), b = Swift.max(y, floor)
            sum += (a - b) * Foundation.log(a / b)
        }
        return sum
    }

    /// Jensen–Shannon distance with base-2 logarithms (range [0, 1]):
    /// `scipy.spatial.distance.jensenshannon(p, q, base=2)`; both vectors are normalised first.
    public static func jensenShannonDistance(_ p: [Double], _ q: [Double]) -> Double {
        let sp = p.reduce(0, +), sq = q.reduce(0, +)
        var js = 0.0
        for (x0, y0) in zip(p, q) {
            let x = x0 / sp, y = y0 / sq, m = (x + y) / 2
            if x > 0 { js += x * Foundation.log(x / m) }
            if y > 0 { js += y * Foundation.log(y / m) }
        }
        js /= 2
        return Foundation.sqrt(Swift.max(js / Foundation.log(2), 0))
    }
}
