import Testing
@testable import VigilDetector

struct NonMaximumSuppressionTests {
    static func box(_ c: Int, _ x: Double, _ y: Double, _ s: Double, _ score: Double) -> LabeledBox {
        LabeledBox(classIndex: c, x: x, y: y, w: s, h: s, score: score)
    }

    @Test func suppressesOverlapsOfTheSameClassOnly() {
        let boxes = [Self.box(0, 0, 0, 10, 0.6), Self.box(0, 1, 1, 10, 0.9), Self.box(1, 1, 1, 10, 0.5), Self.box(0, 30, 30, 10, 0.4)]
        let kept = NonMaximumSuppression.apply(boxes, iouThreshold: 0.5)
        #expect(kept == [boxes[1], boxes[2], boxes[3]])
    }

    @Test(arguments: [(0.5, 2), (0.3, 1)])
    func thresholdIsStrict(_ threshold: Double, _ expected: Int) {
        // IoU of these two is 1/3 (10×10 boxes offset by 5 in x: 50 / 150).
        let boxes = [Self.box(0, 0, 0, 10, 0.9), Self.box(0, 5, 0, 10, 0.8)]
        #expect(abs(boxes[0].iou(boxes[1]) - 1.0 / 3) < 1e-12)
        #expect(NonMaximumSuppression.apply(boxes, iouThreshold: threshold).count == expected)
    }

    @Test func tiesKeepInputOrderAndLimitApplies() {
        let boxes = (0..<5).map { Self.box(0, Double($0) * 20, 0, 10, 0.5) }
        #expect(NonMaximumSuppression.apply(boxes, iouThreshold: 0.5, limit: 3) == Array(boxes[0..<3]))
    }

    @Test func decoderTurnsACellIntoItsBox() {
        let config = ModelConfig(classes: ["a", "b"], inputSize: 16, channels: [2, 2], pools: 2, anchor: 4)
        var head = FeatureMap(batch: 1, height: 4, width: 4, channels: 7)
        for c in 0..<16 { head.values[c * 7] = -10 }
        // Cell (row 2, column 1): objectness high, centre offsets 0.5, w = 4·e^0.5, h = 4, class b.
        let base = (2 * 4 + 1) * 7
        head.values[base] = 10
        head.values[base + 3] = 0.5
        head.values[base + 6] = 5
        let out = HeadDecoder(config: config).decode(head, image: 0)
        #expect(out.count == 1)
        let b = out[0]
        let w = 4 * exp(0.5)
        #expect(b.classIndex == 1 && abs(b.centreX - 6) < 1e-6 && abs(b.centreY - 10) < 1e-6)
        #expect(abs(b.w - w) < 1e-5 && abs(b.h - 4) < 1e-6 && b.score > 0.99)
    }
}

import Foundation
