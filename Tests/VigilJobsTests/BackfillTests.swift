import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore

/// `vigil evaluate --backfill FROM..TO`: the evaluate schedule's past windows, recomputed
/// idempotently (an unchanged window keeps its run; a changed one gets a new run).
struct BackfillTests {
    @Test func backfillStoresEachWindowOnceAndAgainOnlyWhenItsInputsChange() throws {
        let ws = try TestWorkspace()
        let path = ws.root + "/policies/shelf-classifier.yaml"
        try (try String(contentsOfFile: path, encoding: .utf8) + "schedule:\n  - {job: evaluate, cron: \"0 6 * * *\"}\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let lines = (0..<200).map { predictionLine("b\($0)", label: $0 % 2 == 0 ? "can" : "bottle", ts: "2026-10-\(String(format: "%02d", 1 + $0 % 20))T10:00:00Z") }
        _ = try ws.ingest(.predictions, try ws.file("p.ndjson", lines.joined(separator: "\n") + "\n"))
        let labels = (0..<100).map { "{\"prediction_id\":\"b\($0)\",\"label\":\"can\"}" }
        _ = try ws.ingest(.labels, try ws.file("l.ndjson", labels.joined(separator: "\n") + "\n"))
        let args = ["evaluate", "--workspace", ws.root, "--backfill", "2026-10-08T00:00:00Z..2026-10-12T00:00:00Z", "--no-drift"]
        let first = try VigilProcess.run(args)
        #expect(first.stderr.components(separatedBy: "stored").count - 1 == 4, "\(first.stderr)")  // 06:00 on the 8th … 11th
        let runsAfterFirst = try ws.store.events(model: "shelf-classifier", limit: 1_000).filter { $0.kind == "evaluation.run" }.count
        #expect(runsAfterFirst == 4)
        // Again: same inputs, same runs, nothing stored.
        let second = try VigilProcess.run(args)
        #expect(second.stderr.components(separatedBy: "unchanged").count - 1 == 4, "\(second.stderr)")
        #expect(try ws.store.events(model: "shelf-classifier", limit: 1_000).filter { $0.kind == "evaluation.run" }.count == 4)
        // A late label for a prediction of 10 October changes the windows that contain it (those ending on the 11th).
        _ = try ws.ingest(.labels, try ws.file("late.ndjson", "{\"prediction_id\":\"b109\",\"label\":\"bottle\"}\n"))
        let third = try VigilProcess.run(args)
        #expect(third.stderr.components(separatedBy: "  stored").count - 1 == 1, "\(third.stderr)")
        #expect(third.stderr.contains("2026-10-11T06:00:00.000Z  run 5  stored"), "\(third.stderr)")
    }
}
