import Foundation
import Testing
import VigilCore

/// Tests/VigilCoreTests/Fixtures/sweep_cases.json, written by scripts/make_sweep_fixture.py
/// from scikit-learn's `precision_recall_curve` (and pycocotools' matching for the detection cases).
struct SweepFixture: Decodable {
    struct Curve: Decodable {
        var thresholds: [Double]
        var precision: [Double]
        var recall: [Double]
    }
    struct ScoreCase: Decodable, CustomStringConvertible {
        var name: String
        var scores: [Double]
        var correct: [Bool]
        var expected: Curve
        var description: String { name }
    }
    struct DetectionCase: Decodable, CustomStringConvertible {
        struct PerClass: Decodable {
            var ground_truth: Int
            var matched: Int
            var expected: Curve?
        }
        var name: String
        var truncated_at_100: Bool
        var per_class: [String: PerClass]
        var description: String { name }
    }
    var scores: [ScoreCase]
    var detection: [DetectionCase]

    static let loaded: SweepFixture? = {
        guard let url = Bundle.module.url(forResource: "sweep_cases", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(SweepFixture.self, from: data)
    }()
}

@Suite("Threshold sweep equals scikit-learn's precision_recall_curve")
struct ThresholdSweepTests {
    /// scikit-learn lists thresholds ascending; the sweep lists them from the highest down.
    func expectSameCurve(_ sweep: ThresholdSweep, _ expected: SweepFixture.Curve, recallScale: Double, _ label: String) {
        let points = Array(sweep.points.reversed())
        #expect(points.count == expected.thresholds.count, "\(label): \(points.count) thresholds vs scikit-learn's \(expected.thresholds.count)")
        for (i, p) in points.enumerated() where i < expected.thresholds.count {
            #expect(p.threshold == expected.thresholds[i], "\(label) threshold \(i)")
            #expect(abs(p.precision - expected.precision[i]) <= 1e-12, "\(label) precision at \(p.threshold): \(p.precision) vs \(expected.precision[i])")
            #expect(abs(p.recall - expected.recall[i] * recallScale) <= 1e-12, "\(label) recall at \(p.threshold)")
        }
    }

    @Test func fixtureIsThere() throws {
        let fixture = try #require(SweepFixture.loaded)
        #expect(fixture.scores.count >= 4 && fixture.detection.count >= 10)
    }

    @Test(arguments: SweepFixture.loaded?.scores ?? [])
    func scoresWithTies(_ c: SweepFixture.ScoreCase) {
        let sweep = ThresholdSweep(scores: c.scores, correct: c.correct, positives: c.correct.filter { $0 }.count)
        expectSameCurve(sweep, c.expected, recallScale: 1, c.name)
    }

    /// The detection cases of the COCO fixture: Vigil's own matching (at IoU 0.5) gives the same
    /// true positives as pycocotools', and the curve equals scikit-learn's on them.
    @Test(arguments: (SweepFixture.loaded?.detection ?? []).filter { !$0.truncated_at_100 })
    func detectionsMatchedAsCOCOMatchesThem(_ c: SweepFixture.DetectionCase) throws {
        let coco = try #require(COCOFixture.loaded?.cases.first { $0.name == c.name })
        let images = coco.images.map { image in
            func box(_ category: Int, _ b: [Double], score: Double?, area: Double?, crowd: Bool) -> DetectionBox {
                DetectionBox(labelIndex: coco.categories.firstIndex(of: category)!, score: score, bbox: (b[0], b[1], b[2], b[3]), area: area, isCrowd: crowd)
            }
            return DetectionEvaluation.Image(
                predicted: coco.detections.filter { $0.image_id == image.id }.map { box($0.category_id, $0.bbox, score: $0.score, area: nil, crowd: false) },
                groundTruth: coco.annotations.filter { $0.image_id == image.id }.map { box($0.category_id, $0.bbox, score: nil, area: $0.area, crowd: $0.iscrowd != 0) })
        }
        let matches = DetectionOperatingPoint.scoredMatches(images: images, classCount: coco.categories.count, iouThreshold: 0.5)
        for (k, category) in coco.categories.enumerated() {
            let expected = try #require(c.per_class[String(category)])
            let m = matches[k]
            #expect(m.groundTruth == expected.ground_truth, "\(c.name) class \(category): ground truth")
            #expect(m.correct.filter { $0 }.count == expected.matched, "\(c.name) class \(category): matched detections")
            guard let curve = expected.expected else { continue }
            let sweep = ThresholdSweep(scores: m.scores, correct: m.correct, positives: m.groundTruth)
            expectSameCurve(sweep, curve, recallScale: Double(expected.matched) / Double(expected.ground_truth), "\(c.name) class \(category)")
        }
    }

    @Test func theOperatingPointIsTheSweepCutAtTheScoreThreshold() throws {
        let coco = try #require(COCOFixture.loaded?.cases.first { $0.name == "large_random" })
        let images = coco.images.map { image in
            DetectionEvaluation.Image(
                predicted: coco.detections.filter { $0.image_id == image.id }.map {
                    DetectionBox(labelIndex: coco.categories.firstIndex(of: $0.category_id)!, score: $0.score, bbox: ($0.bbox[0], $0.bbox[1], $0.bbox[2], $0.bbox[3])) },
                groundTruth: coco.annotations.filter { $0.image_id == image.id }.map {
                    DetectionBox(labelIndex: coco.categories.firstIndex(of: $0.category_id)!, score: nil, bbox: ($0.bbox[0], $0.bbox[1], $0.bbox[2], $0.bbox[3])) })
        }
        let matches = DetectionOperatingPoint.scoredMatches(images: images, classCount: coco.categories.count, iouThreshold: 0.5)
        for threshold in [0.0, 0.3, 0.5, 0.77] {
            let point = DetectionOperatingPoint(images: images, classCount: coco.categories.count, iouThreshold: 0.5, scoreThreshold: threshold)
            for (k, m) in matches.enumerated() {
                let cut = ThresholdSweep(scores: m.scores, correct: m.correct, positives: m.groundTruth).at(threshold)
                #expect(cut.truePositives == point.perClass[k].truePositives && cut.falsePositives == point.perClass[k].falsePositives)
                #expect(m.groundTruth - cut.truePositives == point.perClass[k].falseNegatives)
            }
        }
    }

    @Test func bestF1PrefersTheHigherThresholdOnATieAndNeedsPositives() {
        // Keeping 0.9 alone: tp 1 of 2 positives, F1 2/3; keeping all four: tp 2, fp 2, F1 4/6 — a tie.
        let sweep = ThresholdSweep(scores: [0.9, 0.8, 0.7, 0.6], correct: [true, false, false, true], positives: 2)
        #expect(sweep.points.map(\.f1) == [2.0 / 3.0, 2.0 / 4.0, 2.0 / 5.0, 4.0 / 6.0])
        #expect(sweep.best?.threshold == 0.9, "the higher threshold wins a tie: \(String(describing: sweep.best))")
        #expect(ThresholdSweep(scores: [0.4], correct: [false], positives: 0).best == nil)
        #expect(sweep.grid().count == 101 && sweep.grid().first?.threshold == 1 && sweep.grid().last?.threshold == 0)
        #expect(sweep.at(0.95).truePositives == 0 && sweep.at(0.95).precision == 1)
    }

    @Test func aClassifierIsSweptAgainstItsTopOneScore() {
        // Classes a 0, b 1. Overall: right at 0.9 and 0.6, wrong at 0.8 (an item of b called a);
        // the one prediction of b has no score, so b has no scored prediction against its one item.
        let reviews = [ReviewedScore(observed: 0, predicted: 0, score: 0.9), ReviewedScore(observed: 1, predicted: 0, score: 0.8),
                       ReviewedScore(observed: 0, predicted: 0, score: 0.6), ReviewedScore(observed: 0, predicted: 1, score: nil)]
        let sweeps = ThresholdSweep.classification(reviews, classes: ["a", "b"], confidence: 0.95)
        #expect(sweeps.map(\.className) == [nil, "a", "b"])
        #expect(sweeps[0].positives == 3, "an item without a score is left out")
        #expect(sweeps[0].current.truePositives == 2 && sweeps[0].current.falsePositives == 1, "a classifier keeps every answer")
        #expect(sweeps[0].best?.threshold == 0.6, "F1 1/2 at 0.9, 2/5 at 0.8, 2/3 at 0.6")
        #expect(sweeps[1].positives == 2 && sweeps[1].current.truePositives == 2 && sweeps[1].current.falsePositives == 1)
        #expect(sweeps[2].positives == 1 && sweeps[2].current.truePositives == 0 && sweeps[2].best == nil, "no scored prediction of b")
        #expect(ThresholdSweep.classification([ReviewedScore(observed: 0, predicted: 0, score: nil)], classes: ["a"], confidence: 0.95).isEmpty)
    }
}
