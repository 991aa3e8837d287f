import VigilCore

/// Per-hour aggregate increments collected over one batch and written with one upsert per
/// key, in the batch's transaction, so aggregates always equal a recount of the rows.
///
/// Keys: predicted class per hour (`label_idx` = -1 counts records, i.e. images for a
/// detector), and a 20-bin score histogram per hour and class (bin = ⌊score·20⌋, 1.0 in bin 19).
/// Labels are class indices, so never below -1. Also per hour: the count and sum of top-1
/// scores (hourly mean score), and the rows of the stored drift sample (``PredictionSample``).
///
/// The one definition of the aggregates for both backends: SQLite writes it with one upsert per
/// key, PostgreSQL with one statement of arrays in key order (``sortedHours()``).
public struct AggregateDelta {
    public static let bins = 20
    public static let recordsLabel: Int64 = -1

    /// One model-hour's counters, dense by class: rows arrive in time order, so consecutive
    /// rows nearly always share the hour and no hashing is needed per row.
    public final class HourCounts {
        /// Index `label + 1` (0 counts records).
        public private(set) var classes: [Int64] = []
        /// Index `label * bins + bin`.
        public private(set) var bins: [Int64] = []
        /// Top-1 scores of the hour: how many, and their sum.
        public internal(set) var scoreCount: Int64 = 0
        public internal(set) var scoreSum: Double = 0

        @inline(__always) func add(label: Int64, score: Double?) {
            let c = Int(label + 1)
            if c >= classes.count { classes += Array(repeating: 0, count: c + 1 - classes.count) }
            classes[c] += 1
            guard let score, label >= 0 else { return }
            let b = Int(label) * AggregateDelta.bins + Int(AggregateDelta.bin(score))
            if b >= bins.count { bins += Array(repeating: 0, count: b + 1 - bins.count) }
            bins[b] += 1
        }
    }

    public struct HourKey: Hashable, Comparable {
        public var model: Int64
        public var hour: Int64
        public static func < (a: Self, b: Self) -> Bool { (a.model, a.hour) < (b.model, b.hour) }
    }

    var hours: [HourKey: HourCounts] = [:]
    private var last: (key: HourKey, counts: HourCounts)?

    public static func bin(_ score: Double) -> Int64 { Int64(min(Double(bins - 1), (score * Double(bins)).rounded(.towardZero))) }

    public static func hour(_ ts: Int64) -> Int64 { ts / 3_600_000 }  // ts >= 0: ingest refuses earlier instants

    private mutating func counts(model: Int64, hour: Int64) -> HourCounts {
        let key = HourKey(model: model, hour: hour)
        if let last, last.key == key { return last.counts }
        let counts = hours[key] ?? HourCounts()
        hours[key] = counts
        last = (key, counts)
        return counts
    }

    /// A new prediction of the drift sample, written with the batch.
    public struct SampleRow {
        public var model: Int64, level: Int, ts: Int64, seq: Int64, score: Double?, payload: String?
    }
    public internal(set) var sample: [SampleRow] = []

    public init() {}

    /// No prediction counted yet.
    public var isEmpty: Bool { hours.isEmpty }

    /// The model-hours counted, in key order (writers that lock keys in order take them so).
    public func sortedHours() -> [(key: HourKey, counts: HourCounts)] {
        hours.sorted { $0.key < $1.key }.map { (key: $0.key, counts: $0.value) }
    }

    /// Counts a newly stored prediction with sequence number `seq`.
    public mutating func add(model: Int64, record r: PredictionRecord, seq: Int64) {
        let c = counts(model: model, hour: Self.hour(r.timestampMillis))
        c.add(label: Self.recordsLabel, score: nil)
        if let score = r.score {
            c.scoreCount += 1
            c.scoreSum += score
        }
        if PredictionSample.isStored(contentHash: r.contentHash) {
            sample.append(SampleRow(model: model, level: PredictionSample.level(contentHash: r.contentHash), ts: r.timestampMillis,
                                    seq: seq, score: r.score, payload: r.payload))
        }
        if let label = r.labelIndex { c.add(label: Int64(label), score: r.score) }
        for box in r.boxes { c.add(label: Int64(box.labelIndex), score: box.score) }
    }

    mutating func flush(classes: RawStatement, bins: RawStatement, sums: RawStatement, sample sampleInsert: RawStatement) throws {
        for (k, c) in hours {
            if c.scoreCount > 0 {
                sums.bind(1, k.model); sums.bind(2, k.hour); sums.bind(3, c.scoreCount); sums.bind(4, c.scoreSum)
                try sums.step(); sums.reset()
            }
            for (i, n) in c.classes.enumerated() where n != 0 {
                classes.bind(1, k.model); classes.bind(2, k.hour); classes.bind(3, Int64(i - 1)); classes.bind(4, n)
                try classes.step(); classes.reset()
            }
            for (i, n) in c.bins.enumerated() where n != 0 {
                bins.bind(1, k.model); bins.bind(2, k.hour); bins.bind(3, Int64(i / Self.bins)); bins.bind(4, Int64(i % Self.bins)); bins.bind(5, n)
                try bins.step(); bins.reset()
            }
        }
        for row in sample {
            sampleInsert.bind(1, row.model); sampleInsert.bind(2, Int64(row.level)); sampleInsert.bind(3, row.ts); sampleInsert.bind(4, row.seq)
            sampleInsert.bind(5, row.score); sampleInsert.bind(6, row.payload)
            try sampleInsert.step(); sampleInsert.reset()
        }
        sample.removeAll(keepingCapacity: true)
        hours.removeAll(keepingCapacity: true)
        last = nil
    }

    /// Per-hour confusion increments of labels (observed × predicted), written like the rest.
    struct ConfusionKey: Hashable { var model: Int64; var hour: Int64; var label: Int64; var predicted: Int64 }
    var confusion: [ConfusionKey: Int64] = [:]

    mutating func addConfusion(model: Int64, ts: Int64, label: Int64, predicted: Int64, count: Int64) {
        confusion[ConfusionKey(model: model, hour: Self.hour(ts), label: label, predicted: predicted), default: 0] += count
    }

    mutating func flushConfusion(_ upsert: RawStatement) throws {
        for (k, n) in confusion where n != 0 {
            upsert.bind(1, k.model); upsert.bind(2, k.hour); upsert.bind(3, k.label); upsert.bind(4, k.predicted); upsert.bind(5, n)
            try upsert.step(); upsert.reset()
        }
        confusion.removeAll(keepingCapacity: true)
    }

    static let confusionUpsert = """
        INSERT INTO hourly_confusion(model_id, hour, label_idx, predicted_idx, n) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (model_id, hour, label_idx, predicted_idx) DO UPDATE SET n = n + excluded.n
        """

    static let classUpsert = """
        INSERT INTO hourly_class_counts(model_id, hour, label_idx, n) VALUES (?, ?, ?, ?)
        ON CONFLICT (model_id, hour, label_idx) DO UPDATE SET n = n + excluded.n
        """
    static let sumUpsert = """
        INSERT INTO hourly_score_sums(model_id, hour, n, total) VALUES (?, ?, ?, ?)
        ON CONFLICT (model_id, hour) DO UPDATE SET n = n + excluded.n, total = total + excluded.total
        """
    /// The boxes of a detector's prediction are kept as its payload's `boxes` array.
    static let sampleInsert = """
        INSERT INTO prediction_sample(model_id, level, ts, seq, score, boxes) VALUES (?, ?, ?, ?, ?, json_extract(?, '$.boxes'))
        """
    static let binUpsert = """
        INSERT INTO hourly_score_bins(model_id, hour, label_idx, bin, n) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (model_id, hour, label_idx, bin) DO UPDATE SET n = n + excluded.n
        """
}
