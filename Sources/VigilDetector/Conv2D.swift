import VigilCore

/// A square convolution (stride 1, zero "same" padding) with bias and an optional ReLU, as
/// im2col + one OpenBLAS `sgemm` per pass over the whole batch.
///
/// Weights are held as `outChannels × (size·size·inChannels)` in (dy, dx, channel) order, the
/// row layout of `Im2Col`; the artifact stores them in PyTorch's `[out, in, kh, kw]` order.
final class Conv2D: Layer {
    let name: String
    let inChannels: Int
    let outChannels: Int
    let size: Int
    let relu: Bool
    let weight: Parameter
    let bias: Parameter

    private var columns: [Float] = []
    private var inputShape: FeatureMap?
    private var output: [Float] = []

    /// He-initialised weights from `rng` (normal with variance 2 / fan-in), zero bias.
    init(name: String, inChannels: Int, outChannels: Int, size: Int, relu: Bool, rng: inout SplitMix64) {
        self.name = name
        self.inChannels = inChannels
        self.outChannels = outChannels
        self.size = size
        self.relu = relu
        let fanIn = size * size * inChannels
        let std = (2.0 / Double(fanIn)).squareRoot()
        var w = [Float](repeating: 0, count: outChannels * fanIn)
        for i in w.indices { w[i] = Float(Gaussian.sample(&rng) * std) }
        weight = Parameter(name: name + ".weight", shape: [outChannels, inChannels, size, size], values: w)
        bias = Parameter(name: name + ".bias", shape: [outChannels], values: [Float](repeating: 0, count: outChannels))
    }

    var parameters: [Parameter] { [weight, bias] }

    func forward(_ x: FeatureMap, training: Bool) -> FeatureMap {
        precondition(x.channels == inChannels, "\(name): expected \(inChannels) input channels, got \(x.channels)")
        let n = x.pixels, k = size * size * inChannels
        var out = FeatureMap(batch: x.batch, height: x.height, width: x.width, channels: outChannels)
        if columns.count != n * k { columns = [Float](repeating: 0, count: n * k) }
        columns.withUnsafeMutableBufferPointer { cols in
            if size == 1 {
                cols.baseAddress!.update(from: x.values, count: n * k)
            } else {
                Im2Col.unfold(x, size: size, into: cols.baseAddress!)
            }
        }
        out.values.withUnsafeMutableBufferPointer { o in
            bias.values.withUnsafeBufferPointer { b in
                for p in 0..<n { (o.baseAddress! + p * outChannels).update(from: b.baseAddress!, count: outChannels) }
            }
            columns.withUnsafeBufferPointer { cols in
                weight.values.withUnsafeBufferPointer { w in
                    BLAS.sgemm(transA: false, transB: true, m: n, n: outChannels, k: k,
                               a: cols.baseAddress!, b: w.baseAddress!, beta: 1, c: o.baseAddress!)
                }
            }
            if relu {
                for i in 0..<o.count where o[i] < 0 { o[i] = 0 }
            }
        }
        if training {
            inputShape = FeatureMap(batch: x.batch, height: x.height, width: x.width, channels: 0)
            if relu { output = out.values }
        }
        return out
    }

    func backward(_ gradOutput: FeatureMap, needsInputGradient: Bool) -> FeatureMap {
        guard let shape = inputShape else { preconditionFailure("\(name): backward without a training forward") }
        let n = shape.pixels, k = size * size * inChannels
        var g = gradOutput.values
        g.withUnsafeMutableBufferPointer { gp in
            if relu {
                output.withUnsafeBufferPointer { o in
                    for i in 0..<gp.count where o[i] <= 0 { gp[i] = 0 }
                }
            }
            bias.gradient.withUnsafeMutableBufferPointer { gb in
                for p in 0..<n {
                    let row = gp.baseAddress! + p * outChannels
                    for c in 0..<outChannels { gb[c] += row[c] }
                }
            }
            columns.withUnsafeBufferPointer { cols in
                weight.gradient.withUnsafeMutableBufferPointer { gw in
                    BLAS.sgemm(transA: true, transB: false, m: outChannels, n: k, k: n,
                               a: gp.baseAddress!, b: cols.baseAddress!, beta: 1, c: gw.baseAddress!)
                }
            }
        }
        guard needsInputGradient else { return FeatureMap(batch: 0, height: 0, width: 0, channels: 0) }
        if size == 1 {
            var gradInput = [Float](repeating: 0, count: n * k)
            g.withUnsafeBufferPointer { gp in
                weight.values.withUnsafeBufferPointer { w in
                    gradInput.withUnsafeMutableBufferPointer { gi in
                        BLAS.sgemm(transA: false, transB: false, m: n, n: k, k: outChannels,
                                   a: gp.baseAddress!, b: w.baseAddress!, beta: 0, c: gi.baseAddress!)
                    }
                }
            }
            return FeatureMap(batch: shape.batch, height: shape.height, width: shape.width, channels: inChannels, values: gradInput)
        }
        // The column buffer is not needed any more: reuse it for the columns' gradient.
        g.withUnsafeBufferPointer { gp in
            weight.values.withUnsafeBufferPointer { w in
                columns.withUnsafeMutableBufferPointer { gc in
                    BLAS.sgemm(transA: false, transB: false, m: n, n: k, k: outChannels,
                               a: gp.baseAddress!, b: w.baseAddress!, beta: 0, c: gc.baseAddress!)
                }
            }
        }
        var gradInput = FeatureMap(batch: shape.batch, height: shape.height, width: shape.width, channels: inChannels)
        columns.withUnsafeBufferPointer { Im2Col.fold($0.baseAddress!, size: size, into: &gradInput) }
        return gradInput
    }
}
