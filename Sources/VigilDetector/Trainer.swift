import Foundation
import VigilCore

/// Minibatch training with Adam: shuffled epochs (a permutation drawn from the seed per
/// epoch), each image mirrored left–right with probability ½ (drawn from the same stream;
/// every class is left–right symmetric), a cosine learning-rate decay to 5% of the initial
/// rate, mean loss per batch.
///
/// Deterministic: the same seed, data, settings, BLAS thread count and worker count give
/// bit-identical weights (the initialisation, the order of the images and every sum are fixed).
///
/// With `workers` > 1 each batch is split into that many contiguous parts, each part runs
/// forward and backward on its own copy of the network on its own thread, and the gradients
/// are combined weighted by part size, in worker order: the same mean gradient as one worker,
/// summed in another order (so the last bits of the weights differ from a one-worker run).
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
        /// Parts each batch is split into, run side by side on network copies (one thread each).
        public var workers: Int

        public init(epochs: Int = 12, batchSize: Int = 32, learningRate: Double = 3e-3, seed: UInt64 = 1, blasThreads: Int = 1, mirror: Bool = true,
                    workers: Int = 1) {
            self.epochs = epochs
            self.batchSize = batchSize
            self.learningRate = learningRate
            self.seed = seed
            self.blasThreads = blasThreads
            self.mirror = mirror
            self.workers = max(1, workers)
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
        let replicas = try (1..<max(1, min(settings.workers, settings.batchSize))).map { _ in try network.copy() }
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
                let l: Double
                if replicas.isEmpty {
                    let x = data.batch(indices, mirrored: mirrored)
                    network.zeroGradients()
                    let head = network.forward(x, training: true)
                    let (batchLoss, g) = loss.evaluate(head, targets: zip(indices, mirrored).map { data.boxes($0, mirrored: $1) })
                    network.backward(g)
                    l = batchLoss
                } else {
                    l = DataParallelStep(networks: [network] + replicas, data: data, loss: loss).run(indices, mirrored: mirrored)
                }
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
            optimizer: "adam(0.9, 0.999, 1e-8), cosine decay to 5%" + (settings.mirror ? ", left-right mirroring" : ""), blasThreads: settings.blasThreads,
            workers: replicas.isEmpty ? nil : replicas.count + 1, images: data.count,
            dataFingerprint: data.fingerprint, seconds: seconds, cpuSeconds: CPUTime.seconds() - startCPU, imagesPerSecond: Double(settings.epochs * data.count) / seconds,
            finalLoss: lastLoss, finetunedFrom: finetunedFrom, metrics: [:])
    }
}

/// One batch on several network copies: the first is the network being trained; the others
/// take its weights, then each runs forward and backward on its part of the batch on its own
/// thread (each network is used by one thread only), and their gradients are added into the
/// first, weighted by part size.
struct DataParallelStep: @unchecked Sendable {
    let networks: [DetectorNetwork]
    let data: SceneSet
    let loss: DetectionLoss

    /// The batch's mean loss; the network's gradients hold the batch's mean gradient.
    func run(_ indices: [Int], mirrored: [Bool]) -> Double {
        let main = networks[0].parameters
        for replica in networks.dropFirst() {
            for (p, q) in zip(main, replica.parameters) {
                q.values.withUnsafeMutableBufferPointer { to in p.values.withUnsafeBufferPointer { to.baseAddress!.update(from: $0.baseAddress!, count: $0.count) } }
            }
        }
        let k = min(networks.count, indices.count)
        let parts = (0..<k).map { w in (indices.count * w / k)..<(indices.count * (w + 1) / k) }
        nonisolated(unsafe) let losses = UnsafeMutableBufferPointer<Double>.allocate(capacity: k)  // worker w writes slot w only
        defer { losses.deallocate() }
        DispatchQueue.concurrentPerform(iterations: k) { w in
            let net = networks[w], part = parts[w]
            let ids = Array(indices[part]), flips = Array(mirrored[part])
            net.zeroGradients()
            let head = net.forward(data.batch(ids, mirrored: flips), training: true)
            let (l, g) = loss.evaluate(head, targets: zip(ids, flips).map { data.boxes($0, mirrored: $1) })
            net.backward(g)
            losses[w] = l
        }
        let n = Float(indices.count)
        var total = 0.0
        for w in 0..<k {
            let share = Float(parts[w].count) / n
            total += losses[w] * Double(parts[w].count) / Double(indices.count)
            for (p, q) in zip(main, networks[w].parameters) {
                p.gradient.withUnsafeMutableBufferPointer { acc in
                    if w == 0 {
                        for i in acc.indices { acc[i] *= share }
                    } else {
                        q.gradient.withUnsafeBufferPointer { g in for i in acc.indices { acc[i] += share * g[i] } }
                    }
                }
            }
        }
        return total
    }
}
