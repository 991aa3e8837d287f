import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore

/// The box-score calibration end to end: the TIDE fixture's crowd case goes in as NDJSON, and
/// `vigil evaluate --format json` carries the D-ECE in `detection.calibration`, the same as
/// `DetectionCalibration` on the operating point's matches of the same images.
@Suite struct DetectionCalibrationEvaluateTests {
    typealias Fixture = ErrorTaxonomyEvaluateTests

    func evaluate(_ c: ErrorTaxonomyEvaluateTests.Case) throws -> (EvaluationReport, [DetectionEvaluation.Image]) {
        let report = try Fixture.evaluated(c)
        let box = { (b: ErrorTaxonomyEvaluateTests.Box) in
            DetectionBox(labelIndex: b.label, score: b.score, bbox: (b.bbox[0], b.bbox[1], b.bbox[2], b.bbox[3]), isCrowd: b.iscrowd == 1)
        }
        return (report, c.images.map { DetectionEvaluation.Image(predicted: $0.predicted.map(box), groundTruth: $0.ground_truth.map(box)) })
    }

    @Test func evaluateJSONCarriesTheCalibration() throws {
        let c = try #require(Fixture.crowdCase)
        let (report, images) = try evaluate(c)
        let calibration = try #require(report.detection?.calibration)
        // The pooled value equals the calibration of every class's matched boxes, in class order.
        let matches = DetectionOperatingPoint.scoredMatches(images: images, classCount: c.classes, iouThreshold: 0.5)
        let pooled = DetectionCalibration(scores: matches.flatMap(\.scores), matched: matches.flatMap(\.correct))
        let ece = try #require(calibration.overall.ece)
        #expect(ece == pooled.ece && calibration.overall.bins == pooled.bins)
        #expect(calibration.overall.detections == matches.map(\.scores.count).reduce(0, +))
        let interval = try #require(calibration.interval)
        #expect(interval.lower <= ece && ece <= interval.upper)
        #expect(calibration.perClass.map(\.className) == (0..<c.classes).map { "c\($0)" })

        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        let object = try #require((json["detection"] as? [String: Any])?["calibration"] as? [String: Any])
        // JSONSerialization may read the last digit differently; the exact round trip is checked below.
        #expect(abs(try #require(object["ece"] as? Double) - ece) < 1e-15)
        #expect(abs(try #require((object["interval"] as? [String: Any])?["lower"] as? Double) - interval.lower) < 1e-15)
        let bins = try #require(object["bins"] as? [[String: Any]])
        #expect(bins.count == 10 && bins.contains { $0["precision"] is NSNull } == pooled.bins.contains { $0.count == 0 })
        let perClass = try #require(object["per_class"] as? [[String: Any]])
        #expect(perClass.count == c.classes)
        for (k, row) in perClass.enumerated() {
            #expect((row["ece"] is NSNull) == matches[k].scores.isEmpty, "class \(k): null exactly without boxes")
        }

        // People see it: the text summary, the run page and the HTML report's table.
        #expect(ReportRenderer.table(report).contains("box-score calibration (D-ECE at IoU 0.50, \(calibration.overall.detections) boxes): \(String(format: "%.3f", ece))"))
        let page = RunPage.render(runID: 1, createdAt: 0, report: report, modelLink: "/models/dock")
        #expect(page.contains("Reliability of box scores") && page.contains("D-ECE \(String(format: "%.3f", ece))"))

        // It reads back; a report stored before the calibration existed still decodes, without one.
        let decoded = try JSONDecoder().decode(EvaluationReport.self, from: Data(report.json().utf8))
        #expect(decoded.detection?.calibration == calibration)
        var old = json
        var detection = try #require(json["detection"] as? [String: Any])
        detection.removeValue(forKey: "calibration")
        old["detection"] = detection
        let oldReport = try JSONDecoder().decode(EvaluationReport.self, from: JSONSerialization.data(withJSONObject: old))
        #expect(oldReport.detection != nil && oldReport.detection?.calibration == nil)
    }
}
