import VigilCore

/// The rules of a reviewer's answer that do not depend on the backend, shared by every
/// ``Store``: which answer a model's task takes, and the ground-truth record an answer becomes
/// (hashed as `vigil ingest labels` hashes the same line, so an equal import is a repeat).
public enum ReviewAnswer {
    /// The `source` of ground truth a review answer writes; truth from any other source closes
    /// the review items of its prediction (``ReviewItemClosing``).
    public static let source = "review"

    /// The class index of a label answer; throws when the model is a detector or the class is unknown.
    public static func labelIndex(_ label: String, schema: ModelSchema, item: Int64, model: String) throws -> Int {
        guard schema.task == .classification else {
            throw StoreError("item \(item) belongs to detection model '\(model)': its ground truth is boxes; answer with the reviewed boxes (vigil review), or skip or flag it")
        }
        guard let k = schema.index(of: label) else { throw QueueError.unknownClass(label, known: schema.classes) }
        return k
    }

    /// Checks a boxes answer: a detector's, with known classes and finite, non-negative boxes.
    public static func checkBoxes(_ boxes: [ReviewedBox], schema: ModelSchema, item: Int64, model: String) throws {
        guard schema.task == .detection else {
            throw StoreError("item \(item) belongs to classification model '\(model)': answer with a class label, not boxes")
        }
        if let bad = boxes.first(where: { schema.index(of: $0.label) == nil }) { throw QueueError.unknownClass(bad.label, known: schema.classes) }
        if let bad = boxes.first(where: { !($0.width >= 0 && $0.height >= 0 && $0.x.isFinite && $0.y.isFinite) }) {
            throw StoreError("box \(bad.label) [\(bad.x), \(bad.y), \(bad.width), \(bad.height)] has a negative or non-finite size or position")
        }
    }

    /// The `review.boxes` event's details: the item and the number of boxes per verdict.
    public static func verdictCounts(_ boxes: [ReviewedBox], item: Int64) -> [String: String] {
        var counts: [String: String] = ["item": String(item)]
        for verdict in ReviewedBox.Verdict.allCases { counts[verdict.rawValue] = String(boxes.filter { $0.verdict == verdict }.count) }
        return counts
    }

    /// The ground truth a label answer gives.
    public static func labelRecord(predictionID: String, label: String, reviewer: String) -> LabelRecord {
        var hash = ContentHash()
        hash.add(label)
        hash.addAbsent()  // as a label line without boxes hashes, so an equal import is a repeat
        return LabelRecord(line: 0, predictionID: predictionID, label: label, boxesJSON: nil, boxLabels: [],
                           reviewer: reviewer, source: source, contentHash: hash.signed)
    }

    /// The ground truth a boxes answer gives: every box but the rejected ones.
    public static func boxesRecord(predictionID: String, boxes: [ReviewedBox], reviewer: String) -> LabelRecord {
        let truth = ReviewedBox.groundTruthJSON(boxes)
        var hash = ContentHash()
        hash.addAbsent()  // hashed as `vigil ingest labels` hashes a line with boxes and no label
        Array(truth.utf8).withUnsafeBufferPointer { hash.add($0) }
        return LabelRecord(line: 0, predictionID: predictionID, label: nil, boxesJSON: truth,
                           boxLabels: boxes.filter { $0.verdict != .rejected }.map(\.label),
                           reviewer: reviewer, source: source, contentHash: hash.signed)
    }
}
