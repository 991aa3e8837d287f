import Testing
import VigilCore
@testable import VigilDetector

/// Finite-difference checks of every layer's backward pass and of the loss: the analytic
/// gradient of L = Σ rᵢ·outᵢ (fixed random r) against central differences.
struct GradientCheckTests {
    static func random(_ n: Int, _ rng: inout SplitMix64, scale: Double = 1) -> [Float] {
        (0..<n).map { _ in Float((rng.unit() * 2 - 1) * scale) }
    }

    /// L = Σ r·forward(x), in Double.
    static func objective(_ layer: any Layer, _ x: FeatureMap, _ r: [Float]) -> Double {
        let out = layer.forward(x, training: false)
        return zip(out.values, r).reduce(0.0) { $0 + Double($1.0) * Double($1.1) }
    }

    static func expectClose(_ numeric: Double, _ analytic: Float, _ what: String) {
        let tolerance = 3e-3 + 2e-2 * abs(numeric)
        #expect(abs(numeric - Double(analytic)) <= tolerance, "\(what): numeric \(numeric), analytic \(analytic)")
    }

    /// Checks the input gradient at every input and the parameter gradients at every value.
    static func check(_ layer: any Layer, input: FeatureMap, seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        let out = layer.forward(input, training: true)
        let r = random(out.values.count, &rng)
        for p in layer.parameters { p.zeroGradient() }
        let gradInput = layer.backward(out.with(r), needsInputGradient: true)
        var x = input
        for i in x.values.indices {
            let numeric = centralDifference(x.values[i], set: { x.values[i] = $0 }) { objective(layer, x, r) }
            expectClose(numeric, gradInput.values[i], "input[\(i)]")
        }
        for p in layer.parameters {
            let analytic = p.gradient
            for i in p.values.indices {
                let numeric = centralDifference(p.values[i], set: { p.values[i] = $0 }) { objective(layer, input, r) }
                expectClose(numeric, analytic[i], "\(p.name)[\(i)]")
            }
        }
    }

    /// (f(v + ε) − f(v − ε)) / 2ε with ε = 10⁻³, where `set` moves the value f reads; restores v.
    static func centralDifference(_ v: Float, set: (Float) -> Void, _ f: () -> Double) -> Double {
        let eps: Float = 1e-3
        set(v + eps)
        let up = f()
        set(v - eps)
        let down = f()
        set(v)
        return (up - down) / Double(2 * eps)
    }

    @Test(arguments: [(3, true), (3, false), (1, false), (1, true)])
    func convolution(size: Int, relu: Bool) {
        var rng = SplitMix64(seed: 11)
        let conv = Conv2D(name: "c", inChannels: 2, outChannels: 3, size: size, relu: relu, rng: &rng)
        for i in conv.bias.values.indices { conv.bias.values[i] = Float(rng.unit() - 0.5) }
        let x = FeatureMap(batch: 2, height: 5, width: 4, channels: 2, values: Self.random(2 * 5 * 4 * 2, &rng))
        Self.check(conv, input: x, seed: 12)
    }

    @Test func maxPooling() {
        var rng = SplitMix64(seed: 21)
        let x = FeatureMap(batch: 2, height: 4, width: 6, channels: 3, values: Self.random(2 * 4 * 6 * 3, &rng))
        Self.check(MaxPool2(), input: x, seed: 22)
    }

    @Test func weightLayoutRoundTripsThroughStorageOrder() {
        var rng = SplitMix64(seed: 5)
        let conv = Conv2D(name: "c", inChannels: 3, outChannels: 4, size: 3, relu: false, rng: &rng)
        let stored = Conv2D.toStorageOrder(conv.weight.values, parameter: conv.weight, size: 3)
        #expect(stored != conv.weight.values)
        #expect(Conv2D.fromStorageOrder(stored, parameter: conv.weight, size: 3) == conv.weight.values)
        // PyTorch's [out][in][dy][dx]: element (o=1, i=2, dy=0, dx=1) is internal [o][dy][dx][i].
        let torchIndex = ((1 * 3 + 2) * 3 + 0) * 3 + 1, internalIndex = ((1 * 3 + 0) * 3 + 1) * 3 + 2
        #expect(stored[torchIndex] == conv.weight.values[internalIndex])
    }

    @Test func detectionLoss() {
        var config = ModelConfig(classes: ["a", "b", "c"], inputSize: 16, channels: [4, 4], pools: 2, anchor: 5)
        config.training = nil
        let loss = DetectionLoss(config: config)
        var rng = SplitMix64(seed: 31)
        let a = config.head.outputsPerCell
        var head = FeatureMap(batch: 2, height: 4, width: 4, channels: a, values: Self.random(2 * 16 * a, &rng, scale: 2))
        let targets = [
            [LabeledBox(classIndex: 1, x: 1, y: 2, w: 5, h: 4), LabeledBox(classIndex: 2, x: 9, y: 8, w: 6, h: 7)],
            [LabeledBox(classIndex: 0, x: 4, y: 4, w: 3, h: 8)],
        ]
        let analytic = loss.evaluate(head, targets: targets).gradient
        for i in head.values.indices {
            let numeric = Self.centralDifference(head.values[i], set: { head.values[i] = $0 }) { loss.evaluate(head, targets: targets).loss }
            Self.expectClose(numeric, analytic.values[i], "head[\(i)]")
        }
    }

    /// The whole network and loss together: one weight of every tensor.
    @Test func networkEndToEnd() {
        let config = ModelConfig(classes: ["a", "b"], inputSize: 16, channels: [3, 4], pools: 2, anchor: 5)
        let net = DetectorNetwork(config: config, seed: 3)
        let loss = DetectionLoss(config: config)
        var rng = SplitMix64(seed: 41)
        let x = FeatureMap(batch: 2, height: 16, width: 16, channels: 3, values: Self.random(2 * 16 * 16 * 3, &rng))
        let targets = [[LabeledBox(classIndex: 1, x: 2, y: 3, w: 6, h: 5)], [LabeledBox(classIndex: 0, x: 8, y: 9, w: 5, h: 5)]]
        net.zeroGradients()
        net.backward(loss.evaluate(net.forward(x, training: true), targets: targets).gradient)
        for p in net.parameters {
            for i in [0, p.values.count / 2, p.values.count - 1] {
                let numeric = Self.centralDifference(p.values[i], set: { p.values[i] = $0 }) {
                    loss.evaluate(net.forward(x, training: false), targets: targets).loss
                }
                Self.expectClose(numeric, p.gradient[i], "\(p.name)[\(i)]")
            }
        }
    }
}
