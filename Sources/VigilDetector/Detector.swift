import Dispatch
import Foundation
import VigilCore

/// A trained detector: its network and config, saved as `<name>.safetensors` (the weights,
/// whose SHA-256 is the version's identity) and `<name>.json` (the config).
///
/// ```swift
/// let detector = try Detector.load(from: URL(fileURLWithPath: "models/v1.safetensors"))
/// let boxes = detector.predict(holdout)          // per image, best first
/// let map50 = detector.evaluate(holdout).stats[1]
/// ```
public final class Detector {
    public let network: DetectorNetwork
    public var config: ModelConfig

    /// A detector with fresh weights from `seed`.
    public init(config: ModelConfig, seed: UInt64) {
        self.network = DetectorNetwork(config: config, seed: seed)
        self.config = config
    }

    // MARK: - Artifact

    /// The config file next to a weights file: `x.safetensors` → `x.json`.
    public static func configURL(for weights: URL) -> URL {
        weights.deletingPathExtension().appendingPathExtension("json")
    }

    /// Writes the weights and the config (with the weights' SHA-256); returns the SHA-256.
    @discardableResult
    public func save(to weights: URL) throws -> String {
        let tensors = network.storedTensors().map { SafeTensors.Tensor(name: $0.name, shape: $0.shape, values: $0.values) }
        // Only what describes the weights goes into the file, so the same weights always have
        // the same SHA-256; the run's timings and metrics stay in the .json.
        let configJSON = String(decoding: try ModelConfig.encoder().encode(architecture()), as: UTF8.self)
        let bytes = SafeTensors.encode(tensors, metadata: ["format": "pt", "vigil.config": configJSON])
        let dir = weights.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        try Data(bytes).write(to: weights)
        let sha = SHA256.hash(bytes).hexString
        config.weightsSHA256 = sha
        try ModelConfig.encoder().encode(config).write(to: Self.configURL(for: weights))
        return sha
    }

    private func architecture() -> ModelConfig {
        var c = config
        c.weightsSHA256 = nil
        c.training = nil
        return c
    }

    /// Reads `x.safetensors` and `x.json`; checks that the config's SHA-256 matches the file.
    /// Without `x.json` (a registry artifact is the weights file alone), the architecture comes
    /// from the `vigil.config` entry of the file's metadata.
    public static func load(from weights: URL) throws -> Detector {
        let configURL = configURL(for: weights)
        guard let bytes = FileManager.default.contents(atPath: weights.path) else {
            throw DetectorError("cannot read \(weights.path): train one with `vigil detector train --out \(weights.path)`")
        }
        let decoded = try SafeTensors.decode(Array(bytes))
        let configData: Data
        if let data = FileManager.default.contents(atPath: configURL.path) {
            configData = data
        } else if let embedded = decoded.metadata["vigil.config"] {
            configData = Data(embedded.utf8)
        } else {
            throw DetectorError("cannot read \(configURL.path), the config that goes with \(weights.lastPathComponent), and the file's metadata has no vigil.config")
        }
        let config: ModelConfig
        do { config = try ModelConfig.decoder().decode(ModelConfig.self, from: configData) } catch {
            throw DetectorError("\(configURL.path) is not a detector config (\(error))")
        }
        try config.validate()
        let sha = SHA256.hash(bytes).hexString
        if let expected = config.weightsSHA256, expected != sha {
            throw DetectorError("\(weights.path) has SHA-256 \(sha) but \(configURL.lastPathComponent) names \(expected): the two files are from different versions")
        }
        let detector = Detector(config: config, seed: 0)
        try detector.network.load(Dictionary(uniqueKeysWithValues: decoded.tensors.map { ($0.name, $0.values) }))
        detector.config.weightsSHA256 = sha
        return detector
    }

    // MARK: - Use

    /// Detections for every image of `set`, best first, in batches of `batchSize`; with
    /// `workers` > 1, that many copies of the network take every `workers`-th batch on their
    /// own threads (the detections are the same for any number of workers; another batch size
    /// may change their last bits, as OpenBLAS blocks the GEMMs differently).
    public func predict(_ set: SceneSet, batchSize: Int = 64, minScore: Double = 0.01, workers: Int = 1) throws -> [[LabeledBox]] {
        guard set.size == config.inputSize else {
            throw DetectorError("the images are \(set.size)×\(set.size) but the model takes \(config.inputSize)×\(config.inputSize)")
        }
        var decoder = HeadDecoder(config: config)
        decoder.minScore = minScore
        let batches = stride(from: 0, to: set.count, by: max(1, batchSize)).map { $0..<min($0 + max(1, batchSize), set.count) }
        var networks = [network]
        for _ in 1..<max(1, min(workers, batches.count)) { networks.append(try network.copy()) }
        let slots = UnsafeMutableBufferPointer<[LabeledBox]>.allocate(capacity: set.count)
        slots.initialize(repeating: [])
        defer { slots.deinitialize(); slots.deallocate() }
        let shared = PredictionWork(networks: networks, set: set, decoder: decoder, batches: batches, slots: slots)
        if networks.count == 1 {
            shared.run(worker: 0)
        } else {
            DispatchQueue.concurrentPerform(iterations: networks.count) { shared.run(worker: $0) }
        }
        return Array(slots)
    }

    /// COCO evaluation (Vigil's `COCOEvaluator`) of the predictions on `set` against its boxes.
    public func evaluate(_ set: SceneSet) throws -> COCOEvaluator.Result {
        Self.evaluate(predictions: try predict(set), on: set)
    }

    /// COCO evaluation of given predictions against `set`'s boxes.
    public static func evaluate(predictions: [[LabeledBox]], on set: SceneSet) -> COCOEvaluator.Result {
        var gts: [COCOGroundTruth] = []
        var dts: [COCODetection] = []
        for i in 0..<set.count {
            let id = set.imageIDs[i]
            for b in set.boxes[i] { gts.append(COCOGroundTruth(imageID: id, categoryID: b.classIndex + 1, bbox: (b.x, b.y, b.w, b.h))) }
            for b in predictions[i] { dts.append(COCODetection(imageID: id, categoryID: b.classIndex + 1, bbox: (b.x, b.y, b.w, b.h), score: b.score)) }
        }
        return COCOEvaluator().evaluate(imageIDs: set.imageIDs, categoryIDs: Array(1...set.classes.count), groundTruth: gts, detections: dts)
    }
}

/// What the prediction workers share: each network is used by one worker only, and each
/// worker writes the slots of its own batches only.
private struct PredictionWork: @unchecked Sendable {
    let networks: [DetectorNetwork]
    let set: SceneSet
    let decoder: HeadDecoder
    let batches: [Range<Int>]
    let slots: UnsafeMutableBufferPointer<[LabeledBox]>

    func run(worker w: Int) {
        for b in stride(from: w, to: batches.count, by: networks.count) {
            let range = batches[b]
            let head = networks[w].forward(set.batch(Array(range)), training: false)
            for (j, i) in range.enumerated() { slots[i] = decoder.decode(head, image: j) }
        }
    }
}
