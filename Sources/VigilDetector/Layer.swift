/// One stage of the network: a forward pass that remembers what its backward pass needs, and
/// a backward pass that accumulates parameter gradients and returns the input's gradient.
protocol Layer: AnyObject {
    /// `training` keeps the intermediate values the backward pass needs.
    func forward(_ x: FeatureMap, training: Bool) -> FeatureMap
    /// Gradient of the loss w.r.t. the last forward's input, given that w.r.t. its output;
    /// adds the parameter gradients to `gradients`. `needsInputGradient: false` skips the
    /// input's gradient (the first layer) and returns an empty map.
    func backward(_ gradOutput: FeatureMap, needsInputGradient: Bool) -> FeatureMap
    /// The trainable tensors, in a fixed order, with their gradients at the same indices.
    var parameters: [Parameter] { get }
}

/// A trainable tensor and its accumulated gradient (same count), shared by the layer that
/// uses it and the optimiser that updates it.
final class Parameter {
    let name: String
    /// The shape as stored in the artifact.
    let shape: [Int]
    var values: [Float]
    var gradient: [Float]

    init(name: String, shape: [Int], values: [Float]) {
        precondition(values.count == shape.reduce(1, *), "\(name): \(values.count) values for shape \(shape)")
        self.name = name
        self.shape = shape
        self.values = values
        self.gradient = [Float](repeating: 0, count: values.count)
    }

    func zeroGradient() {
        gradient.withUnsafeMutableBufferPointer { $0.update(repeating: 0) }
    }
}
