import Foundation

/// Turns the grid head's outputs into scored boxes: one candidate per cell (its most likely
/// class), kept when its score reaches `minScore`, then class-wise non-maximum suppression.
struct HeadDecoder {
    let config: ModelConfig
    var minScore = 0.01
    var nmsIoU = 0.5
    var maxDetections = 100

    /// The detections of image `b` of `head`.
    func decode(_ head: FeatureMap, image b: Int) -> [LabeledBox] {
        let g = config.head.grid, a = config.head.outputsPerCell, cell = Double(config.head.cellSize)
        let k = config.classes.count, side = Double(config.inputSize)
        var candidates: [LabeledBox] = []
        head.values.withUnsafeBufferPointer { out in
            for c in 0..<(g * g) {
                let base = (b * g * g + c) * a
                let objectness = sigmoid(Double(out[base]))
                if objectness < minScore { continue }
                var m = -Double.infinity, best = 0
                for j in 0..<k where Double(out[base + 5 + j]) > m { m = Double(out[base + 5 + j]); best = j }
                var sum = 0.0
                for j in 0..<k { sum += exp(Double(out[base + 5 + j]) - m) }
                let score = objectness / sum
                if score < minScore { continue }
                let cx = (Double(c % g) + sigmoid(Double(out[base + 1]))) * cell
                let cy = (Double(c / g) + sigmoid(Double(out[base + 2]))) * cell
                let w = config.anchor * exp(min(Double(out[base + 3]), 4))
                let h = config.anchor * exp(min(Double(out[base + 4]), 4))
                let x0 = max(0, cx - w / 2), y0 = max(0, cy - h / 2)
                let x1 = min(side, cx + w / 2), y1 = min(side, cy + h / 2)
                candidates.append(LabeledBox(classIndex: best, x: x0, y: y0, w: max(0, x1 - x0), h: max(0, y1 - y0), score: score))
            }
        }
        return NonMaximumSuppression.apply(candidates, iouThreshold: nmsIoU, limit: maxDetections)
    }
}
