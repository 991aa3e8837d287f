import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore

/// `vigil evaluate` switches to the Hájek estimator when review-queue items carry unequal π.
struct WeightedEvaluateTests {
    @Test func queueItemsWithUnequalProbabilitiesGiveHajekEstimates() throws {
        let ws = try TestWorkspace()
        // 40 predictions of "can"; the first 20 reviewed as "can" with π = 0.5, the next 20 as "jar" with π = 1.
        let lines = (0..<40).map { predictionLine("w\($0)", label: "can", ts: "2026-10-30T10:\(String(format: "%02d", $0)):00Z") }
        _ = try ws.ingest(.predictions, try ws.file("p.ndjson", lines.joined(separator: "\n") + "\n"))
        var seqs: [Int64] = []
        try ws.store.forEachSamplingCandidate(model: "shelf-classifier", window: TimeWindow(from: 0, to: .max), passes: 1, attribute: nil) { _, c in seqs.append(c.seq) }
        seqs.sort()
        let drafts = seqs.enumerated().map { i, seq in ReviewItemDraft(predictionSeq: seq, strategy: i < 20 ? .uncertainty : .uniform, inclusionProbability: i < 20 ? 0.5 : 1) }
        #expect(try ws.store.enqueue(drafts, model: "shelf-classifier", sampleRun: "t", now: 0, actor: "test") == 40)
        let now = Timestamp.millis(ws.clock.now)
        while let c = try ws.store.claim(model: nil, reviewer: "alice", now: now, leaseMillis: 600_000) {
            let index = try #require(Int(c.predictionID.dropFirst()))
            try ws.store.submit(assignment: c.assignment, reviewer: "alice", outcome: .label(index < 20 ? "can" : "jar"), now: now)
        }
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: ws.workspace.policy(for: "shelf-classifier"), window: .last("7d"))
        #expect(report.estimator == "hajek")
        let weighted = try #require(report.weighted)
        let can = try #require(weighted.perClass.first { $0.className == "can" })
        // Unweighted precision of "can" is 20/40; weighted, (20·2) / (20·2 + 20·1) = 2/3.
        #expect(abs(can.precision - 2.0 / 3) < 1e-12)
        #expect(report.metrics?.perClass.first { $0.className == "can" }?.precision == 0.5)
        #expect(abs(weighted.representedPredictions - 60) < 1e-9)
        #expect(try report.json().contains("\"estimator\" : \"hajek\""))
        // The thresholds judge the weighted value: precision of "can" 0.667 is a warning (< 0.80),
        // where the plain 0.5 would be critical (< 0.65).
        let finding = try #require(report.findings.first { $0.rule == "precision[can]" })
        #expect(finding.severity == .warning && abs(finding.value! - 2.0 / 3) < 1e-12 && finding.message.contains("Hájek"), "\(finding)")
        #expect(finding.interval != nil)
    }
}
