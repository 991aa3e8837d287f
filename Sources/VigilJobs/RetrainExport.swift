import Foundation
import VigilCore
import VigilRegistry
import VigilStore

/// The files a retraining job writes before its trainer runs, in the job's folder:
///
/// - `train.ndjson` (classifiers: `{"id","input","label"}` per line) or `train.coco.json`
///   (detectors: COCO images, annotations, categories): the parent's training data, then the
///   reviewed labels not kept for the holdout;
/// - `holdout.ndjson`: the holdout's inputs only (`{"id","input"}`), for the trainer to predict;
/// - `holdout-truth.ndjson`: the holdout's labels (`{"id","label"}` or `{"id","boxes"}`), never shown to the trainer;
/// - `champion-predictions.ndjson`: what the serving model predicted on those items, as
///   ingested (the gate's fallback when nobody ran the champion on the holdout: ``HoldoutFiles``);
/// - `classes.json`: the class list the training set was exported with.
///
/// The holdout is a time split: gold items, plus the newest `holdout_fraction` of the other
/// reviewed items; everything older trains. With `retraining.window`, only predictions made
/// within that length before `now` take part. Detector images carry `"origin"`: `"parent"`
/// for the parent's training data, `"review"` for reviewed items (the embedded trainer
/// fine-tunes on the reviewed ones and replays some of the parent's).
public struct RetrainExport: Sendable {
    public var directory: String
    public var trainingItems = 0
    public var holdoutItems = 0
    public var goldItems = 0
    /// SHA-256 of the training set file.
    public var fingerprint = ""

    public var trainingSet: String { directory + "/" + (isDetection ? "train.coco.json" : "train.ndjson") }
    public var holdout: String { directory + "/holdout.ndjson" }
    public var holdoutTruth: String { directory + "/holdout-truth.ndjson" }
    /// What production served on the holdout items (possibly an older model than the champion).
    public var servedChampionPredictions: String { directory + "/champion-predictions.ndjson" }
    public var classesFile: String { directory + "/classes.json" }
    var isDetection: Bool

    public init(directory: String, task: ModelTask) {
        self.directory = directory
        self.isDetection = task == .detection
    }

    /// Exports `policy`'s model from `store`, with `parentTrainingSet` (the champion's data) first.
    public static func write(store: any Store, policy: Policy, directory: String, parentTrainingSet: String?, now: Int64? = nil) throws -> RetrainExport {
        var export = RetrainExport(directory: directory, task: policy.task)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let classes = policy.classes
        var items: [ReviewedPrediction] = []
        let since = policy.retraining?.windowMillis.flatMap { w in now.map { $0 - w } } ?? Int64.min
        try store.forEachReviewedPrediction(model: policy.model) { if $0.ts >= since { items.append($0) } }
        let gold = items.filter(\.isGold)
        let rest = items.filter { !$0.isGold }  // oldest first
        let holdoutCount = Int((Double(rest.count) * (policy.retraining?.holdoutFraction ?? 0.3)).rounded())
        let training = Array(rest.prefix(rest.count - holdoutCount))
        let holdout = Array(rest.suffix(holdoutCount)) + gold
        export.trainingItems = training.count
        export.holdoutItems = holdout.count
        export.goldItems = gold.count

        func input(_ p: ReviewedPrediction) -> Any { (try? JSONSerialization.jsonObject(with: Data(p.payload.utf8)) as? [String: Any])?["input"] ?? [:] }
        func label(_ i: Int?) -> String? { i.flatMap { $0 >= 0 && $0 < classes.count ? classes[$0] : nil } }
        func boxes(_ json: String?) -> Any { json.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) } ?? [] }
        func line(_ object: [String: Any]) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        }

        if export.isDetection {
            var dataset: [String: Any] = ["images": [Any](), "annotations": [Any](),
                                          "categories": classes.enumerated().map { ["id": $0.offset + 1, "name": $0.element] }]
            if let parentTrainingSet, let data = FileManager.default.contents(atPath: parentTrainingSet),
               let parent = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                dataset["images"] = (parent["images"] as? [[String: Any]] ?? []).map { var image = $0; image["origin"] = "parent"; return image }
                dataset["annotations"] = parent["annotations"] ?? []
            }
            var images = dataset["images"] as? [[String: Any]] ?? []
            var annotations = dataset["annotations"] as? [[String: Any]] ?? []
            var nextImage = (images.compactMap { $0["id"] as? Int }.max() ?? 0) + 1
            var nextAnnotation = (annotations.compactMap { $0["id"] as? Int }.max() ?? 0) + 1
            for p in training {
                var image: [String: Any] = ["id": nextImage, "file_name": p.id, "origin": "review"]
                if let i = input(p) as? [String: Any] { image["input"] = i }
                images.append(image)
                for b in boxes(p.boxes) as? [[String: Any]] ?? [] {
                    guard let name = b["label"] as? String, let k = classes.firstIndex(of: name), let bbox = b["bbox"] as? [Double], bbox.count == 4 else { continue }
                    annotations.append(["id": nextAnnotation, "image_id": nextImage, "category_id": k + 1, "bbox": bbox,
                                        "area": (b["area"] as? Double) ?? bbox[2] * bbox[3], "iscrowd": (b["iscrowd"] as? Int) ?? 0])
                    nextAnnotation += 1
                }
                nextImage += 1
            }
            dataset["images"] = images
            dataset["annotations"] = annotations
            try JSONSerialization.data(withJSONObject: dataset, options: [.sortedKeys]).write(to: URL(fileURLWithPath: export.trainingSet))
        } else {
            var text = ""
            if let parentTrainingSet, let parent = try? String(contentsOfFile: parentTrainingSet, encoding: .utf8) {
                text = parent.hasSuffix("\n") || parent.isEmpty ? parent : parent + "\n"
            }
            for p in training {
                guard let l = label(p.labelIndex) else { continue }
                text += try line(["id": p.id, "input": input(p), "label": l]) + "\n"
            }
            try text.write(toFile: export.trainingSet, atomically: true, encoding: .utf8)
        }
        var inputs = "", truth = "", champion = ""
        for p in holdout {
            inputs += try line(["id": p.id, "input": input(p)]) + "\n"
            if export.isDetection {
                truth += try line(["id": p.id, "boxes": boxes(p.boxes), "gold": p.isGold]) + "\n"
                let payload = (try? JSONSerialization.jsonObject(with: Data(p.payload.utf8)) as? [String: Any]) ?? [:]
                champion += try line(["id": p.id, "boxes": payload["boxes"] ?? []]) + "\n"
            } else {
                truth += try line(["id": p.id, "label": label(p.labelIndex) ?? "", "gold": p.isGold]) + "\n"
                var c: [String: Any] = ["id": p.id, "label": label(p.predictedIndex) ?? ""]
                if let s = p.score { c["score"] = s }
                champion += try line(c) + "\n"
            }
        }
        try inputs.write(toFile: export.holdout, atomically: true, encoding: .utf8)
        try truth.write(toFile: export.holdoutTruth, atomically: true, encoding: .utf8)
        try champion.write(toFile: export.servedChampionPredictions, atomically: true, encoding: .utf8)
        try JSONText.array(classes).write(toFile: export.classesFile, atomically: true, encoding: .utf8)
        export.fingerprint = ArtifactStore.sha256(file: export.trainingSet) ?? ""
        return export
    }
}
