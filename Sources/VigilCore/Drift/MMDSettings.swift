/// Policy settings of the embedding-drift test (MMD² with a permutation p-value).
///
/// ```yaml
/// mmd:
///   permutations: 200   # random splits of the pooled sample
///   max_samples: 5000   # per window; larger samples are subsampled (seeded)
///   seed: 1
/// ```
public struct MMDSettings: Codable, Sendable, Equatable {
    /// Number of random splits of the pooled sample for the p-value (default 200).
    public var permutations: Int
    /// Most embeddings used per sample; a larger sample is reduced to a seeded uniform subset
    /// of this size (default 5,000).
    public var maxSamples: Int
    /// Seed of the permutations and of any subsampling, so a run can be repeated (default 1).
    public var seed: UInt64

    public init(permutations: Int = 200, maxSamples: Int = 5_000, seed: UInt64 = 1) {
        self.permutations = permutations
        self.maxSamples = maxSamples
        self.seed = seed
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case permutations, seed
        case maxSamples = "max_samples"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        permutations = try c.decodeIfPresent(Int.self, forKey: .permutations) ?? 200
        maxSamples = try c.decodeIfPresent(Int.self, forKey: .maxSamples) ?? 5_000
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1
    }
}
