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

    @Test func refusesMismatchedData() {
        let d = Detector(config: ModelConfig(classes: SceneGenerator.classNames, inputSize: 32, channels: [4, 8], pools: 2), seed: 1)
        #expect(throws: DetectorError.self) { try Trainer(settings: Tiny.settings).train(d.network, on: Tiny.data) }
    }
}
