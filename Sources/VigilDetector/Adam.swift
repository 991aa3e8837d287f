import Foundation

/// Adam (Kingma & Ba 2015) with bias correction, over the network's parameters in their
/// fixed order; moments start at zero, also when fine-tuning.
final class Adam {
    var learningRate: Float
    let beta1: Float = 0.9
    let beta2: Float = 0.999
    let epsilon: Float = 1e-8
    private var step = 0
    private var first: [[Float]]
    private var second: [[Float]]

    init(parameters: [Parameter], learningRate: Float) {
        self.learningRate = learningRate
        first = parameters.map { [Float](repeating: 0, count: $0.values.count) }
        second = first
    }

    /// One update from the accumulated gradients.
    func update(_ parameters: [Parameter]) {
        step += 1
        let c1 = 1 - Float(pow(Double(beta1), Double(step)))
        let c2 = 1 - Float(pow(Double(beta2), Double(step)))
        let lr = learningRate
        let (b1, b2, eps) = (beta1, beta2, epsilon)
        for (i, p) in parameters.enumerated() {
            p.values.withUnsafeMutableBufferPointer { w in
                p.gradient.withUnsafeBufferPointer { g in
                    first[i].withUnsafeMutableBufferPointer { m in
                        second[i].withUnsafeMutableBufferPointer { v in
                            for j in 0..<w.count {
                                m[j] = b1 * m[j] + (1 - b1) * g[j]
                                v[j] = b2 * v[j] + (1 - b2) * g[j] * g[j]
                                w[j] -= lr * (m[j] / c1) / ((v[j] / c2).squareRoot() + eps)
                            }
                        }
                    }
                }
            }
        }
    }
}
