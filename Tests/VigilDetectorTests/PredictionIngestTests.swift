import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore
@testable import VigilDetector
import VigilWorkspace

/// `detector predict` output and `detector synth` annotations go through the real ingest and
/// evaluation, and Vigil's stored evaluation agrees with the detector's own.
struct PredictionIngestTests {
    @Test func predictionsAndAnnotationsIngestAndEvaluate() throws {
        let d = try Tiny.trained()
        let set = SceneSet.synthesize(SceneGenerator(domain: .source, size: 16), seed: 11, count: 20, prefix: "ingest")
        let predictions = try d.predict(set, minScore: 0.001)
        let root = Tiny.temporaryDirectory()
        try set.write(to: root.appendingPathComponent("scenes"))
        let ndjson = root.appendingPathComponent("predictions.ndjson")
        try PredictionLines.ndjson(predictions, for: set, model: "embedded", timestamp: "2026-10-30T00:00:00Z", weightsSHA256: "ab")
            .write(to: ndjson, atomically: true, encoding: .utf8)

        let ws = root.appendingPathComponent("ws").path
        let policy = Policy(model: "embedded", task: .detection, classes: set.classes,
                            evaluation: EvaluationSettings(window: "30d", minReviewedPerClass: 1, confidence: 0.95))
        try Workspace.initialize(at: ws)
        try ExamplePolicies.yaml(policy).write(toFile: ws + "/policies/embedded.yaml", atomically: true, encoding: .utf8)
        let workspace = try Workspace.locate(from: ws)
        let clock = FixedClock(Timestamp.date(millis: Timestamp.parseMillis("2026-10-31T00:00:00Z")!))
        let (store, catalog, _) = try workspace.openStoreWithModels(clock: clock)
        let job = IngestJob(store: store, catalog: catalog, clock: clock, rejectsDirectory: workspace.rejectsDirectory)

        let p = try job.run(IngestRequest(kind: .predictions, path: ndjson.path))
        #expect(p.exitCode == 0 && p.inserted == set.count && p.rejected == 0)
        var labels = IngestRequest(kind: .labels, path: nil)
        labels.coco = .annotations(path: root.appendingPathComponent("scenes/annotations.json").path)
        let l = try job.run(labels)
        #expect(l.exitCode == 0 && l.inserted == set.count)

        let report = try EvaluateJob(store: store, clock: clock).run(policy: try workspace.policy(for: "embedded"), window: .last("30d"))
        let detection = try #require(report.detection)
        #expect(detection.images == set.count)
        // Same COCO evaluator; the NDJSON rounds boxes to 0.01 px and scores to 1e-5.
        let own = Detector.evaluate(predictions: predictions, on: set)
        #expect(abs((detection.coco["AP50"] ?? .nan) - own.stats[1]) < 0.02)
        #expect(abs((detection.coco["AP"] ?? .nan) - own.stats[0]) < 0.02)
    }
}
