import Foundation
import Testing
import VigilCore
@testable import VigilStore

/// `SchedulerStore`: schedule slots claimed under a lease, run records and their events.
@Suite struct SchedulerConformanceTests {
    @Test(arguments: Backend.all) func aSlotIsClaimedOnceAndTakenOverOnlyAfterItsLease(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let slot = JobSlot(model: "shelf", job: "evaluate", slot: When.at(10))
        let id = try #require(try store.claimSlot(slot, owner: "host-a", now: When.at(10), leaseMillis: 60_000))
        // Under a live lease (up to and at its last instant) nobody else gets it, nor the owner again.
        #expect(try store.claimSlot(slot, owner: "host-b", now: When.at(10) + 1, leaseMillis: 60_000) == nil)
        #expect(try store.claimSlot(slot, owner: "host-a", now: When.at(10) + 60_000, leaseMillis: 60_000) == nil)
        // Nor does another instance with a handle of its own on the same database.
        let elsewhere = try c.t.reopen()
        #expect(try elsewhere.claimSlot(slot, owner: "host-z", now: When.at(10) + 2, leaseMillis: 60_000) == nil)
        // Another slot, job or model is another row.
        let other = try #require(try store.claimSlot(JobSlot(model: "shelf", job: "sample", slot: When.at(10)), owner: "host-b", now: When.at(10), leaseMillis: 60_000))
        #expect(other != id)
        // After the lease passed, one later tick takes the run over: same row, a second attempt.
        let taken = try store.claimSlot(slot, owner: "host-b", now: When.at(10) + 60_001, leaseMillis: 60_000)
        #expect(taken == id)
        #expect(try store.claimSlot(slot, owner: "host-c", now: When.at(10) + 60_002, leaseMillis: 60_000) == nil)
        let runs = try store.jobRuns(model: "shelf", limit: 10)
        let record = try #require(runs.first { $0.id == id })
        #expect(record.owner == "host-b" && record.attempts == 2 && record.status == .running && record.startedAt == When.at(10) + 60_001)
        #expect(record.slot == slot && record.finishedAt == nil)
        #expect(try c.events("job.started").map(\.subject) == ["job-run/\(other)", "job-run/\(id)"])
        let takeover = try #require(try c.events("job.taken-over").first)
        #expect(takeover.subject == "job-run/\(id)" && takeover.actor == "host-b" && takeover.model == "shelf")
        // A finished run is never claimed again, even long after its lease.
        try store.finishJobRun(id: id, status: .succeeded, finishedAt: When.at(10) + 61_000, error: nil, output: "ok")
        #expect(try store.claimSlot(slot, owner: "host-c", now: When.at(20), leaseMillis: 60_000) == nil)
    }

    @Test(arguments: Backend.all) func finishingARunRecordsItAndLogsAnEvent(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let a = try #require(try store.claimSlot(JobSlot(model: "shelf", job: "evaluate", slot: 1), owner: "h1", now: 1_000, leaseMillis: 10_000))
        let b = try #require(try store.claimSlot(JobSlot(model: "dock", job: "evaluate", slot: 1), owner: "h2", now: 2_000, leaseMillis: 10_000))
        try store.finishJobRun(id: a, status: .failed, finishedAt: 3_500, error: "boom", output: nil)
        try store.finishJobRun(id: b, status: .unavailable, finishedAt: 4_000, error: nil, output: "no runner")
        let failed = try #require(try c.events("job.failed").first)
        #expect(failed.subject == "job-run/\(a)" && failed.actor == "h1" && failed.ts == 3_500 && failed.model == "shelf")
        #expect(Conformance.details(failed)["error"] == "boom" && Conformance.details(failed)["seconds"] == "2.500")
        #expect(try c.events("job.unavailable").first?.subject == "job-run/\(b)")
        #expect(throws: (any Error).self) { try store.finishJobRun(id: 999_999, status: .succeeded, finishedAt: 5_000, error: nil, output: nil) }
        // Newest first by start, by model, at most `limit`.
        let all = try store.jobRuns(model: nil, limit: 10)
        try #require(all.count > 1, "all has too few elements")
        #expect(all.map(\.id) == [b, a])
        #expect(all[1].status == .failed && all[1].error == "boom" && all[1].finishedAt == 3_500 && all[1].output == nil && all[1].attempts == 1)
        #expect(all[0].status == .unavailable && all[0].output == "no runner" && all[0].owner == "h2")
        #expect(try store.jobRuns(model: "shelf", limit: 10).map(\.id) == [a])
        #expect(try store.jobRuns(model: nil, limit: 1).map(\.id) == [b])
        #expect(try store.jobRuns(model: "ghost", limit: 10).isEmpty)
    }

    @Test(arguments: Backend.all) func evaluationRunsOfExactlyOneWindowOldestFirst(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let w = TimeWindow(from: When.at(0), to: When.at(24))
        let first = try store.recordEvaluation(run(at: When.at(25), window: w, report: #"{"n":1}"#))
        _ = try store.recordEvaluation(run(at: When.at(26), window: TimeWindow(from: When.at(0), to: When.at(23)), report: #"{"n":2}"#))
        _ = try store.recordEvaluation(run("dock", at: When.at(26), window: w, report: #"{"n":3}"#))
        let second = try store.recordEvaluation(run(at: When.at(27), window: w, report: #"{"n":4}"#))
        let runs = try store.evaluationRuns(model: "shelf", window: w)
        #expect(runs.map(\.id) == [first, second])
        #expect(runs.map(\.report) == [#"{"n":1}"#, #"{"n":4}"#])
        #expect(try store.evaluationRuns(model: "shelf", window: TimeWindow(from: 0, to: 1)).isEmpty)
        #expect(try store.evaluationRuns(model: "ghost", window: w).isEmpty)
    }
}
