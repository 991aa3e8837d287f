/// Seeded bootstrap resamples of `n` items (images, for the detection intervals), drawn once and
/// in order from one ``SplitMix64`` stream, so every interval computed from the same seed and
/// item count sees the same resamples on every machine.
public enum BootstrapDraws {
    /// `resamples` arrays of `n` multiplicities: entry `i` of a resample is how often item `i`
    /// was drawn in `n` draws with replacement.
    public static func counts(items n: Int, resamples: Int, seed: UInt64) -> [[Int]] {
        guard n > 0, resamples > 0 else { return [] }
        var rng = SplitMix64(seed: seed)
        return (0..<resamples).map { _ in
            var counts = [Int](repeating: 0, count: n)
            for _ in 0..<n { counts[Int(rng.next() % UInt64(n))] += 1 }
            return counts
        }
    }
}
