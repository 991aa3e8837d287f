import Foundation
import GRDB
import Testing
import VigilCore
import VigilJobs
import VigilStore
import VigilWorkspace

/// `vigil tick` as cron runs it: real processes racing for the same slots.
@Suite(.serialized) struct SchedulerProcessTests {
    /// A workspace whose classifier policy schedules sampling hourly, an evaluation daily and
    /// (unavailable in this build) alert delivery every minute, in Europe/Berlin.
    static func scheduledWorkspace() throws -> TestWorkspace {
        let ws = try TestWorkspace()
        let path = ws.root + "/policies/shelf-classifier.yaml"
        let extra = """
            timezone: Europe/Berlin
            schedule:
              - {job: sample, cron: "@hourly"}
              - {job: evaluate, cron: "0 6 * * *"}
              - {job: deliver-alerts, cron: "*/5 * * * *"}
            sampling:
              daily_budget: 50
              window: 30d
            """
        var text = try String(contentsOfFile: path, encoding: .utf8) + extra
        text = text.replacingOccurrences(of: "  confidence: 0.95", with: "  confidence: 0.95\n  label_delay: 2d")
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        let lines = (0..<300).map { predictionLine("p\($0)", label: ["can", "bottle", "box"][$0 % 3], ts: "2026-10-2\($0 % 9)T10:00:00Z") }
        _ = try ws.ingest(.predictions, try ws.file("p.ndjson", lines.joined(separator: "\n") + "\n"))
        return ws
    }

    @Test func tenTicksStartedTogetherRunEachDueSlotOnce() throws {
        let ws = try Self.scheduledWorkspace()
        let env = ["VIGIL_NOW": "2026-10-31T07:32:10Z"]
        let processes = (0..<10).map { _ in VigilProcess.start(["tick", "--workspace", ws.root], environment: env) }
        let pipes = processes.map { p in
            let out = Pipe(), err = Pipe()
            p.standardOutput = out
            p.standardError = err
            return (out, err)
        }
        for p in processes { try p.run() }
        var stdout = ""
        for (p, (out, err)) in zip(processes, pipes) {
            stdout += String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 0, "\(e)")
        }
        let runs = try ws.workspace.openStore().jobRuns(model: nil, limit: 100)
        // Three due slots: sample at 08:00 Berlin (07:00Z), evaluate at 06:00 Berlin (05:00Z), alerts at 08:30 Berlin.
        #expect(runs.count == 3)
        #expect(Set(runs.map(\.slot.job)) == ["sample", "evaluate", "deliver-alerts"])
        #expect(runs.allSatisfy { $0.attempts == 1 && $0.finishedAt != nil })
        let byJob = Dictionary(uniqueKeysWithValues: runs.map { ($0.slot.job, $0) })
        #expect(byJob["sample"]?.slot.slot == Timestamp.parseMillis("2026-10-31T07:00:00Z"))
        #expect(byJob["evaluate"]?.slot.slot == Timestamp.parseMillis("2026-10-31T05:00:00Z"))
        #expect(byJob["deliver-alerts"]?.slot.slot == Timestamp.parseMillis("2026-10-31T07:30:00Z"))
        #expect(byJob["sample"]?.status == .succeeded)
        // Alert delivery is a real job now: nothing routed in this workspace, so nothing sent.
        #expect(byJob["deliver-alerts"]?.status == .succeeded)
        #expect(byJob["deliver-alerts"]?.output?.contains("0 delivered") == true, "\(byJob["deliver-alerts"]?.output ?? "")")
        // The evaluation judged the window ending label_delay (2d) before its slot.
        #expect(byJob["evaluate"]?.output?.contains("window 2026-10-22T05:00:00.000Z..2026-10-29T05:00:00.000Z") == true, "\(byJob["evaluate"]?.output ?? "")")
        // Across all ten processes' output, each slot was reported exactly once.
        #expect(stdout.split(separator: "\n").count == 3, "\(stdout)")
        // The sample job queued once, within its budget.
        let status = try ws.workspace.openStore().queueStatus(model: nil, now: 0)
        #expect(status.open == 50)
        // Events: one job.started and one job.<status> per run.
        let events = try ws.workspace.openStore().events(model: "shelf-classifier", limit: 100)
        #expect(events.filter { $0.kind == "job.started" }.count == 3)
    }

    @Test func missedSlotsAreCaughtUpOnceAndLaterSlotsRunAgain() throws {
        let ws = try Self.scheduledWorkspace()
        // Nothing ran for days; the first tick runs only the latest slot of each job.
        let first = try VigilProcess.run(["tick", "--workspace", ws.root], environment: ["VIGIL_NOW": "2026-10-31T07:32:10Z"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout.split(separator: "\n").count == 3)
        // Same minute again: nothing is due.
        let again = try VigilProcess.run(["tick", "--workspace", ws.root], environment: ["VIGIL_NOW": "2026-10-31T07:33:00Z"])
        #expect(again.stdout.isEmpty, "\(again.stdout)")
        // An hour later: the next sample slot and the next alert slot, but not the daily evaluation.
        let later = try VigilProcess.run(["tick", "--workspace", ws.root], environment: ["VIGIL_NOW": "2026-10-31T08:01:00Z"])
        #expect(later.stdout.contains("sample") && later.stdout.contains("deliver-alerts") && !later.stdout.contains("evaluate"), "\(later.stdout)")
        let jobs = try VigilProcess.run(["jobs", "--workspace", ws.root, "--format", "json"])
        let decoded = try JSONDecoder().decode([JobRun].self, from: Data(jobs.stdout.utf8))
        #expect(decoded.count == 5)
    }

    /// The first tick, before the model's first prediction falls in a window: the evaluation
    /// says so and stores no "unknown" run; once the data is there, it stores one.
    @Test func noRunIsStoredForAWindowBeforeTheFirstPrediction() throws {
        let ws = try Self.scheduledWorkspace()  // predictions from 2026-10-20 10:00; label_delay 2d
        let early = try VigilProcess.run(["tick", "--workspace", ws.root], environment: ["VIGIL_NOW": "2026-10-21T06:10:00Z"])
        #expect(early.status == 0, "\(early.stderr)")
        #expect(early.stdout.contains("nothing to evaluate") && early.stdout.contains("no run stored"), "\(early.stdout)")
        #expect(try ws.store.evaluationHistory(model: "shelf-classifier", since: 0, limit: 10).isEmpty)
        let later = try VigilProcess.run(["tick", "--workspace", ws.root], environment: ["VIGIL_NOW": "2026-10-31T06:10:00Z"])
        #expect(later.stdout.contains("evaluate") && !later.stdout.contains("nothing to evaluate"), "\(later.stdout)")
        #expect(try ws.store.evaluationHistory(model: "shelf-classifier", since: 0, limit: 10).count == 1)
    }

    @Test func aRunWhoseOwnerDiedIsTakenOverAfterItsLease() throws {
        let ws = try TestWorkspace()
        let store = ws.store
        let slot = JobSlot(model: "shelf-classifier", job: "sample", slot: 1_000)
        #expect(try store.claimSlot(slot, owner: "a", now: 1_000, leaseMillis: 60_000) != nil)
        #expect(try store.claimSlot(slot, owner: "b", now: 30_000, leaseMillis: 60_000) == nil)
        let taken = try store.claimSlot(slot, owner: "b", now: 61_001, leaseMillis: 60_000)
        #expect(taken != nil)
        try store.finishJobRun(id: taken!, status: .succeeded, finishedAt: 62_000, error: nil, output: "ok")
        #expect(try store.claimSlot(slot, owner: "c", now: 500_000, leaseMillis: 60_000) == nil)
        let run = try #require(try store.jobRuns(model: nil, limit: 1).first)
        #expect(run.owner == "b" && run.attempts == 2 && run.status == .succeeded)
    }
}
