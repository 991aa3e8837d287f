import Foundation
import VigilCore
import VigilDetector
import VigilImaging

/// `trainer: embedded`: fine-tunes the champion on the embedded detector (docs/detector.md,
/// docs/registry.md).
///
/// It follows the same contract as any trainer (``TrainingRequest``): it reads the exported
/// COCO training set, loads each image's pixels from its `input` (``ImageInput``: an image
/// file or a synthetic scene), starts from the champion's weights, trains on every reviewed
/// image plus up to `replay` images of the champion's own training data, and writes the
/// artifact (a safetensors file carrying its config), one prediction per holdout line and the
/// class list. Before fine-tuning it predicts the holdout with the champion's artifact as it
/// is, in the same way, into `{champion_predictions}`: the gate compares both on the same
/// inputs. Its progress goes to the job's log, one line per epoch.
public struct EmbeddedTrainer: Trainer {
    public var name: String { "embedded" }
    public var settings: EmbeddedTrainingSettings
    /// The folder relative `input.uri` paths are read from (the workspace).
    public var imageBase: String

    public init(settings: EmbeddedTrainingSettings, imageBase: String) {
        self.settings = settings
        self.imageBase = imageBase
    }

    public func train(_ request: TrainingRequest) throws {
        guard request.task == .detection else {
            throw JobError("retraining.trainer: embedded fine-tunes the embedded detector, and \(request.model) is a \(request.task.rawValue) model; use trainer: command")
        }
        guard let parentPath = request.parentArtifact else {
            throw JobError("retraining.trainer: embedded fine-tunes the champion, and \(request.model) has none yet: register one with `vigil registry register --champion`")
        }
        let log = JobLog(path: request.logFile)
        let parent = try Detector.load(from: URL(fileURLWithPath: parentPath))
        guard parent.config.classes == request.classes else {
            throw JobError("the champion \(parentPath) predicts \(parent.config.classes), the policy lists \(request.classes): they must be the same classes in the same order")
        }
        let data = try trainingData(request, size: parent.config.inputSize, log: log)
        log.line("fine-tuning \(parent.config.weightsSHA256.map { String($0.prefix(12)) } ?? "the champion") on \(data.count) images, \(settings.epochs) epochs, \(settings.workers) worker\(settings.workers == 1 ? "" : "s")")
        try FileManager.default.createDirectory(atPath: request.outputDirectory, withIntermediateDirectories: true)
        try predictHoldout(request, detector: parent, into: request.championPredictionsPath, whose: "the champion's")
        let deadline = Date().addingTimeInterval(Double(request.timeoutMillis) / 1000)
        let detectorTrainer = VigilDetector.Trainer(settings: .init(epochs: settings.epochs, batchSize: settings.batchSize, learningRate: settings.learningRate,
                                                                    seed: settings.seed, blasThreads: 1, workers: settings.workers))
        var timedOut = false
        let record: ModelConfig.TrainingRecord
        do {
            record = try detectorTrainer.train(parent.network, on: data, finetunedFrom: parent.config.weightsSHA256,
                                               progress: { log.line($0.line) },
                                               shouldStop: { timedOut = Date() > deadline; return timedOut || request.shouldStop() })
        } catch where timedOut {
            throw JobError("the embedded trainer ran past retraining.timeout (\(request.timeoutMillis / 1000) s) and was stopped")
        }
        parent.config.training = record
        try parent.save(to: URL(fileURLWithPath: request.artifactPath))
        try predictHoldout(request, detector: parent, into: request.predictionsPath, whose: "the candidate's")
        try JSONText.array(request.classes).write(toFile: request.classesPath, atomically: true, encoding: .utf8)
        log.line(String(format: "done in %.1f s, final training loss %.4f (Vigil scores the holdout itself)", record.seconds, record.finalLoss))
    }

    /// The reviewed images of the training set and a seeded draw of `replay` of the parent's.
    func trainingData(_ request: TrainingRequest, size: Int, log: JobLog) throws -> SceneSet {
        let file = request.trainingSet
        guard let bytes = FileManager.default.contents(atPath: file),
              let coco = try? JSONSerialization.jsonObject(with: bytes) as? [String: Any] else {
            throw JobError("\(file): not a COCO JSON file")
        }
        let categories = coco["categories"] as? [[String: Any]] ?? []
        var classOf: [Int: Int] = [:]
        for c in categories {
            guard let id = (c["id"] as? NSNumber)?.intValue, let name = c["name"] as? String, let k = request.classes.firstIndex(of: name) else { continue }
            classOf[id] = k
        }
        var boxes: [Int: [LabeledBox]] = [:]
        for (n, a) in (coco["annotations"] as? [[String: Any]] ?? []).enumerated() {
            guard let image = (a["image_id"] as? NSNumber)?.intValue, let category = (a["category_id"] as? NSNumber)?.intValue,
                  let bbox = a["bbox"] as? [Double], bbox.count == 4 else {
                throw JobError("\(file): annotations[\(n)]: needs image_id, category_id and bbox [x, y, w, h]")
            }
            guard let k = classOf[category] else { throw JobError("\(file): annotations[\(n)].category_id: \(category) is not one of the categories") }
            if (a["iscrowd"] as? NSNumber)?.intValue == 1 { continue }
            boxes[image, default: []].append(LabeledBox(classIndex: k, x: bbox[0], y: bbox[1], w: bbox[2], h: bbox[3]))
        }
        let images = coco["images"] as? [[String: Any]] ?? []
        let reviewed = images.filter { $0["origin"] as? String == "review" }
        let parentImages = images.filter { $0["origin"] as? String != "review" }
        guard !reviewed.isEmpty else {
            throw JobError("\(file): no reviewed images to fine-tune on; review some of the queue first (`vigil review`)")
        }
        var rng = SplitMix64(seed: settings.seed)
        var order = Array(parentImages.indices)
        let replay = min(settings.replay, order.count)
        for i in 0..<replay { order.swapAt(i, i + Int(rng.next() % UInt64(order.count - i))) }
        let chosen = reviewed + order.prefix(replay).map { parentImages[$0] }
        var pixels: [RGBImage] = []
        var labels: [[LabeledBox]] = []
        var names: [String] = []
        for (n, image) in chosen.enumerated() {
            let name = image["file_name"] as? String ?? "image \(n)"
            let loaded: RGBImage
            do { loaded = try ImageInput(json: image["input"]).load(base: imageBase).image } catch { throw JobError("\(file): image \(name): \(error)") }
            guard loaded.width == size, loaded.height == size else {
                throw JobError("\(file): image \(name) is \(loaded.width)×\(loaded.height); the champion takes \(size)×\(size)")
            }
            pixels.append(loaded)
            labels.append(boxes[(image["id"] as? NSNumber)?.intValue ?? -1] ?? [])
            names.append(name)
        }
        log.line("training set: \(reviewed.count) reviewed images + \(replay) replayed from the champion's \(parentImages.count)")
        return try SceneSet(classes: request.classes, images: pixels, boxes: labels, fileNames: names,
                            description: "\(reviewed.count) reviewed + \(replay) replayed images")
    }

    /// Writes `detector`'s detections for every holdout line to `path` (`whose`: named in the job log).
    func predictHoldout(_ request: TrainingRequest, detector: Detector, into path: String, whose: String) throws {
        guard let text = try? String(contentsOfFile: request.holdout, encoding: .utf8) else { throw JobError("cannot read the holdout \(request.holdout)") }
        var ids: [String] = []
        var images: [RGBImage] = []
        for (n, line) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], let id = object["id"] as? String else {
                throw JobError("\(request.holdout):\(n + 1): not a JSON object with an \"id\"")
            }
            do { images.append(try ImageInput(json: object["input"]).load(base: imageBase).image) } catch {
                throw JobError("\(request.holdout):\(n + 1): \(error)")
            }
            ids.append(id)
        }
        var out = ""
        if !ids.isEmpty {
            let set = try SceneSet(classes: request.classes, images: images, boxes: ids.map { _ in [] }, fileNames: ids, description: "holdout", fingerprint: false)
            let predictions = try detector.predict(set, minScore: settings.minScore)
            for (i, id) in ids.enumerated() {
                out += "{\"id\":" + JSONText.quote(id) + ",\"boxes\":" + PredictionLines.boxes(predictions[i], classes: request.classes) + "}\n"
            }
        }
        try out.write(toFile: path, atomically: true, encoding: .utf8)
        JobLog(path: request.logFile).line("predicted \(ids.count) holdout images with \(whose) weights")
    }
}

/// Appends lines to a job's log file (created when missing).
struct JobLog: @unchecked Sendable {
    let path: String

    func line(_ text: String) {
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) { _ = fm.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { return }
        defer { try? handle.close() }
        _ = try? handle.seekToEnd()
        handle.write(Data((text + "\n").utf8))
    }
}
