import Foundation
import Testing
@testable import VigilCore

/// Tests/VigilCoreTests/Fixtures/detection_ece_cases.json, written by
/// scripts/make_detection_ece_fixture.py from netcal's `ECE(detection=True)`.
struct DetectionECEFixture: Decodable {
    struct Case: Decodable, CustomStringConvertible {
        var name: String
        var bins: Int
        var sample_threshold: Int
        var scores: [Double]
        var matched: [Bool]
        var ece: Double
        var bin_counts: [Int]
        var bin_precision: [Double?]
        var bin_mean_score: [Double?]
        var description: String { name }
    }
    var netcal: String
    var cases: [Case]

    static let loaded: DetectionECEFixture? = {
        guard let url = Bundle.module.url(forResource: "detection_ece_cases", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(DetectionECEFixture.self, from: data)
    }()
}

@Suite("Detection calibration equals netcal's D-ECE")
struct DetectionCalibrationTests {
    @Test func fixtureIsThere() throws {
        let fixture = try #require(DetectionECEFixture.loaded)
        #expect(fixture.cases.count >= 90)
        #expect(Set(fixture.cases.map(\.bins)) == [10, 15, 20])
        #expect(fixture.cases.contains { $0.sample_threshold > 1 })
    }

    @Test(arguments: DetectionECEFixture.loaded?.cases ?? [])
    func equalsNetcal(_ c: DetectionECEFixture.Case) {
        let calibration = DetectionCalibration(scores: c.scores, matched: c.matched, binCount: c.bins, sampleThreshold: c.sample_threshold)
        let ece = calibration.ece ?? .nan
        #expect(abs(ece - c.ece) <= 1e-12, "\(c.name): \(ece) vs netcal's \(c.ece)")
        #expect(calibration.bins.map(\.count) == c.bin_counts, "\(c.name): bin counts")
        for (b, bin) in calibration.bins.enumerated() {
            #expect(bin.precision == c.bin_precision[b], "\(c.name) bin \(b) precision")
            #expect(bin.meanScore == c.bin_mean_score[b], "\(c.name) bin \(b) mean score")
        }
    }

    /// Beyond the 1e-12 contract: the only arithmetic difference is the order of the final sum
    /// (numpy pairwise, here left to right), a few units in the last place.
    @Test func disagreementIsRoundingOnly() throws {
        let fixture = try #require(DetectionECEFixture.loaded)
        let worst = fixture.cases.map { c in
            abs((DetectionCalibration(scores: c.scores, matched: c.matched, binCount: c.bins, sampleThreshold: c.sample_threshold).ece ?? .nan) - c.ece)
        }.max() ?? .nan
        #expect(worst <= 1e-15, "worst |diff| \(worst) over \(fixture.cases.count) cases")  // measured: 1.1e-16
    }

    /// Worked by hand: 0.2 is exactly the third edge of ten, so it opens bin 2.
    @Test func handWorkedExample() throws {
        let c = DetectionCalibration(scores: [0.9, 0.95, 0.2], matched: [true, false, false], binCount: 10)
        // Bin 9: precision 1/2, mean score 0.925 → 0.425 · 2/3; bin 2: precision 0, mean 0.2 → 0.2 · 1/3.
        let ece = try #require(c.ece)
        #expect(abs(ece - (0.425 * 2 / 3 + 0.2 / 3)) < 1e-15)
        #expect(c.bins[2].count == 1 && c.bins[9].count == 2 && c.bins.map(\.count).reduce(0, +) == 3)
        #expect(c.bins[5].meanScore == nil && c.bins[5].precision == nil)
    }

    @Test func edgeConventions() {
        let edges = DetectionCalibration.edges(binCount: 10)
        #expect(edges[3] == 0.30000000000000004 && edges.last == 1)
        // 0.3 lies below numpy's edge, so in bin 2; 0 and 1 are clipped into the first and last bin.
        let c = DetectionCalibration(scores: [0.3, 0, 1], matched: [true, true, true], binCount: 10)
        #expect(c.bins[2].count == 1 && c.bins[0].count == 1 && c.bins[9].count == 1)
        #expect(c.bins[9].meanScore == 1 - DetectionCalibration.clipMargin)
    }

    @Test func noDetectionsIsUndefined() {
        let c = DetectionCalibration(scores: [], matched: [], binCount: 15)
        #expect(c.ece == nil && c.detections == 0 && c.bins.count == 15)
    }
}

@Suite struct DetectionCalibrationReportTests {
    func box(_ k: Int, _ x: Double, _ score: Double? = nil) -> DetectionBox {
        DetectionBox(labelIndex: k, score: score, bbox: (x, x, 10, 10))
    }

    /// Seeded images: class 0 over-confident (score 0.9, right half the time), class 1 well calibrated.
    func images(_ n: Int) -> [DetectionEvaluation.Image] {
        var rng = SplitMix64(seed: 7)
        return (0..<n).map { _ in
            let hit0 = rng.unit() < 0.5, hit1 = rng.unit() < 0.3
            return DetectionEvaluation.Image(
                predicted: [box(0, hit0 ? 0 : 200, 0.9), box(1, hit1 ? 50 : 300, 0.3)],
                groundTruth: [box(0, 0), box(1, 50)])
        }
    }

    @Test func perClassAndPooledFollowTheMatches() throws {
        let imgs = images(200)
        let report = DetectionCalibrationReport(images: imgs, classNames: ["a", "b"], iouThreshold: 0.5,
                                                resamples: 200, seed: 1, confidence: 0.95)
        let matches = DetectionOperatingPoint.scoredMatches(images: imgs, classCount: 2, iouThreshold: 0.5)
        for k in 0..<2 {
            let expected = DetectionCalibration(scores: matches[k].scores, matched: matches[k].correct)
            #expect(report.perClass[k].calibration == expected)
        }
        let a = try #require(report.perClass[0].calibration.ece), b = try #require(report.perClass[1].calibration.ece)
        let hitsA = Double(matches[0].correct.filter { $0 }.count) / 200
        let hitsB = Double(matches[1].correct.filter { $0 }.count) / 200
        #expect(abs(a - abs(0.9 - hitsA)) < 1e-12 && abs(b - abs(0.3 - hitsB)) < 1e-12)
        #expect(a > 0.3)  // 0.9 promised, about half delivered
        let pooled = try #require(report.overall.ece)
        #expect(report.overall.detections == 400)
        // The two classes sit in different bins, so the pooled D-ECE is their average.
        #expect(abs(pooled - (a + b) / 2) < 1e-12)
        let interval = try #require(report.interval)
        #expect(interval.lower < pooled && pooled < interval.upper && interval.upper - interval.lower < 0.2)
    }

    @Test func intervalIsSeededAndNeedsDetections() {
        let imgs = images(50)
        let first = DetectionCalibrationReport(images: imgs, classNames: ["a", "b"], iouThreshold: 0.5, resamples: 100, seed: 3, confidence: 0.9)
        let again = DetectionCalibrationReport(images: imgs, classNames: ["a", "b"], iouThreshold: 0.5, resamples: 100, seed: 3, confidence: 0.9)
        #expect(first == again)
        let other = DetectionCalibrationReport(images: imgs, classNames: ["a", "b"], iouThreshold: 0.5, resamples: 100, seed: 4, confidence: 0.9)
        #expect(first.interval != other.interval)
        let empty = DetectionCalibrationReport(images: [DetectionEvaluation.Image(predicted: [], groundTruth: [box(0, 0)])],
                                               classNames: ["a"], iouThreshold: 0.5, resamples: 100, seed: 3, confidence: 0.9)
        #expect(empty.overall.ece == nil && empty.interval == nil && empty.perClass[0].calibration.detections == 0)
    }
}
