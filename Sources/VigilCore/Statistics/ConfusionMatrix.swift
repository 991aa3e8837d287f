/// Counts of (predicted, observed) class pairs: rows are observed (true) classes, columns are
/// predicted classes — scikit-learn's `confusion_matrix` orientation.
public struct ConfusionMatrix: Sendable, Equatable, Codable {
    /// Number of classes.
    public let classCount: Int
    /// Row-major counts: `counts[true * classCount + predicted]`.
    public private(set) var counts: [Int]

    /// An all-zero matrix for `classCount` classes.
    public init(classCount: Int) {
        self.classCount = classCount
        counts = Array(repeating: 0, count: classCount * classCount)
    }

    /// Adds `n` items observed as `trueClass` and predicted as `predicted`.
    @inline(__always) public mutating func add(trueClass: Int, predicted: Int, count n: Int = 1) {
        counts[trueClass * classCount + predicted] += n
    }

    /// The count for one cell.
    public subscript(trueClass: Int, predicted: Int) -> Int { counts[trueClass * classCount + predicted] }

    /// All items counted.
    public var total: Int { counts.reduce(0, +) }

    /// Items whose observed class is `k` (scikit-learn's *support*).
    public func support(_ k: Int) -> Int { (0..<classCount).reduce(0) { $0 + self[k, $1] } }

    /// Items predicted as `k`.
    public func predictedCount(_ k: Int) -> Int { (0..<classCount).reduce(0) { $0 + self[$1, k] } }

    /// Rows as nested arrays, for reports.
    public var rows: [[Int]] { (0..<classCount).map { r in Array(counts[(r * classCount)..<((r + 1) * classCount)]) } }
}
