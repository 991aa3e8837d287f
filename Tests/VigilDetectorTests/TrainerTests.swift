import Testing
@testable import VigilDetector

struct TrainerTests {
    static func weights(_ d: Detector) -> [[UInt32]] { d.network.parameters.map { $0.values.map(\.bitPattern) } }

    @Test func sameSeedGivesBitIdenticalWeights() throws {
        let a = try Tiny.trained(seed: 7), b = try Tiny.trained(seed: 7), c = try Tiny.trained(seed: 8)
        #expect(Self.weights(a) == Self.weights(b))
        #expect(Self.weights(a) != Self.weights(c))
        #expect(Self.weights(a) != Self.weights(Detector(config: Tiny.config, seed: 7)))
        #expect(a.config.training?.dataFingerprint == Tiny.data.fingerprint && a.config.training?.images == 12)
    }

    @Test func trainingLowersTheLoss() throws {
        let d = Detector(config: Tiny.config, seed: 3)
        var losses: [Double] = []
        var s = Tiny.settings
        s.epochs = 10
        s.learningRate = 0.02
        _ = try Trainer(settings: s).train(d.network, on: Tiny.data) { losses.append($0.loss) }
        #expect(losses.count == 10)
        #expect(losses.last! < 0.75 * losses.first!, "losses \(losses)")
    }

    /// Split across workers, a batch gives the one-worker mean gradient and loss (up to the
    /// order of the float sums), and a two-worker run repeats bit for bit.
    @Test func dataParallelStepsGiveTheBatchsMeanGradient() throws {
        let d = Detector(config: Tiny.config, seed: 3)
        let indices = [0, 5, 2, 9, 11, 7, 1], mirrored = [false, true, false, false, true, true, false]
        let loss = DetectionLoss(config: Tiny.config)
        let single = try d.network.copy()
        single.zeroGradients()
        let head = single.forward(Tiny.data.batch(indices, mirrored: mirrored), training: true)
        let (expectedLoss, g) = loss.evaluate(head, targets: zip(indices, mirrored).map { Tiny.data.boxes($0, mirrored: $1) })
        single.backward(g)
        for workers in [2, 3] {
            let net = try d.network.copy()
            let step = DataParallelStep(networks: [net] + (1..<workers).map { _ in try! d.network.copy() }, data: Tiny.data, loss: loss)
            let l = step.run(indices, mirrored: mirrored)
            #expect(abs(l - expectedLoss) <= 1e-6 * abs(expectedLoss), "\(workers) workers: loss \(l) vs \(expectedLoss)")
            for (p, q) in zip(single.parameters, net.parameters) {
                let scale = p.gradient.map { abs($0) }.max() ?? 0
                let worst = zip(p.gradient, q.gradient).map { abs($0 - $1) }.max() ?? 0
                #expect(worst <= 1e-5 * scale + 1e-9, "\(workers) workers, \(p.name): max difference \(worst) against max \(scale)")
            }
        }
        var s = Tiny.settings
        s.workers = 2
        let a = Detector(config: Tiny.config, seed: 4), b = Detector(config: Tiny.config, seed: 4)
        let record = try Trainer(settings: s).train(a.network, on: Tiny.data)
        _ = try Trainer(settings: s).train(b.network, on: Tiny.data)
        #expect(Self.weights(a) == Self.weights(b))
        #expect(record.workers == 2)
        #expect(try Trainer(settings: Tiny.settings).train(Detector(config: Tiny.config, seed: 4).network, on: Tiny.data).workers == nil)
    }

    @Test func refusesMismatchedData() {
        let d = Detector(config: ModelConfig(classes: SceneGenerator.classNames, inputSize: 32, channels: [4, 8], pools: 2), seed: 1)
        #expect(throws: DetectorError.self) { try Trainer(settings: Tiny.settings).train(d.network, on: Tiny.data) }
    }
}
