/// 2×2 max pooling with stride 2 (height and width must be even); the backward pass routes
/// each gradient to the input that won (the first of equals, in row-major order).
final class MaxPool2: Layer {
    private var winners: [Int32] = []
    private var inputShape: FeatureMap?

    var parameters: [Parameter] { [] }

    func forward(_ x: FeatureMap, training: Bool) -> FeatureMap {
        precondition(x.height % 2 == 0 && x.width % 2 == 0, "2×2 pooling needs an even size, got \(x.height)×\(x.width)")
        let (h, w, c) = (x.height, x.width, x.channels)
        let oh = h / 2, ow = w / 2
        var out = FeatureMap(batch: x.batch, height: oh, width: ow, channels: c)
        if training {
            inputShape = FeatureMap(batch: x.batch, height: h, width: w, channels: c)
            if winners.count != out.values.count { winners = [Int32](repeating: 0, count: out.values.count) }
        }
        x.values.withUnsafeBufferPointer { src in
            out.values.withUnsafeMutableBufferPointer { dst in
                winners.withUnsafeMutableBufferPointer { win in
                    var o = 0
                    for b in 0..<x.batch {
                        for y in 0..<oh {
                            for xx in 0..<ow {
                                let i00 = ((b * h + 2 * y) * w + 2 * xx) * c
                                let i01 = i00 + c, i10 = i00 + w * c, i11 = i10 + c
                                for k in 0..<c {
                                    var best = i00 + k, v = src[best]
                                    if src[i01 + k] > v { best = i01 + k; v = src[best] }
                                    if src[i10 + k] > v { best = i10 + k; v = src[best] }
                                    if src[i11 + k] > v { best = i11 + k; v = src[best] }
                                    dst[o] = v
                                    if training { win[o] = Int32(best) }
                                    o += 1
                                }
                            }
                        }
                    }
                }
            }
        }
        return out
    }

    func backward(_ gradOutput: FeatureMap, needsInputGradient: Bool) -> FeatureMap {
        guard let shape = inputShape else { preconditionFailure("pooling: backward without a training forward") }
        var g = FeatureMap(batch: shape.batch, height: shape.height, width: shape.width, channels: shape.channels)
        g.values.withUnsafeMutableBufferPointer { dst in
            gradOutput.values.withUnsafeBufferPointer { src in
                winners.withUnsafeBufferPointer { win in
                    for o in 0..<src.count { dst[Int(win[o])] += src[o] }
                }
            }
        }
        return g
    }
}
