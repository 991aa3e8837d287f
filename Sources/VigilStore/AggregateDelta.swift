import VigilCore

/// Per-hour aggregate increments collected over one batch and written with one upsert per
/// key, in the batch's transaction, so aggregates always equal a recount of the rows.
///
/// Keys: predicted class per hour (`label_idx` = -1 counts records, i.e. images for a
/// detector), and a 20-bin score histogram per hour and class (bin = ⌊score·20⌋, 1.0 in bin 19).
struct AggregateDelta {
    struct ClassKey: Hashable { var model: Int64; var hour: Int64; var label: Int64 }
    struct BinKey: Hashable { var model: Int64; var hour: Int64; var label: Int64; var bin: Int64 }

    static let bins = 20
    static let recordsLabel: Int64 = -1

    var classCounts: [ClassKey: Int64] = [:]
    var binCounts: [BinKey: Int64] = [:]

    static func bin(_ score: Double) -> Int64 { Int64(min(Double(bins - 1), (score * Double(bins)).rounded(.towardZero))) }

    static func hour(_ ts: Int64) -> Int64 { ts / 3_600_000 }  // ts >= 0: ingest refuses earlier instants

    mutating func add(model: Int64, record r: PredictionRecord) {
        let hour = Self.hour(r.timestampMillis)
        classCounts[ClassKey(model: model, hour: hour, label: Self.recordsLabel), default: 0] += 1
        if let label = r.labelIndex {
            add(model: model, hour: hour, label: Int64(label), score: r.score)
        }
        for box in r.boxes {
            add(model: model, hour: hour, label: Int64(box.labelIndex), score: box.score)
        }
    }

    private mutating func add(model: Int64, hour: Int64, label: Int64, score: Double?) {
        classCounts[ClassKey(model: model, hour: hour, label: label), default: 0] += 1
        if let score {
            binCounts[BinKey(model: model, hour: hour, label: label, bin: Self.bin(score)), default: 0] += 1
        }
    }

    mutating func flush(classes: RawStatement, bins: RawStatement) throws {
        for (k, n) in classCounts {
            classes.bind(1, k.model); classes.bind(2, k.hour); classes.bind(3, k.label); classes.bind(4, n)
            try classes.step(); classes.reset()
        }
        for (k, n) in binCounts {
            bins.bind(1, k.model); bins.bind(2, k.hour); bins.bind(3, k.label); bins.bind(4, k.bin); bins.bind(5, n)
            try bins.step(); bins.reset()
        }
        classCounts.removeAll(keepingCapacity: true)
        binCounts.removeAll(keepingCapacity: true)
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
    static let binUpsert = """
        INSERT INTO hourly_score_bins(model_id, hour, label_idx, bin, n) VALUES (?, ?, ?, ?, ?)
        ON CONFLICT (model_id, hour, label_idx, bin) DO UPDATE SET n = n + excluded.n
        """
}
