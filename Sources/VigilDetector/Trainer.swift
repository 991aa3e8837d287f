import Foundation
import VigilCore

/// Minibatch training with Adam: shuffled epochs (a permutation drawn from the seed per
/// epoch), each image mirrored left–right with probability ½ (drawn from the same stream;
/// every class is left–right symmetric), a cosine learning-rate decay to 5% of the initial
/// rate, mean loss per batch.
///
/// Deterministic: the same seed, data, settings and BLAS thread count give bit-identical
/// weights (the initialisation, the order of the images and every sum are fixed).
///
/// ```swift
/// let net = DetectorNetwork(config: ModelConfig(classes: train.classes), seed: 1)
/// let record = try Trainer(settings: .init(epochs: 12)).train(net, on: train) { print($0.line) }
/// ```
public struct Trainer: Sendable {
    /// How to train.
    public struct Settings: Sendable {
        public var epochs: Int
        public var batchSize: Int
        public var learningRate: Double
        public var seed: UInt64
        public var blasThreads: Int
        /// Mirror images left–right at random.
        public var mirror: Bool

        public init(epochs: Int = 12, batchSize: Int = 32, learningRate: Double = 3e-3, seed: UInt64 = 1, blasThreads: Int = 1, mirror: Bool = true) {
            self.epochs = epochs
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.seed = seed
            self.blasThreads = blasThreads
            self.mirror = mirror
        }
    }

    /// A progress report at the end of an epoch.
    public struct Progress: Sendable {
        public var epoch: Int
        public var epochs: Int
        public var loss: Double
        public var imagesPerSecond: Double
        public var elapsed: Double
        /// `epoch 3/12  loss 1.2345  812 images/s  ETA 41 s`.
        public var line: String {
            let eta = imagesPerSecond > 0 ? elapsed / Double(epoch) * Double(epochs - epoch) : 0
            return String(format: "epoch %d/%d  loss %.4f  %.0f images/s  ETA %.0f s", epoch, epochs, loss, imagesPerSecond, eta)
        }
    }

    public var settings: Settings

    public init(settings: Settings) { self.settings = settings }

    /// Trains `network` in place on `data`; returns the run's record (metrics empty).
    ///
    /// `shouldStop` is asked before every batch; when it answers `true` training ends with a
    /// ``DetectorError`` (the retraining job was cancelled).
    public func train(_ network: DetectorNetwork, on data: SceneSet, finetunedFrom: String? = nil,
                      progress: (Progress) -> Void = { _ in }, shouldStop: () -> Bool = { false }) throws -> ModelConfig.TrainingRecord {
        let config = network.config
        guard data.size == config.inputSize else {
            throw DetectorError("the images are \(data.size)×\(data.size) but the model takes \(config.inputSize)×\(config.inputSize): synthesize with --size \(config.inputSize)")
        }
        guard data.classes == config.classes else {
            throw DetectorError("the data's classes \(data.classes) differ from the model's \(config.classes)")
        }
        guard data.count > 0, settings.batchSize > 0, settings.epochs > 0 else {
            throw DetectorError("training needs images, a batch size ≥ 1 and at least one epoch")
        }
        BLAS.setThreads(settings.blasThreads)
        let loss = DetectionLoss(config: config)
        let parameters = network.parameters
        let adam = Adam(parameters: parameters, learningRate: Float(settings.learningRate))
        let steps = settings.epochs * ((data.count + settings.batchSize - 1) / settings.batchSize)
        var step = 0
        var lastLoss = 0.0
        let start = Date(), startCPU = CPUTime.seconds()
        for epoch in 1...settings.epochs {
            var rng = SplitMix64(seed: settings.seed ^ (UInt64(epoch) &* 0xA076_1D64_78BD_642F))
            var order = Array(0..<data.count)
            for i in stride(from: order.count - 1, to: 0, by: -1) { order.swapAt(i, Int(rng.next() % UInt64(i + 1))) }
            var sum = 0.0, batches = 0
            for from in stride(from: 0, to: data.count, by: settings.batchSize) {
                if shouldStop() { throw DetectorError("training stopped at epoch \(epoch) of \(settings.epochs): the job was cancelled") }
                let indices = Array(order[from..<min(from + settings.batchSize, data.count)])
                let mirrored = indices.map { _ in settings.mirror && rng.next() >> 63 == 1 }
                let x = data.batch(indices, mirrored: mirrored)
                network.zeroGradients()
                let head = network.forward(x, training: true)
                let (l, g) = loss.evaluate(head, targets: zip(indices, mirrored).map { data.boxes($0, mirrored: $1) })
                network.backward(g)
                let progressShare = Double(step) / Double(max(1, steps - 1))
                adam.learningRate = Float(settings.learningRate * (0.05 + 0.95 * 0.5 * (1 + cos(Double.pi * progressShare))))
                adam.update(parameters)
                step += 1
                sum += l
                batches += 1
            }
            lastLoss = sum / Double(batches)
            let elapsed = Date().timeIntervalSince(start)
            progress(Progress(epoch: epoch, epochs: settings.epochs, loss: lastLoss,
                              imagesPerSecond: Double(epoch * data.count) / elapsed, elapsed: elapsed))
        }
        let seconds = Date().timeIntervalSince(start)
        return ModelConfig.TrainingRecord(
            seed: settings.seed, epochs: settings.epochs, batchSize: settings.batchSize, learningRate: settings.learningRate,
            optimizer: "adam(0.9, 0.999, 1e-8), cosine decay to 5%" + (settings.mirror ? ", left-right mirroring" : ""), blasThreads: settings.blasThreads, images: data.count,
            dataFingerprint: data.fingerprint, seconds: seconds, cpuSeconds: CPUTime.seconds() - startCPU, imagesPerSecond: Double(settings.epochs * data.count) / seconds,
            finalLoss: lastLoss, finetunedFrom: finetunedFrom, metrics: [:])
    }
}
