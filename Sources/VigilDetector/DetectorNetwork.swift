import VigilCore

/// The detector's layers: 3×3 convolutions with ReLU (the first `pools` followed by 2×2 max
/// pooling) and a 1×1 convolution giving the grid head's per-cell outputs.
///
/// ```swift
/// let net = DetectorNetwork(config: ModelConfig(classes: SceneGenerator.classNames), seed: 7)
/// let head = net.forward(batch, training: false)   // batch × grid × grid × (5 + classes)
/// ```
public final class DetectorNetwork {
    public let config: ModelConfig
    let layers: [any Layer]
    let convolutions: [Conv2D]

    /// Fresh weights, He-initialised from `seed`.
    public init(config: ModelConfig, seed: UInt64) {
        self.config = config
        var rng = SplitMix64(seed: seed)
        var layers: [any Layer] = []
        var convs: [Conv2D] = []
        var inChannels = 3
        for (i, c) in config.channels.enumerated() {
            let conv = Conv2D(name: "conv\(i + 1)", inChannels: inChannels, outChannels: c, size: 3, relu: true, rng: &rng)
            layers.append(conv)
            convs.append(conv)
            if i < config.pools { layers.append(MaxPool2()) }
            inChannels = c
        }
        let head = Conv2D(name: "head", inChannels: inChannels, outChannels: config.head.outputsPerCell, size: 1, relu: false, rng: &rng)
        // A low objectness prior keeps the many empty cells from dominating the first steps.
        head.bias.values[0] = -4
        layers.append(head)
        convs.append(head)
        self.layers = layers
        self.convolutions = convs
    }

    /// The trainable tensors in artifact order: `conv1.weight`, `conv1.bias`, …, `head.bias`.
    var parameters: [Parameter] { convolutions.flatMap(\.parameters) }

    /// Runs the layers; `training` keeps what `backward` needs.
    public func forward(_ x: FeatureMap, training: Bool) -> FeatureMap {
        var a = x
        for layer in layers { a = layer.forward(a, training: training) }
        return a
    }

    /// Back-propagates the head's gradient, accumulating every parameter's gradient.
    func backward(_ gradHead: FeatureMap) {
        var g = gradHead
        for (i, layer) in layers.enumerated().reversed() {
            g = layer.backward(g, needsInputGradient: i > 0)
        }
    }

    func zeroGradients() {
        for p in parameters { p.zeroGradient() }
    }

    /// Replaces the weights with `tensors` (artifact layout, by name).
    func load(_ tensors: [String: [Float]]) throws {
        for p in parameters {
            guard let t = tensors[p.name] else { throw DetectorError("the weights file has no tensor '\(p.name)': is it a Vigil detector with this config?") }
            guard t.count == p.values.count else {
                throw DetectorError("tensor '\(p.name)' has \(t.count) values, the config expects \(p.values.count): the .json config does not belong to these weights")
            }
            p.values = Conv2D.fromStorageOrder(t, parameter: p, size: sizeOf(p))
        }
    }

    /// An independent network with the same weights (layers keep per-pass buffers, so
    /// concurrent passes need one network each).
    func copy() throws -> DetectorNetwork {
        let other = DetectorNetwork(config: config, seed: 0)
        try other.load(Dictionary(uniqueKeysWithValues: storedTensors().map { ($0.name, $0.values) }))
        return other
    }

    /// The tensors in the artifact's (PyTorch) layout.
    func storedTensors() -> [(name: String, shape: [Int], values: [Float])] {
        parameters.map { p in (p.name, p.shape, Conv2D.toStorageOrder(p.values, parameter: p, size: sizeOf(p))) }
    }

    private func sizeOf(_ p: Parameter) -> Int { p.shape.count == 4 ? p.shape[2] : 1 }
}

extension Conv2D {
    /// Internal `[out][dy][dx][in]` → PyTorch's `[out][in][dy][dx]`; biases unchanged.
    static func toStorageOrder(_ v: [Float], parameter p: Parameter, size: Int) -> [Float] {
        reorder(v, parameter: p, size: size, toStorage: true)
    }

    /// PyTorch's `[out][in][dy][dx]` → internal `[out][dy][dx][in]`.
    static func fromStorageOrder(_ v: [Float], parameter p: Parameter, size: Int) -> [Float] {
        reorder(v, parameter: p, size: size, toStorage: false)
    }

    private static func reorder(_ v: [Float], parameter p: Parameter, size: Int, toStorage: Bool) -> [Float] {
        guard p.shape.count == 4 else { return v }
        let (o, i) = (p.shape[0], p.shape[1])
        var out = [Float](repeating: 0, count: v.count)
        for a in 0..<o { for c in 0..<i { for dy in 0..<size { for dx in 0..<size {
            let stored = ((a * i + c) * size + dy) * size + dx, held = ((a * size + dy) * size + dx) * i + c
            if toStorage { out[stored] = v[held] } else { out[held] = v[stored] }
        } } } }
        return out
    }
}
