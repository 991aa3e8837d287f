import Testing
@testable import VigilCore

@Suite struct DetectionOperatingPointTests {
    func box(_ k: Int, _ x: Double, _ score: Double? = nil) -> DetectionBox {
        DetectionBox(labelIndex: k, score: score, bbox: (x, x, 10, 10))
    }

    @Test func countsAndConfusionAtTheOperatingPoint() {
        let image = DetectionEvaluation.Image(
            predicted: [box(0, 0, 0.9), box(2, 100, 0.8), box(0, 300, 0.7), box(1, 0, 0.3)],
            groundTruth: [box(0, 0), box(1, 100), box(2, 200)])
        let p = DetectionOperatingPoint(images: [image], classCount: 3, iouThreshold: 0.5, scoreThreshold: 0.5)
        let counts = p.perClass.map { [$0.truePositives, $0.falsePositives, $0.falseNegatives] }
        #expect(counts == [[1, 1, 0], [0, 0, 1], [0, 1, 1]])
        #expect(p.confusion == [
            [1, 0, 0, 0],   // A found as A
            [0, 0, 1, 0],   // B found as C
            [0, 0, 0, 1],   // C missed
            [1, 0, 0, 0],   // an A where there is nothing
        ])
        #expect(p.perClass[0].precision == 0.5 && p.perClass[0].recall == 1 && abs(p.perClass[0].f1 - 2.0 / 3) < 1e-15)
    }

    @Test func greedyByScoreAndIoUThreshold() {
        // Two detections on one object: the better-scored one matches, the other is a false positive.
        let image = DetectionEvaluation.Image(
            predicted: [DetectionBox(labelIndex: 0, score: 0.6, bbox: (0, 0, 10, 10)), DetectionBox(labelIndex: 0, score: 0.9, bbox: (1, 0, 10, 10))],
            groundTruth: [DetectionBox(labelIndex: 0, score: nil, bbox: (0, 0, 10, 10))])
        let p = DetectionOperatingPoint(images: [image], classCount: 1, iouThreshold: 0.5, scoreThreshold: 0)
        #expect(p.perClass[0].truePositives == 1 && p.perClass[0].falsePositives == 1)
        // IoU of (1,0,10,10) with the object is 90/110 ≈ 0.82: at 0.85 it no longer counts.
        let strict = DetectionOperatingPoint(images: [image], classCount: 1, iouThreshold: 0.85, scoreThreshold: 0.7)
        #expect(strict.perClass[0].truePositives == 0 && strict.perClass[0].falsePositives == 1 && strict.perClass[0].falseNegatives == 1)
    }

    @Test func crowdRegionsAreNeitherMissesNorFalsePositives() {
        let crowd = DetectionBox(labelIndex: 0, score: nil, bbox: (0, 0, 100, 100), isCrowd: true)
        let image = DetectionEvaluation.Image(
            predicted: [DetectionBox(labelIndex: 0, score: 0.9, bbox: (10, 10, 10, 20)),   // inside the crowd: ignored
                        DetectionBox(labelIndex: 0, score: 0.8, bbox: (50, 50, 10, 10)),   // inside the crowd: ignored
                        DetectionBox(labelIndex: 1, score: 0.8, bbox: (30, 30, 10, 10)),   // other class: a false positive…
                        DetectionBox(labelIndex: 0, score: 0.7, bbox: (200, 200, 10, 10)), // on the ordinary object
                        DetectionBox(labelIndex: 0, score: 0.6, bbox: (95, 95, 20, 20))],  // mostly outside: a false positive
            groundTruth: [crowd, box(0, 200)])
        let p = DetectionOperatingPoint(images: [image], classCount: 2, iouThreshold: 0.5, scoreThreshold: 0.5)
        let counts = p.perClass.map { [$0.truePositives, $0.falsePositives, $0.falseNegatives] }
        #expect(counts == [[1, 1, 0], [0, 1, 0]])
        // …per class; across classes the confusion table lets any class sit inside a crowd region.
        #expect(p.confusion == [[1, 0, 0], [0, 0, 0], [1, 0, 0]])
        // Treated as an ordinary box the same region would be a miss and three false positives.
        let plain = DetectionOperatingPoint(images: [DetectionEvaluation.Image(predicted: image.predicted, groundTruth: [
            DetectionBox(labelIndex: 0, score: nil, bbox: (0, 0, 100, 100)), box(0, 200)])], classCount: 2, iouThreshold: 0.5, scoreThreshold: 0.5)
        #expect(plain.perClass[0].falseNegatives == 1 && plain.perClass[0].falsePositives == 3)
    }

    @Test func crowdBoxesAreNotEvidence() {
        let images = (0..<20).map { _ in
            DetectionEvaluation.Image(predicted: [box(0, 0, 0.9)], groundTruth: [box(0, 0), DetectionBox(labelIndex: 0, score: nil, bbox: (300, 300, 90, 90), isCrowd: true)])
        }
        let policy = Policy(model: "d", task: .detection, classes: ["a"], thresholds: [])
        let e = DetectionEvaluation(images: images, policy: policy)
        #expect(e.perClass[0].groundTruthBoxes == 20 && e.perClass[0].recall == 1)
    }

    @Test func detectionPolicyThresholdsOnRecall() {
        // 15 of 60 objects found: recall 0.25, below 0.6 with evidence (Wilson score z ≈ −5.5).
        let images = (0..<60).map { i in
            DetectionEvaluation.Image(predicted: i < 15 ? [box(0, 0, 0.9)] : [], groundTruth: [box(0, 0)])
        }
        let policy = Policy(model: "d", task: .detection, classes: ["a"],
                            thresholds: [Threshold(metric: "recall", classSelector: "*", warning: 0.8, critical: 0.6)])
        #expect(policy.problems().isEmpty)
        let e = DetectionEvaluation(images: images, policy: policy)
        let f = e.findings.first { $0.rule == "recall[a]" }
        #expect(f?.severity == .critical && f?.value == 0.25 && f?.interval != nil)
    }
}

@Suite struct MAPBootstrapTests {
    /// 60 images of one class, the detector finding about two thirds of the objects.
    func images() -> [DetectionEvaluation.Image] {
        var rng = SplitMix64(seed: 4)
        return (0..<60).map { _ in
            let found = rng.unit() < 0.66
            return DetectionEvaluation.Image(
                predicted: found ? [DetectionBox(labelIndex: 0, score: rng.unit(), bbox: (0, 0, 40, 40))]
                    : [DetectionBox(labelIndex: 0, score: rng.unit(), bbox: (200, 200, 40, 40))],
                groundTruth: [DetectionBox(labelIndex: 0, score: nil, bbox: (0, 0, 40, 40))])
        }
    }

    @Test func seededIntervalAroundTheEstimate() {
        let policy = Policy(model: "d", task: .detection, classes: ["a"], thresholds: [Threshold(metric: "map", warning: 0.9)])
        let a = DetectionEvaluation(images: images(), policy: policy)
        let b = DetectionEvaluation(images: images(), policy: policy)
        let i = try? #require(a.mapInterval)
        #expect(a.mapInterval == b.mapInterval)  // same seed, same interval
        if let i { #expect(i.lower < a.stats[0] && a.stats[0] < i.upper && i.upper - i.lower > 0.05) }
        #expect(a.findings.first { $0.rule == "map" }?.interval == a.mapInterval)
        var other = policy
        other.evaluation.bootstrapSeed = 2
        #expect(DetectionEvaluation(images: images(), policy: other).mapInterval != a.mapInterval)
        other.evaluation.bootstrapResamples = 0
        #expect(DetectionEvaluation(images: images(), policy: other).mapInterval == nil)
    }
}
