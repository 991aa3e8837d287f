/// The first Wasserstein (earth mover's) distance between two one-dimensional samples, as
/// `scipy.stats.wasserstein_distance(u, v, u_weights, v_weights)`: ∫ |U − V| over the pooled
/// values, with U and V the (weighted) empirical CDFs.
///
/// ```swift
/// Wasserstein.distance([0, 1, 3], [5, 6, 8])                 // 5.0
/// Wasserstein.test(referenceScores, currentScores).statistic  // the same, as a test result
/// ```
public enum Wasserstein {
    /// W₁(u, v). Weights, when given, must match their sample in length, be non-negative and
    /// sum to a positive finite number (they are normalised); nil means equal weights.
    public static func distance(_ u: [Double], _ v: [Double], uWeights: [Double]? = nil, vWeights: [Double]? = nil)
        -> Double
    {
        precondition(!u.isEmpty && !v.isEmpty, "wasserstein_distance needs two non-empty samples")
        precondition(uWeights.map { $0.count == u.count } ?? true, "u_weights must have one weight per value")
        precondition(vWeights.map { $0.count == v.count } ?? true, "v_weights must have one weight per value")
        let uOrder = u.indices.sorted { u[$0] < u[$1] }
        let vOrder = v.indices.sorted { v[$0] < v[$1] }
        let us = uOrder.map { u[$0] }, vs = vOrder.map { v[$0] }
        let uCumulative = cumulative(uWeights.map { w in uOrder.map { w[$0] } })
        let vCumulative = cumulative(vWeights.map { w in vOrder.map { w[$0] } })
        let all = (us + vs).sorted()
        var total = KahanSum()  // many small positive terms
        var i = 0, j = 0
        for k in 0..<(all.count - 1) {
            let value = all[k]
            while i < us.count && us[i] <= value { i += 1 }
            while j < vs.count && vs[j] <= value { j += 1 }
            let uCDF = uCumulative.map { $0[i] / $0[$0.count - 1] } ?? Double(i) / Double(us.count)
            let vCDF = vCumulative.map { $0[j] / $0[$0.count - 1] } ?? Double(j) / Double(vs.count)
            total.add(abs(uCDF - vCDF) * (all[k + 1] - value))
        }
        return total.value
    }

    /// W₁ as a two-sample result (no p-value; effect size is W₁ over the pooled standard
    /// deviation, 0 when that is 0).
    public static func test(_ reference: [Double], _ current: [Double]) -> TwoSampleTestResult {
        let d = distance(reference, current)
        let pooled = reference + current
        let mean = pooled.reduce(0, +) / Double(pooled.count)
        let sd = (pooled.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(pooled.count)).squareRoot()
        return TwoSampleTestResult(test: "wasserstein_1", statistic: d, pValue: nil, effectSize: sd > 0 ? d / sd : 0,
                                   n: reference.count, m: current.count, method: "none", details: ["pooled_sd": sd])
    }

    private static func cumulative(_ weights: [Double]?) -> [Double]? {
        guard let weights else { return nil }
        precondition(weights.allSatisfy { $0 >= 0 && $0.isFinite }, "weights must be non-negative and finite")
        var out = [0.0]
        out.reserveCapacity(weights.count + 1)
        var s = 0.0
        for w in weights { s += w; out.append(s) }
        precondition(s > 0 && s.isFinite, "weights must sum to a positive finite number")
        return out
    }
}
