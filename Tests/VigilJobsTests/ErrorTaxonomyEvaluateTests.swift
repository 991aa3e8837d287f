import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore

/// TIDE's error taxonomy end to end: a case of `scripts/make_tide_fixture.py` goes in as NDJSON
/// predictions and labels, and `vigil evaluate --format json` carries tidecv's figures in
/// `detection.error_taxonomy`.
@Suite struct ErrorTaxonomyEvaluateTests {
    struct Box: Decodable { var label: Int; var bbox: [Double]; var score: Double?; var iscrowd: Int? }
    struct Image: Decodable { var ground_truth: [Box]; var predicted: [Box] }
    struct Figures: Decodable { var ap50: Double; var dap: [String: Double]; var counts: [String: Int] }
    struct Case: Decodable { var name: String; var classes: Int; var images: [Image]; var tidecv: Figures }
    struct Fixture: Decodable { var cases: [Case] }

    static let crowdCase: Case? = {
        let path = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("VigilCoreTests/Fixtures/tide_cases.json")
        guard let data = try? Data(contentsOf: path), let f = try? JSONDecoder().decode(Fixture.self, from: data) else { return nil }
        return f.cases.first { $0.name == "crowd_regions" }
    }()

    /// `c`'s images ingested as NDJSON predictions and labels of a detector `dock`, evaluated
    /// over the last 30 days as `vigil evaluate` would.
    static func evaluated(_ c: Case) throws -> EvaluationReport {
        let policy = Policy(model: "dock", task: .detection, classes: (0..<c.classes).map { "c\($0)" },
                            evaluation: EvaluationSettings(window: "30d", minReviewedPerClass: 1, confidence: 0.95))
        let ws = try TestWorkspace(extraPolicies: [policy])
        let start = Timestamp.parseMillis("2026-10-30T00:00:00Z")!
        var predictions: [String] = []
        var labels: [String] = []
        for (n, image) in c.images.enumerated() {
            predictions.append("{\"id\":\"img-\(n)\",\"ts\":\"\(Timestamp.format(millis: start + Int64(n) * 1000))\",\"model\":\"dock\",\"boxes\":[\(image.predicted.map(boxJSON).joined(separator: ","))]}")
            labels.append("{\"prediction_id\":\"img-\(n)\",\"boxes\":[\(image.ground_truth.map(boxJSON).joined(separator: ","))]}")
        }
        #expect(try ws.ingest(.predictions, ws.file("p.ndjson", predictions.joined(separator: "\n"))).exitCode == 0)
        #expect(try ws.ingest(.labels, ws.file("l.ndjson", labels.joined(separator: "\n"))).exitCode == 0)
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: try ws.workspace.policy(for: "dock"), window: .last("30d"))
        return report
    }

    static func boxJSON(_ b: Box) -> String {
        "{\"label\":\"c\(b.label)\"" + (b.score.map { ",\"score\":\(String($0))" } ?? "")
            + ",\"bbox\":[\(b.bbox.map { String($0) }.joined(separator: ","))]" + (b.iscrowd == 1 ? ",\"iscrowd\":1}" : "}")
    }

    @Test func evaluateJSONCarriesTidecvFigures() throws {
        let c = try #require(Self.crowdCase)
        let report = try Self.evaluated(c)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(report.json().utf8)) as? [String: Any])
        let taxonomy = try #require((json["detection"] as? [String: Any])?["error_taxonomy"] as? [String: Any])
        let ap50 = try #require(taxonomy["ap50"] as? Double)
        #expect(abs(ap50 * 100 - c.tidecv.ap50) <= 1e-9)
        let errors = try #require(taxonomy["errors"] as? [String: [String: Any]])
        for (kind, name) in [("cls", "Cls"), ("loc", "Loc"), ("both", "Both"), ("dupe", "Dupe"), ("bkg", "Bkg"), ("miss", "Miss")] {
            #expect(errors[kind]?["count"] as? Int == c.tidecv.counts[name], "\(kind) count")
            let dap = try #require(errors[kind]?["dap"] as? Double)
            #expect(abs(dap * 100 - c.tidecv.dap[name]!) <= 1e-9, "\(kind) dAP")
        }
        let perClass = try #require(taxonomy["per_class"] as? [[String: Any]])
        #expect(perClass.count == c.classes)
        #expect(perClass.last?["ap50"] is NSNull, "the last class is never annotated")
        // People see it too: the text report's summary line and the run page's table.
        let t = try #require(report.detection?.errorTaxonomy)
        #expect(ReportRenderer.table(report).contains("TIDE errors (AP50 \(String(format: "%.2f", c.tidecv.ap50))"))
        let page = RunPage.render(runID: 1, createdAt: 0, report: report, modelLink: "/models/dock")
        #expect(page.contains("Why the mAP moved: errors by type (dAP)"))
        #expect(page.contains("<td class=\"num\">\(String(format: "%.2f", c.tidecv.dap["Loc"]!))</td>"))
        #expect(page.contains("<td class=\"num\">\(t.errors.miss.count)</td>"))
        // The report reads back with the taxonomy.
        let decoded = try JSONDecoder().decode(EvaluationReport.self, from: Data(report.json().utf8))
        #expect(decoded.detection?.errorTaxonomy == report.detection?.errorTaxonomy)
    }

    @Test func noReviewedImagesNoTaxonomy() throws {
        let policy = Policy(model: "dock", task: .detection, classes: ["pallet"])
        let ws = try TestWorkspace(extraPolicies: [policy])
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: try ws.workspace.policy(for: "dock"), window: .last("7d"))
        #expect(report.detection?.errorTaxonomy == nil)
    }
}
