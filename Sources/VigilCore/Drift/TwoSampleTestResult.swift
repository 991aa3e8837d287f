/// The outcome of one two-sample test (current window against a reference), in one shape for
/// every test so that reports, Benjamini–Hochberg and the JSON output treat them alike.
///
/// ```swift
/// let r = KolmogorovSmirnov.test(reference, current)
/// print(r.test, r.statistic, r.pValue ?? .nan, r.method)   // "ks_2samp" 0.31 1.2e-05 "exact"
/// ```
public struct TwoSampleTestResult: Sendable, Equatable, Codable {
    /// Which test: `ks_2samp`, `wasserstein_1` or `mmd2_rbf`.
    public var test: String
    /// The test statistic: D for KS, the distance for Wasserstein-1, the unbiased MMD² for MMD.
    public var statistic: Double
    /// The p-value, or nil for a distance that comes without one (Wasserstein-1).
    public var pValue: Double?
    /// A scale-free size of the difference where the test has one (KS: D itself), else nil.
    public var effectSize: Double?
    /// Size of the first (reference) sample as used by the test.
    public var n: Int
    /// Size of the second (current) sample as used by the test.
    public var m: Int
    /// How the p-value was computed: `exact`, `asymptotic`, `permutation`, or `none`.
    public var method: String
    /// Test-specific figures, e.g. `bandwidth_h` and `permutations` for MMD.
    public var details: [String: Double]

    public init(test: String, statistic: Double, pValue: Double?, effectSize: Double?, n: Int, m: Int,
                method: String, details: [String: Double] = [:]) {
        self.test = test
        self.statistic = statistic
        self.pValue = pValue
        self.effectSize = effectSize
        self.n = n
        self.m = m
        self.method = method
        self.details = details
    }

    enum CodingKeys: String, CodingKey {
        case test, statistic, n, m, method, details
        case pValue = "p_value"
        case effectSize = "effect_size"
    }
}
