import Foundation

/// Accuracy per slice of the reviewed items: the items grouped by the value of an
/// `input.attributes` key the policy names (`evaluation.slices: [camera, site]`), each with a
/// Wilson interval and a test of whether it differs from the rest of the window.
///
/// The test is the pooled two-proportion z-test of the slice against the items outside it
/// (two-sided; statsmodels' `proportions_ztest`), and its p-values are adjusted with
/// Benjamini–Hochberg across every slice of every attribute in the run, so naming more slices
/// does not raise more false flags. A slice `differs` when its adjusted p-value is below
/// 1 − `confidence` and it holds at least `minimumReviewed` items. Items without the attribute
/// form the slice with value nil.
public struct SliceAnalysis: Sendable, Equatable, Codable {
    /// One slice: an attribute's value and what the reviewed items of that value show.
    public struct Row: Sendable, Equatable, Codable {
        public var attribute: String
        /// The attribute's value; nil for the items that do not carry the attribute.
        public var value: String?
        public var reviewed: Int
        public var correct: Int
        /// correct / reviewed.
        public var accuracy: Double
        public var interval: Interval?
        /// Accuracy of the reviewed items outside the slice (nil when there are none).
        public var restAccuracy: Double?
        /// Two-sided p-value of slice vs rest; nil when either side is empty or all agree.
        public var pValue: Double?
        /// Benjamini–Hochberg across all slices of the run.
        public var adjustedPValue: Double?
        /// Enough items and an adjusted p-value below 1 − confidence.
        public var differs: Bool

        enum CodingKeys: String, CodingKey {
            case attribute, value, reviewed, correct, accuracy, interval, differs
            case restAccuracy = "rest_accuracy"
            case pValue = "p_value"
            case adjustedPValue = "adjusted_p_value"
        }

        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(attribute, forKey: .attribute)
            try c.encode(value, forKey: .value)
            try c.encode(reviewed, forKey: .reviewed)
            try c.encode(correct, forKey: .correct)
            try c.encode(accuracy, forKey: .accuracy)
            try c.encodeIfPresent(interval, forKey: .interval)
            try c.encode(restAccuracy, forKey: .restAccuracy)
            try c.encode(pValue, forKey: .pValue)
            try c.encode(adjustedPValue, forKey: .adjustedPValue)
            try c.encode(differs, forKey: .differs)
        }
    }

    /// Every slice of every attribute, attributes in the policy's order, values by name (nil last).
    public var rows: [Row]

    /// `items[attribute]` holds each reviewed item's value of that attribute and whether the
    /// model was right on it.
    public init(items: [(attribute: String, values: [(value: String?, correct: Bool)])], confidence: Double, minimumReviewed: Int) {
        var rows: [Row] = []
        for (attribute, values) in items {
            let total = values.count, totalCorrect = values.filter(\.correct).count
            let groups = Dictionary(grouping: values, by: \.value)
            let keys = groups.keys.sorted { a, b in
                switch (a, b) {
                case let (x?, y?): x < y
                case (_?, nil): true
                default: false
                }
            }
            for value in keys {
                let group = groups[value]!
                let n = group.count, k = group.filter(\.correct).count
                let restN = total - n, restK = totalCorrect - k
                rows.append(Row(attribute: attribute, value: value, reviewed: n, correct: k, accuracy: Double(k) / Double(n),
                                interval: WilsonInterval.interval(successes: k, trials: n, confidence: confidence),
                                restAccuracy: restN > 0 ? Double(restK) / Double(restN) : nil,
                                pValue: Self.twoProportionP(k, n, restK, restN), adjustedPValue: nil, differs: false))
            }
        }
        let tested = rows.indices.filter { rows[$0].pValue != nil }
        let adjusted = BenjaminiHochberg.adjust(tested.map { rows[$0].pValue! })
        for (i, q) in zip(tested, adjusted) {
            rows[i].adjustedPValue = q
            rows[i].differs = rows[i].reviewed >= minimumReviewed && q < 1 - confidence
        }
        self.rows = rows
    }

    /// The pooled two-proportion z-test's two-sided p-value (statsmodels' `proportions_ztest`):
    /// nil when a side is empty or the pooled share is 0 or 1 (no variance to test against).
    static func twoProportionP(_ k1: Int, _ n1: Int, _ k2: Int, _ n2: Int) -> Double? {
        guard n1 > 0, n2 > 0 else { return nil }
        let pooled = Double(k1 + k2) / Double(n1 + n2)
        guard pooled > 0, pooled < 1 else { return nil }
        let se = (pooled * (1 - pooled) * (1 / Double(n1) + 1 / Double(n2))).squareRoot()
        let z = (Double(k1) / Double(n1) - Double(k2) / Double(n2)) / se
        return erfc(abs(z) / 2.squareRoot())
    }
}

/// One reviewed classification with the value of one of its prediction's `input.attributes`.
public struct ReviewedAttribute: Sendable, Equatable {
    public var observed: Int
    public var predicted: Int
    public var value: String?

    public init(observed: Int, predicted: Int, value: String?) {
        self.observed = observed
        self.predicted = predicted
        self.value = value
    }
}
