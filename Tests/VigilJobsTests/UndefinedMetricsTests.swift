import Foundation
import Testing
import VigilCore
import VigilJobs

/// Undefined metrics read as undefined: "—" in the table, `null` in JSON, never 0.0000.
struct UndefinedMetricsTests {
    @Test func aWindowWithoutReviewsShowsDashesAndNulls() throws {
        let ws = try TestWorkspace()
        let lines = (0..<30).map { predictionLine("u\($0)", label: ["can", "bottle", "box"][$0 % 3], ts: "2026-10-2\($0 % 5)T10:00:00Z") }
        _ = try ws.ingest(.predictions, try ws.file("p.ndjson", lines.joined(separator: "\n") + "\n"))
        let window = ["--model", "shelf-classifier", "--from", "2026-10-20T00:00:00Z", "--to", "2026-10-26T00:00:00Z", "--no-drift"]
        let table = try VigilProcess.run(["evaluate", "--workspace", ws.root] + window)
        #expect(table.stdout.contains("accuracy   —  (no reviewed items in the window)"), "\(table.stdout)")
        #expect(!table.stdout.contains("0.0000"), "\(table.stdout)")
        let json = try VigilProcess.run(["evaluate", "--workspace", ws.root, "--format", "json"] + window)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any])
        let metrics = try #require(report["metrics"] as? [String: Any], "\(json.stdout)")
        #expect(metrics["accuracy"] is NSNull && metrics["macro"] is NSNull)
        let rows = try #require(metrics["per_class"] as? [[String: Any]])
        #expect(rows.allSatisfy { $0["precision"] is NSNull && $0["recall"] is NSNull && $0["f1"] is NSNull })
    }
}
