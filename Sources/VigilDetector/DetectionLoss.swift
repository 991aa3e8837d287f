import Foundation

/// The grid head's training loss, YOLO-style: an object belongs to the cell holding its centre.
///
/// Per image, summed over cells: binary cross-entropy of the objectness logit against 1 (the
/// object's cell) or 0 (every other cell); for object cells, `boxWeight` × squared error of
/// sigmoid(tx), sigmoid(ty) against the centre's offset in the cell and of tw, th against
/// log(w / anchor), log(h / anchor), plus softmax cross-entropy of the class logits. The batch
/// loss is the mean over images. When two centres share a cell the larger object wins.
struct DetectionLoss {
    let config: ModelConfig
    var boxWeight = 5.0
    var negativeWeight = 1.0

    /// The loss of `head` (batch × grid × grid × outputs) against each image's boxes, and its
    /// gradient w.r.t. `head`.
    func evaluate(_ head: FeatureMap, targets: [[LabeledBox]]) -> (loss: Double, gradient: FeatureMap) {
        let g = config.head.grid, a = config.head.outputsPerCell, cell = Double(config.head.cellSize)
        let k = config.classes.count
        precondition(head.batch == targets.count && head.height == g && head.width == g && head.channels == a,
                     "head shape does not match the config or the number of targets")
        var grad = head.with([Float](repeating: 0, count: head.values.count))
        let scale = 1.0 / Double(head.batch)
        var total = 0.0
        head.values.withUnsafeBufferPointer { out in
            grad.values.withUnsafeMutableBufferPointer { gr in
                for b in 0..<head.batch {
                    var owner = [Int](repeating: -1, count: g * g)
                    for (i, box) in targets[b].enumerated() {
                        let c = cellOf(box, grid: g, cell: cell)
                        if owner[c] < 0 || targets[b][owner[c]].area < box.area { owner[c] = i }
                    }
                    for c in 0..<(g * g) {
                        let base = (b * g * g + c) * a
                        let z = Double(out[base])
                        if owner[c] < 0 {
                            total += negativeWeight * softplus(z)
                            gr[base] = Float(scale * negativeWeight * sigmoid(z))
                            continue
                        }
                        let box = targets[b][owner[c]]
                        total += softplus(-z)
                        gr[base] = Float(scale * (sigmoid(z) - 1))
                        let col = Double(c % g), row = Double(c / g)
                        for j in 0..<2 {
                            let goal = j == 0 ? box.centreX / cell - col : box.centreY / cell - row
                            let s = sigmoid(Double(out[base + 1 + j]))
                            let d = s - goal
                            total += boxWeight * d * d
                            gr[base + 1 + j] = Float(scale * boxWeight * 2 * d * s * (1 - s))
                        }
                        for j in 0..<2 {
                            let goal = log(max(j == 0 ? box.w : box.h, 1) / config.anchor)
                            let d = Double(out[base + 3 + j]) - goal
                            total += boxWeight * d * d
                            gr[base + 3 + j] = Float(scale * boxWeight * 2 * d)
                        }
                        var m = -Double.infinity
                        for j in 0..<k { m = max(m, Double(out[base + 5 + j])) }
                        var sum = 0.0
                        for j in 0..<k { sum += exp(Double(out[base + 5 + j]) - m) }
                        total += m + log(sum) - Double(out[base + 5 + box.classIndex])
                        for j in 0..<k {
                            let p = exp(Double(out[base + 5 + j]) - m) / sum
                            gr[base + 5 + j] = Float(scale * (p - (j == box.classIndex ? 1 : 0)))
                        }
                    }
                }
            }
        }
        return (total * scale, grad)
    }

    /// Index (row · grid + column) of the cell holding the box's centre.
    func cellOf(_ box: LabeledBox, grid g: Int, cell: Double) -> Int {
        let col = min(g - 1, max(0, Int(box.centreX / cell)))
        let row = min(g - 1, max(0, Int(box.centreY / cell)))
        return row * g + col
    }
}

@inline(__always) func sigmoid(_ z: Double) -> Double { 1 / (1 + exp(-z)) }
/// log(1 + eˣ) without overflow.
@inline(__always) func softplus(_ z: Double) -> Double { z > 0 ? z + log1p(exp(-z)) : log1p(exp(z)) }
