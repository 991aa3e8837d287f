import Foundation
import Testing
@testable import VigilCore

/// Cases and pycocotools' answers from `scripts/make_coco_fixture.py`.
struct COCOFixture: Decodable {
    struct Image: Decodable { var id: Int }
    struct Annotation: Decodable {
        var id: Int
        var image_id: Int
        var category_id: Int
        var bbox: [Double]
        var area: Double
        var iscrowd: Int
    }
    struct Detection: Decodable {
        var image_id: Int
        var category_id: Int
        var bbox: [Double]
        var score: Double
    }
    struct Case: Decodable, CustomStringConvertible {
        var name: String
        var images: [Image]
        var categories: [Int]
        var annotations: [Annotation]
        var detections: [Detection]
        var stats: [Double]
        var per_class_ap: [String: Double]
        var per_class_ap50: [String: Double]
        var recall_all_100: [String: [Double]]
        var description: String { name }
    }
    var pycocotools: String
    var cases: [Case]

    static let loaded: COCOFixture? = {
        guard let url = Bundle.module.url(forResource: "coco_cases", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(COCOFixture.self, from: data)
    }()
}

extension COCOFixture.Case {
    func evaluate() -> COCOEvaluator.Result {
        let gts = annotations.map {
            COCOGroundTruth(imageID: $0.image_id, categoryID: $0.category_id, bbox: ($0.bbox[0], $0.bbox[1], $0.bbox[2], $0.bbox[3]),
                            area: $0.area, isCrowd: $0.iscrowd != 0)
        }
        let dts = detections.map {
            COCODetection(imageID: $0.image_id, categoryID: $0.category_id, bbox: ($0.bbox[0], $0.bbox[1], $0.bbox[2], $0.bbox[3]), score: $0.score)
        }
        return COCOEvaluator().evaluate(imageIDs: images.map(\.id), categoryIDs: categories, groundTruth: gts, detections: dts)
    }
}

@Suite("COCO bbox evaluation matches pycocotools")
struct COCOEvaluatorTests {
    @Test func fixtureIsThere() throws {
        let fixture = try #require(COCOFixture.loaded)
        #expect(fixture.cases.count >= 8)
    }

    @Test(arguments: COCOFixture.loaded?.cases ?? [])
    func twelveStatsAndPerClassAP(_ c: COCOFixture.Case) {
        let result = c.evaluate()
        #expect(result.stats.count == 12)
        for (i, (mine, theirs)) in zip(result.stats, c.stats).enumerated() {
            #expect(abs(mine - theirs) <= 1e-9, "stat \(i): \(mine) vs pycocotools \(theirs)")
        }
        for (k, category) in result.categoryIDs.enumerated() {
            let ap = c.per_class_ap[String(category)] ?? .nan
            let ap50 = c.per_class_ap50[String(category)] ?? .nan
            #expect(abs(result.averagePrecision(k: k) - ap) <= 1e-9, "AP of category \(category)")
            #expect(abs(result.averagePrecision(k: k, t: 0) - ap50) <= 1e-9, "AP50 of category \(category)")
            let recalls = (0..<10).map { result.recall(t: $0, k: k, a: 0, m: 2) }
            for (mine, theirs) in zip(recalls, c.recall_all_100[String(category)] ?? []) {
                #expect(abs(mine - theirs) <= 1e-12, "recall of category \(category)")
            }
        }
    }

    /// The bootstrap's fast re-accumulation, with every image once, is COCO's AP.
    @Test(arguments: COCOFixture.loaded?.cases ?? [])
    func bootstrapPoolsGiveCOCOsAPWithEveryImageOnce(_ c: COCOFixture.Case) {
        let gts = c.annotations.map {
            COCOGroundTruth(imageID: $0.image_id, categoryID: $0.category_id, bbox: ($0.bbox[0], $0.bbox[1], $0.bbox[2], $0.bbox[3]),
                            area: $0.area, isCrowd: $0.iscrowd != 0)
        }
        let dts = c.detections.map {
            COCODetection(imageID: $0.image_id, categoryID: $0.category_id, bbox: ($0.bbox[0], $0.bbox[1], $0.bbox[2], $0.bbox[3]), score: $0.score)
        }
        let prepared = COCOEvaluator().prepare(imageIDs: c.images.map(\.id), categoryIDs: c.categories, groundTruth: gts, detections: dts)
        let pools = COCOEvaluator.BootstrapPools(prepared)
        let ap = pools.averagePrecision(counts: [Int](repeating: 1, count: c.images.count))
        #expect(abs(ap - c.stats[0]) <= 1e-9, "\(ap) vs pycocotools \(c.stats[0])")
        // Doubling every image leaves AP unchanged only up to ties; it must stay defined and in range.
        let doubled = pools.averagePrecision(counts: [Int](repeating: 2, count: c.images.count))
        #expect(doubled >= 0 && doubled <= 1)
    }

    /// The path `vigil evaluate` takes: boxes as ingest parses them (with `iscrowd`) through
    /// `DetectionEvaluation`, on the fixture's crowd case.
    @Test func crowdRegionsThroughTheEvaluationPathMatchPycocotools() throws {
        let c = try #require(COCOFixture.loaded?.cases.first { $0.name == "crowd_regions" })
        #expect(c.annotations.contains { $0.iscrowd == 1 })
        let schema = ModelSchema(name: "d", task: .detection, classes: c.categories.map { "c\($0)" })
        func json(_ items: [(Int, [Double], Double?, Int?)]) -> String {
            "[" + items.map { k, b, score, crowd in
                "{\"label\":\"c\(k)\",\"bbox\":[\(b.map { "\($0)" }.joined(separator: ","))]"
                    + (score.map { ",\"score\":\($0)" } ?? "") + (crowd.map { ",\"iscrowd\":\($0)" } ?? "") + "}"
            }.joined(separator: ",") + "]"
        }
        let images = try c.images.map { image in
            let gt = json(c.annotations.filter { $0.image_id == image.id }.map { ($0.category_id, $0.bbox, nil, $0.iscrowd) })
            let dt = json(c.detections.filter { $0.image_id == image.id }.map { ($0.category_id, $0.bbox, $0.score, nil) })
            return DetectionEvaluation.Image(predicted: try DetectionBox.parse(json: dt, schema: schema),
                                             groundTruth: try DetectionBox.parse(json: gt, schema: schema))
        }
        #expect(images.flatMap(\.groundTruth).filter(\.isCrowd).count == c.annotations.filter { $0.iscrowd == 1 }.count)
        let policy = Policy(model: "d", task: .detection, classes: schema.classes, thresholds: [])
        let e = DetectionEvaluation(images: images, policy: policy)
        for (i, (mine, theirs)) in zip(e.stats, c.stats).enumerated() {
            #expect(abs(mine - theirs) <= 1e-9, "stat \(i): \(mine) vs pycocotools \(theirs)")
        }
        // The case has teeth: evaluating the crowd regions as ordinary boxes gives other numbers.
        let plain = images.map { DetectionEvaluation.Image(predicted: $0.predicted, groundTruth: $0.groundTruth.map {
            DetectionBox(labelIndex: $0.labelIndex, score: nil, bbox: $0.bbox, area: $0.area) }) }
        #expect(abs(DetectionEvaluation(images: plain, policy: policy).stats[0] - c.stats[0]) > 1e-3)
    }

    @Test func iscrowdMustBeZeroOneOrBoolean() throws {
        let schema = ModelSchema(name: "d", task: .detection, classes: ["a"])
        let ok = try DetectionBox.parse(json: #"[{"label":"a","bbox":[0,0,1,1],"iscrowd":1},{"label":"a","bbox":[0,0,1,1],"iscrowd":false}]"#, schema: schema)
        #expect(ok.map(\.isCrowd) == [true, false])
        #expect(throws: RecordError.self) { try DetectionBox.parse(json: #"[{"label":"a","bbox":[0,0,1,1],"iscrowd":2}]"#, schema: schema) }
    }

    @Test func thresholdsAreNumPysLinspace() {
        #expect(COCOEvaluator.iouThresholds.count == 10 && COCOEvaluator.iouThresholds.first == 0.5 && COCOEvaluator.iouThresholds.last == 0.95)
        #expect(COCOEvaluator.iouThresholds.contains(0.75))
        #expect(COCOEvaluator.recallThresholds.count == 101 && COCOEvaluator.recallThresholds.last == 1)
    }

    @Test func perfectDetectionsScoreOne() {
        let gts = (1...20).map { COCOGroundTruth(imageID: $0, categoryID: 1, bbox: (10, 10, Double(5 * $0), 40)) }
        let dts = gts.map { COCODetection(imageID: $0.imageID, categoryID: 1, bbox: $0.bbox, score: 0.9) }
        let r = COCOEvaluator().evaluate(imageIDs: Array(1...20), categoryIDs: [1], groundTruth: gts, detections: dts)
        #expect(r.stats[0] == 1 && r.stats[1] == 1 && r.stats[8] == 1)
    }
}
