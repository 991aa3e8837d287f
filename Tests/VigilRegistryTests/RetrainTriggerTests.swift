import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilRegistry
import VigilStore
import VigilWorkspace

/// The policy's retraining trigger, as `retrain-check` applies it: severe findings in the
/// latest evaluation, enough new labels, and the cooldown.
@Suite(.serialized) struct RetrainTriggerTests {
    func evaluation(_ bed: RegistryTestBed, store: any Store, severity: Severity, at: Int64) throws {
        let finding = Finding(rule: "recall[c]", metric: "recall", className: "c", severity: severity, value: 0.5, interval: nil,
                              warning: 0.8, critical: 0.6, evidence: 80, message: "recall of 'c' fell")
        _ = try store.recordEvaluation(EvaluationRunRecord(model: bed.model, createdAt: at, window: TimeWindow(from: 0, to: at), status: .warning,
                                                          labeled: 240, findings: [finding], reportJSON: "{}", actor: "test"))
    }

    @Test func severeFindingsAndNewLabelsQueueAJobOncePerCooldown() throws {
        let bed = try RegistryTestBed(promote: "manual")  // trigger: warning, 10 new labels, cooldown 1d
        try bed.registerChampion()
        let (ws, store, policy) = try bed.open()
        let now = Timestamp.parseMillis(RegistryTestBed.now)!
        func check(at instant: Int64) throws -> String {
            try ws.retrainJob(store: store, policy: policy, clock: FixedClock(Timestamp.date(millis: instant)), actor: "tick").check(policy: policy)
        }
        // No evaluation yet: nothing.
        #expect(try check(at: now) == "nothing to do")
        // An ok finding is not severe enough.
        try evaluation(bed, store: store, severity: .ok, at: now)
        #expect(try check(at: now) == "nothing to do")
        // A warning finding, with 240 labels since the champion's registration (labels were ingested before it: none are new).
        try evaluation(bed, store: store, severity: .warning, at: now)
        #expect(try check(at: now) == "nothing to do")
        // New labels arrive after the champion: relabel 12 items (new revisions count as new labels).
        let later = now + 3_600_000
        var relabels = ""
        for i in 0..<12 { relabels += "{\"prediction_id\":\"p\(i * 3)\",\"label\":\"b\"}\n" }
        try relabels.write(toFile: bed.root + "/relabels.ndjson", atomically: true, encoding: .utf8)
        let (_, catalog, _) = try ws.openStoreWithModels(clock: bed.clock)
        var request = IngestRequest(kind: .labels, path: bed.root + "/relabels.ndjson")
        request.allowRelabel = true
        _ = try IngestJob(store: store, catalog: catalog, clock: FixedClock(Timestamp.date(millis: later)), rejectsDirectory: bed.root + "/rejects").run(request)
        #expect(try store.labelCount(model: bed.model, since: now) == 12)
        let first = try check(at: later)
        #expect(first.hasPrefix("queued job 1; retrain job 1 succeeded: candidate v2"), "\(first)")
        let job = try #require(try store.retrainJob(id: 1))
        #expect(job.trigger == "policy")
        let cause = try #require(try JSONSerialization.jsonObject(with: Data(job.cause.utf8)) as? [String: Any])
        #expect(cause["findings"] as? [String] == ["recall[c]"] && cause["new_labels"] as? Int == 12)
        #expect(RetrainJob.lineageField(try #require(try store.modelVersion(model: bed.model, version: 2)).lineage, "trainer") == "command")
        // Within the cooldown (1d) no second job, even with the finding still there.
        #expect(try check(at: later + 3_600_000) == "nothing to do")
        #expect(try store.retrainJobs(model: bed.model, limit: 10).count == 1)
    }
}
