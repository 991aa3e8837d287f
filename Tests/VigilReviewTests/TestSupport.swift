import Foundation
import GRDB
import VigilCore
@testable import VigilStore
@testable import VigilReview

let classifier = ModelSchema(name: "shelf", task: .classification, classes: ["can", "jar", "box"])
let detector = ModelSchema(name: "dock", task: .detection, classes: ["can", "bottle", "box"])
let t0 = Timestamp.parseMillis("2026-10-30T00:00:00Z")!
let lease: Int64 = 600_000

/// A fresh store with `classified` predictions of `shelf` (predicted class cycling can, jar,
/// box) and `detected` images of `dock` (two boxes each), all queued; `double` of the
/// classifier's items want two reviewers.
func queuedStore(classified: Int, detected: Int = 0, double: Int = 0) throws -> SQLiteStore {
    let dir = NSTemporaryDirectory() + "vigil-review-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let store = try SQLiteStore(path: dir + "/vigil.db")
    let catalog = try store.syncModels([classifier, detector], now: 0)
    var lines: [String] = []
    for i in 0..<classified {
        let label = classifier.classes[i % 3]
        lines.append(#"{"id":"c\#(i)","ts":"\#(Timestamp.format(millis: t0 + Int64(i) * 1000))","model":"shelf","label":"\#(label)","score":0.7,"scores":{"\#(label)":0.7}}"#)
    }
    for i in 0..<detected {
        lines.append(#"{"id":"d\#(i)","ts":"\#(Timestamp.format(millis: t0 + Int64(i) * 1000))","model":"dock","boxes":[{"label":"can","score":0.9,"bbox":[10,10,20,20]},{"label":"bottle","score":0.6,"bbox":[50,40,10,30]}],"image":{"width":160,"height":120}}"#)
    }
    let parser = PredictionLineParser(catalog: catalog)
    var batch: [PredictionRecord]? = lines.enumerated().map { i, line in
        var l = line
        return l.withUTF8 { try! parser.parse($0, line: i + 1).get() }
    }
    _ = try store.ingestPredictions(options: IngestOptions(now: t0), nextBatch: { defer { batch = nil }; return batch }, progress: { _ in })
    for model in ["shelf", "dock"] {
        let seqs = try store.queue.read { db in
            try Int64.fetchAll(db, sql: "SELECT p.seq FROM predictions p JOIN models m ON m.id = p.model_id WHERE m.name = ? ORDER BY p.seq", arguments: [model])
        }
        let drafts = seqs.enumerated().map { i, seq in
            ReviewItemDraft(predictionSeq: seq, strategy: .uniform, inclusionProbability: 1, reviewsRequired: model == "shelf" && i < double ? 2 : 1)
        }
        _ = try store.enqueue(drafts, model: model, sampleRun: "test", now: t0, actor: "test")
    }
    return store
}

/// The current ground truth of prediction `id`: (class name or nil, boxes JSON or nil, revision), nil when unlabelled.
func groundTruth(_ store: SQLiteStore, _ id: String) throws -> (label: String?, boxes: String?, revision: Int64)? {
    try store.queue.read { db in
        try Row.fetchOne(db, sql: """
            SELECT mc.name, g.boxes, g.revision FROM ground_truth g JOIN predictions p ON p.seq = g.prediction_seq
            LEFT JOIN model_classes mc ON mc.model_id = g.model_id AND mc.idx = g.label_idx WHERE p.id = ?
            """, arguments: [id]).map { ($0[0], $0[1], $0[2]) }
    }
}

/// A review session on `store` without images, on a clock the test moves.
final class TestClock: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Int64
    init(_ start: Int64) { value = start }
    var now: Int64 { lock.lock(); defer { lock.unlock() }; return value }
    func advance(_ ms: Int64) { lock.lock(); value += ms; lock.unlock() }
}

func work(_ store: SQLiteStore, _ reviewer: String, model: String? = nil, clock: TestClock = TestClock(t0 + 86_400_000)) -> ReviewWork {
    ReviewWork(store: store, reviewer: reviewer, model: model, leaseMillis: lease, schemas: ["shelf": classifier, "dock": detector],
               images: nil, clock: { clock.now })
}

/// A prepared item without a store, for session and layout tests.
func item(task: ModelTask, predicted: String? = "can", classes: [String] = ["can", "jar", "box"], boxes: [PreparedItem.PredictedBox] = []) -> PreparedItem {
    let claim = ReviewClaim(assignment: 1, item: 1, model: task == .classification ? "shelf" : "dock", predictionID: "p-1", predictedClass: predicted,
                            score: 0.7, payload: nil, reviewer: "ana", leaseUntil: 0, isGold: false)
    var prepared = PreparedItem(claim: claim, task: task, classes: classes, topK: [("can", 0.7), ("jar", 0.2)], boxes: boxes)
    prepared.imageSize = (160, 120)
    return prepared
}
