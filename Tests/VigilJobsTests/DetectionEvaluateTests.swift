import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore

/// Detection evaluation end to end: the pycocotools fixture cases go in as NDJSON predictions
/// and labels, and `EvaluateJob` reports pycocotools' numbers.
@Suite struct DetectionEvaluateTests {
    struct Fixture: Decodable {
        struct Image: Decodable { var id: Int }
        struct Annotation: Decodable { var image_id: Int; var category_id: Int; var bbox: [Double]; var area: Double; var iscrowd: Int }
        struct Detection: Decodable { var image_id: Int; var category_id: Int; var bbox: [Double]; var score: Double }
        struct Case: Decodable, CustomStringConvertible {
            var name: String
            var images: [Image]
            var categories: [Int]
            var annotations: [Annotation]
            var detections: [Detection]
            var stats: [Double]
            var per_class_ap: [String: Double]
            var per_class_ap50: [String: Double]
            var description: String { name }
        }
        var cases: [Case]
    }

    static let cases: [Fixture.Case] = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("VigilCoreTests/Fixtures/coco_cases.json")
        guard let data = try? Data(contentsOf: path), let f = try? JSONDecoder().decode(Fixture.self, from: data) else { return [] }
        return f.cases
    }()

    static func json(_ v: Double) -> String { String(v) }

    @Test func fixtureLoads() { #expect(Self.cases.count >= 8) }

    @Test(arguments: cases)
    func evaluateReportsPycocotoolsNumbers(_ c: Fixture.Case) throws {
        let classes = c.categories.map { "c\($0)" }
        let policy = Policy(model: "dock", task: .detection, classes: classes,
                            evaluation: EvaluationSettings(window: "30d", minReviewedPerClass: 1, confidence: 0.95),
                            thresholds: [Threshold(metric: "map", warning: 0.99), Threshold(metric: "ap", classSelector: "*", critical: 0.01)])
        let ws = try TestWorkspace(extraPolicies: [policy])
        var predictions: [String] = []
        var labels: [String] = []
        let start = Timestamp.parseMillis("2026-10-30T00:00:00Z")!
        for (n, image) in c.images.sorted(by: { $0.id < $1.id }).enumerated() {
            let boxes = c.detections.filter { $0.image_id == image.id }.map {
                "{\"label\":\"c\($0.category_id)\",\"score\":\(Self.json($0.score)),\"bbox\":[\($0.bbox.map(Self.json).joined(separator: ","))]}"
            }
            let truth = c.annotations.filter { $0.image_id == image.id }.map {
                "{\"label\":\"c\($0.category_id)\",\"bbox\":[\($0.bbox.map(Self.json).joined(separator: ","))],\"area\":\(Self.json($0.area))"
                    + ($0.iscrowd != 0 ? ",\"iscrowd\":1}" : "}")
            }
            predictions.append("{\"id\":\"img-\(image.id)\",\"ts\":\"\(Timestamp.format(millis: start + Int64(n) * 1000))\",\"model\":\"dock\",\"boxes\":[\(boxes.joined(separator: ","))]}")
            labels.append("{\"prediction_id\":\"img-\(image.id)\",\"boxes\":[\(truth.joined(separator: ","))]}")
        }
        #expect(try ws.ingest(.predictions, ws.file("p.ndjson", predictions.joined(separator: "\n"))).exitCode == 0)
        #expect(try ws.ingest(.labels, ws.file("l.ndjson", labels.joined(separator: "\n"))).exitCode == 0)
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: try ws.workspace.policy(for: "dock"), window: .last("30d"))
        let d = try #require(report.detection)
        #expect(d.images == c.images.count)
        for (i, name) in DetectionEvaluation.statNames.enumerated() {
            #expect(abs((d.coco[name] ?? .nan) - c.stats[i]) <= 1e-9, "\(name): \(d.coco[name] ?? .nan) vs pycocotools \(c.stats[i])")
        }
        for row in d.perClass {
            let id = String(row.className.dropFirst())
            #expect(abs(row.ap - (c.per_class_ap[id] ?? .nan)) <= 1e-9, "AP \(row.className)")
            #expect(abs(row.ap50 - (c.per_class_ap50[id] ?? .nan)) <= 1e-9, "AP50 \(row.className)")
        }
        #expect(report.findings.contains { $0.rule == "map" })
        #expect(report.exitCode == report.status.exitCode)
    }

    /// The same cases as COCO files: `--coco-results dt.json --images gt.json` and `--coco gt.json`.
    @Test(arguments: cases)
    func cocoFilesIngestAndEvaluateLikePycocotools(_ c: Fixture.Case) throws {
        let policy = Policy(model: "dock", task: .detection, classes: c.categories.map { "c\($0)" },
                            evaluation: EvaluationSettings(window: "30d", minReviewedPerClass: 1, confidence: 0.95))
        let ws = try TestWorkspace(extraPolicies: [policy])
        let images = c.images.map { "{\"id\":\($0.id),\"file_name\":\"f\($0.id).jpg\",\"width\":640,\"height\":480}" }
        let categories = c.categories.map { "{\"id\":\($0),\"name\":\"c\($0)\"}" }
        let annotations = c.annotations.enumerated().map { n, a in
            "{\"id\":\(n + 1),\"image_id\":\(a.image_id),\"category_id\":\(a.category_id),\"bbox\":[\(a.bbox.map(Self.json).joined(separator: ","))],\"area\":\(Self.json(a.area)),\"iscrowd\":\(a.iscrowd)}"
        }
        let gt = try ws.file("gt.json", "{\"images\":[\(images.joined(separator: ","))],\"categories\":[\(categories.joined(separator: ","))],\"annotations\":[\(annotations.joined(separator: ","))]}")
        let dt = try ws.file("dt.json", "[" + c.detections.map {
            "{\"image_id\":\($0.image_id),\"category_id\":\($0.category_id),\"bbox\":[\($0.bbox.map(Self.json).joined(separator: ","))],\"score\":\(Self.json($0.score))}"
        }.joined(separator: ",") + "]")
        var predictions = IngestRequest(kind: .predictions, path: nil)
        predictions.coco = .results(path: dt, images: gt, model: "dock", timestampMillis: Timestamp.parseMillis("2026-10-30T00:00:00Z")!)
        let job = IngestJob(store: ws.store, catalog: ws.catalog, clock: ws.clock, rejectsDirectory: ws.workspace.rejectsDirectory)
        let p = try job.run(predictions)
        #expect(p.exitCode == 0 && p.inserted == c.images.count && p.source == dt)
        var labels = IngestRequest(kind: .labels, path: nil)
        labels.coco = .annotations(path: gt)
        #expect(try job.run(labels).inserted == c.images.count)
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: try ws.workspace.policy(for: "dock"), window: .last("30d"))
        let d = try #require(report.detection)
        for (i, name) in DetectionEvaluation.statNames.enumerated() {
            #expect(abs((d.coco[name] ?? .nan) - c.stats[i]) <= 1e-9, "\(name)")
        }
        // Swapped files are refused with a message naming the file.
        var swapped = IngestRequest(kind: .labels, path: nil)
        swapped.coco = .annotations(path: dt)
        #expect(throws: JobError.self) { try job.run(swapped) }
    }

    @Test func fewBoxesAreInsufficientEvidence() throws {
        let policy = Policy(model: "dock", task: .detection, classes: ["pallet", "person"],
                            thresholds: [Threshold(metric: "ap", classSelector: "*", warning: 0.5), Threshold(metric: "map", warning: 0.5)])
        let ws = try TestWorkspace(extraPolicies: [policy])
        let p = (0..<5).map { "{\"id\":\"i\($0)\",\"ts\":\"2026-10-30T10:00:0\($0)Z\",\"model\":\"dock\",\"boxes\":[{\"label\":\"pallet\",\"score\":0.9,\"bbox\":[1,1,50,50]}]}" }
        let l = (0..<5).map { "{\"prediction_id\":\"i\($0)\",\"boxes\":[{\"label\":\"pallet\",\"bbox\":[1,1,50,50]}]}" }
        _ = try ws.ingest(.predictions, ws.file("p.ndjson", p.joined(separator: "\n")))
        _ = try ws.ingest(.labels, ws.file("l.ndjson", l.joined(separator: "\n")))
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: try ws.workspace.policy(for: "dock"), window: .last("7d"))
        #expect(report.detection?.coco["AP"] == 1)
        #expect(report.findings.allSatisfy { $0.severity == .insufficientEvidence })
        #expect(report.status == .unknown)
    }
}
