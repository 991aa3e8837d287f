/// The stored sample of predictions that lets drift tests on raw values (scores, boxes) read a
/// bounded number of rows however large the window is.
///
/// Every prediction has a *level*: the number of leading zero bits of its 64-bit content hash
/// (capped at 63), so a prediction has level ≥ L with probability 2⁻ᴸ, independently of its
/// score or boxes. Ingest copies each new prediction of level ≥ ``storedLevel`` (1 in 32) into
/// `prediction_sample`, in the same transaction as the row. A window with more predictions than
/// the policy's limit is then tested on its predictions of level ≥ L, the smallest L ≥
/// ``storedLevel`` for which the expected sample fits the limit: a uniform 1-in-2ᴸ sample that
/// is the same on every run, on every instance, and whatever the order of ingest.
///
/// The level is checkable in SQL on both stores: level ℓ < 63 ⟺ 2⁶³⁻ˡ ≤ hash < 2⁶⁴⁻ˡ for a
/// non-negative signed hash (levels ≥ 1 are exactly the non-negative hashes).
public enum PredictionSample {
    /// Predictions of this level or more are stored in the sample (1 in 32).
    public static let storedLevel = 5

    /// The level of a prediction with this content hash.
    @inline(__always) public static func level(contentHash: Int64) -> Int {
        min(63, UInt64(bitPattern: contentHash).leadingZeroBitCount)
    }

    /// Whether a prediction with this content hash belongs in `prediction_sample`.
    @inline(__always) public static func isStored(contentHash: Int64) -> Bool {
        // Level ≥ 5 ⟺ the unsigned hash is below 2⁵⁹.
        contentHash >= 0 && contentHash < (1 << (64 - storedLevel))
    }

    /// The level to read for a window of `count` predictions when at most about `limit` raw
    /// values should be read: `nil` (read every row, exact) when `count <= limit`, else the
    /// smallest level ≥ ``storedLevel`` whose expected sample size, count / 2ᴸ, is at most `limit`.
    public static func level(forCount count: Int, limit: Int) -> Int? {
        guard count > limit else { return nil }
        var level = storedLevel
        while level < 63 && Double(count) / Double(UInt64(1) << UInt64(level)) > Double(max(limit, 1)) { level += 1 }
        return level
    }
}

/// Raw values of a window for a two-sample test: all of them, or the stored sample of
/// ``PredictionSample`` when the window holds more predictions than the limit.
public struct WindowValues: Sendable, Equatable {
    /// The values read.
    public var values: [Double]
    /// Predictions in the window (from the per-hour aggregates).
    public var predictions: Int
    /// The sample level read (values come from predictions of this level or more, a uniform
    /// 1-in-2ᴸ sample), or `nil` when every prediction of the window was read.
    public var sampleLevel: Int?

    public init(values: [Double], predictions: Int, sampleLevel: Int?) {
        self.values = values
        self.predictions = predictions
        self.sampleLevel = sampleLevel
    }
}
