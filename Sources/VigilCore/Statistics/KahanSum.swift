/// Compensated (Kahan) summation: a running total whose rounding error does not grow with the
/// number of terms, for sums that end up in a difference of nearly equal quantities (MMD²) or
/// that add many small terms (Wasserstein-1).
struct KahanSum {
    private(set) var value = 0.0
    private var compensation = 0.0

    mutating func add(_ x: Double) {
        let y = x - compensation
        let t = value + y
        compensation = (t - value) - y
        value = t
    }
}
