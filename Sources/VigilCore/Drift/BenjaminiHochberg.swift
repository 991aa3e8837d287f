/// Benjamini–Hochberg (1995) adjusted p-values, controlling the false discovery rate across
/// the tests of one run; equal to statsmodels `multipletests(p, method="fdr_bh")[1]`.
public enum BenjaminiHochberg {
    /// The adjusted p-values, in the order of `pValues`: for the i-th smallest of m,
    /// min over j ≥ i of (m / j)·p₍ⱼ₎, capped at 1.
    public static func adjust(_ pValues: [Double]) -> [Double] {
        let m = pValues.count
        guard m > 0 else { return [] }
        let order = pValues.indices.sorted { pValues[$0] < pValues[$1] || (pValues[$0] == pValues[$1] && $0 < $1) }
        var adjusted = [Double](repeating: 1, count: m)
        var running = 1.0
        for rank in stride(from: m, through: 1, by: -1) {
            let i = order[rank - 1]
            running = Swift.min(running, Double(m) / Double(rank) * pValues[i])
            adjusted[i] = Swift.min(running, 1)
        }
        return adjusted
    }
}
