/// A deterministic example data set for a shelf-product classifier: production predictions
/// over a number of days with delayed ground truth, in which two classes get harder after a
/// "camera change" day. Used by the quickstart, the tests and the benchmark.
///
/// ```swift
/// let data = ExampleData(rows: 10_000, seed: 7)
/// let line = data.predictionLine(0)   // {"id":"ex-0000000","ts":…}
/// ```
public struct ExampleData: Sendable {
    /// The classes of the example model.
    public static let classes = ["bottle", "can", "box", "bag", "jar", "carton", "tube", "pouch", "tray", "cup"]
    /// The example model's name.
    public static let model = "shelf-classifier"

    public var rows: Int
    public var seed: UInt64
    /// Milliseconds since the epoch of the first prediction.
    public var startMillis: Int64
    public var days: Int
    /// From this day on (0-based), `bag` and `tube` are misclassified much more often.
    public var driftDay: Int

    public init(rows: Int, seed: UInt64 = 7, startMillis: Int64 = 1_790_812_800_000, days: Int = 30, driftDay: Int = 20) {
        self.rows = rows
        self.seed = seed
        self.startMillis = startMillis
        self.days = days
        self.driftDay = driftDay
    }

    static let prior: [Double] = [18, 14, 12, 10, 10, 9, 8, 7, 6, 6]

    /// One row's values: timestamp, observed class, predicted class, scores.
    public struct Row: Sendable {
        public var id: String
        public var ts: Int64
        public var observed: Int
        public var predicted: Int
        public var scores: [Double]
    }

    /// Row `i` (a pure function of `seed` and `i`).
    public func row(_ i: Int) -> Row {
        var rng = SplitMix64(seed: seed &* 0x2545_F491_4F6C_DD1D &+ UInt64(i))
        let span = Int64(days) * 86_400_000
        // Evenly spread in time with jitter, so the file is in time order.
        let ts = startMillis + Int64((Double(i) + rng.unit()) / Double(max(rows, 1)) * Double(span))
        let day = Int((ts - startMillis) / 86_400_000)
        let total = Self.prior.reduce(0, +)
        var u = rng.unit() * total
        var observed = 0
        for (k, w) in Self.prior.enumerated() {
            if u < w { observed = k; break }
            u -= w
            observed = k
        }
        let hard = day >= driftDay && (observed == 3 || observed == 6)
        let accuracy = hard ? 0.55 : 0.93
        var predicted = observed
        if rng.unit() >= accuracy {
            predicted = (observed + 1 + Int(rng.next() % UInt64(Self.classes.count - 1))) % Self.classes.count
        }
        let top = predicted == observed ? 0.6 + 0.4 * rng.unit() : 0.35 + 0.4 * rng.unit()
        var rest = (0..<Self.classes.count).map { _ in rng.unit() + 0.01 }
        rest[predicted] = 0
        let restSum = rest.reduce(0, +)
        var scores = rest.map { ($0 / restSum * (1 - top) * 1e6).rounded() / 1e6 }
        scores[predicted] = (top * 1e6).rounded() / 1e6
        return Row(id: "ex-" + Self.pad(i, 7), ts: ts, observed: observed, predicted: predicted, scores: scores)
    }

    static func pad(_ v: Int, _ width: Int) -> String {
        let s = String(v)
        return s.count >= width ? s : String(repeating: "0", count: width - s.count) + s
    }

    /// The NDJSON prediction line of row `i`.
    public func predictionLine(_ i: Int) -> String {
        let r = row(i)
        var s = "{\"id\":\"\(r.id)\",\"ts\":\"\(Timestamp.format(millis: r.ts))\",\"model\":\"\(Self.model)\",\"model_version\":\"1\","
        s += "\"label\":\"\(Self.classes[r.predicted])\",\"score\":\(r.scores[r.predicted]),\"scores\":{"
        for (k, c) in Self.classes.enumerated() {
            s += (k == 0 ? "" : ",") + "\"\(c)\":\(r.scores[k])"
        }
        return s + "}}"
    }

    /// The NDJSON ground-truth line of row `i`.
    public func labelLine(_ i: Int) -> String {
        let r = row(i)
        return "{\"prediction_id\":\"\(r.id)\",\"label\":\"\(Self.classes[r.observed])\"}"
    }

    /// The CSV header matching ``predictionCSV(_:)``: the same content as the NDJSON line,
    /// with the scores map as `score_<class>` columns.
    public static var csvHeader: String {
        "id,ts,model,model_version,label,score," + classes.map { "score_" + $0 }.joined(separator: ",")
    }

    /// The CSV prediction row of row `i` (columns of ``csvHeader``).
    public func predictionCSV(_ i: Int) -> String {
        let r = row(i)
        return "\(r.id),\(Timestamp.format(millis: r.ts)),\(Self.model),1,\(Self.classes[r.predicted]),\(r.scores[r.predicted]),"
            + r.scores.map { String($0) }.joined(separator: ",")
    }

    /// Whether row `i` is in the reviewed sample of `fraction` of all rows (deterministic).
    public func isReviewed(_ i: Int, fraction: Double) -> Bool {
        var rng = SplitMix64(seed: seed ^ 0x5EED_0F_4E71E3 &+ UInt64(i) &* 0x9E37_79B9)
        return rng.unit() < fraction
    }
}
