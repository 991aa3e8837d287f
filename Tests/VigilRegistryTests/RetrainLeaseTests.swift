import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilRegistry
import VigilStore

/// A retraining job whose process is killed keeps its row `running` only until its lease
/// passes; the next `retrain-check` (from `vigil tick`) marks the attempt failed and runs the
/// retry, which succeeds.
@Suite(.serialized) struct RetrainLeaseTests {
    @Test func aKilledJobIsFailedByLeaseExpiryAndRetriedOnce() throws {
        let bed = try RegistryTestBed(mode: "slow-once", promote: "auto", extraRetraining: "  max_attempts: 2", schedule: true)
        try bed.registerChampion()
        let t0 = RegistryTestBed.now
        let child = VigilCLI.process(["retrain", "--workspace", bed.root, "--model", bed.model], now: t0)
        child.standardOutput = FileHandle.nullDevice
        child.standardError = FileHandle.nullDevice
        try child.run()
        // Wait until the trainer is sleeping (it leaves its pid in the marker).
        let marker = bed.root + "/.vigil/jobs/slept"
        var trainerPID: Int32?
        for _ in 0..<600 where trainerPID == nil {
            if let text = try? String(contentsOfFile: marker, encoding: .utf8), let pid = Int32(text) { trainerPID = pid } else { Thread.sleep(forTimeInterval: 0.1) }
        }
        let trainer = try #require(trainerPID, "the trainer never started")
        kill(child.processIdentifier, SIGKILL)
        child.waitUntilExit()
        kill(trainer, SIGKILL)  // the orphaned trainer: nobody would wait for it
        let (_, store, _) = try bed.open()
        let killed = try #require(try store.retrainJobs(model: bed.model, limit: 5).first)
        #expect(killed.state == .running && killed.attempts == 1 && killed.pid == child.processIdentifier)

        // Within the lease nothing happens to it (and no second job is queued while it runs).
        let early = try VigilCLI.run(["tick", "--workspace", bed.root], now: "2026-10-20T00:01:00Z")
        #expect(early.status == 0, "\(early.output)")
        #expect(try store.retrainJob(id: killed.id)?.state == .running)
        #expect(try store.retrainJobs(model: bed.model, limit: 5).count == 1)

        // After it: failed by lease expiry, queued again, retried once in the same tick, succeeds.
        let late = try VigilCLI.run(["tick", "--workspace", bed.root], now: "2026-10-20T00:05:00Z")
        #expect(late.status == 0, "\(late.output)")
        #expect(late.output.contains("lease expired (attempt 1/2) → queued"), "\(late.output)")
        let retried = try #require(try store.retrainJob(id: killed.id))
        #expect(retried.state == .succeeded, "\(retried)")
        #expect(retried.attempts == 2)
        #expect(retried.candidateVersion == 2)
        #expect(try store.aliases(model: bed.model)["champion"] == 2)
        let events = try store.events(model: bed.model, limit: 200).filter { $0.subject == "retrain/\(killed.id)" }.map(\.kind)
        #expect(events.reversed() == ["retrain.queued", "retrain.started", "retrain.failed", "retrain.started", "retrain.succeeded"])
        let failure = try store.events(model: bed.model, limit: 200).first { $0.kind == "retrain.failed" }
        #expect(failure?.details.contains("lease expired: process \(child.processIdentifier)") == true, "\(String(describing: failure))")
        #expect(FileManager.default.fileExists(atPath: bed.root + "/.vigil/jobs/\(killed.id)/attempt-1/log.txt"))
        #expect(FileManager.default.fileExists(atPath: bed.root + "/.vigil/jobs/\(killed.id)/attempt-2/out/artifact"))
    }

    @Test func aJobWithoutAttemptsLeftStaysFailed() throws {
        let bed = try RegistryTestBed(mode: "better", extraRetraining: "  max_attempts: 1")
        let (ws, store, policy) = try bed.open()
        let job = try ws.retrainJob(store: store, policy: policy, clock: bed.clock, actor: "tester")
        let queued = try job.enqueue(policy: policy, trigger: "manual")
        let now = Timestamp.parseMillis(RegistryTestBed.now)!
        _ = try #require(try store.claimRetrainJob(model: bed.model, id: queued.id, owner: "dead-host:1", pid: 1, now: now, leaseMillis: 1000))
        #expect(try store.expireRetrainLeases(now: now + 500).isEmpty)
        let expired = try store.expireRetrainLeases(now: now + 2000)
        #expect(expired.map(\.state) == [.failed])
        #expect(expired.first?.error?.contains("attempt 1 of 1") == true)
        #expect(try job.run(policy: policy) == nil)  // nothing queued: not retried
    }

    @Test func aCancelledRunningJobStopsItsTrainer() throws {
        let bed = try RegistryTestBed(mode: "slow-once")
        try bed.registerChampion()
        let child = VigilCLI.process(["retrain", "--workspace", bed.root, "--model", bed.model])
        let out = Pipe()
        child.standardOutput = out
        child.standardError = out
        try child.run()
        let marker = bed.root + "/.vigil/jobs/slept"
        for _ in 0..<600 where !FileManager.default.fileExists(atPath: marker) { Thread.sleep(forTimeInterval: 0.1) }
        Thread.sleep(forTimeInterval: 0.3)
        let cancel = try VigilCLI.run(["retrain", "cancel", "1", "--workspace", bed.root])
        #expect(cancel.status == 0, "\(cancel.output)")
        let started = Date()
        let output = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        child.waitUntilExit()
        #expect(Date().timeIntervalSince(started) < 30)
        #expect(child.terminationStatus == 1, "\(output)")
        let (_, store, _) = try bed.open()
        #expect(try store.retrainJob(id: 1)?.state == .cancelled)
        #expect(try store.modelVersions(model: bed.model).count == 1)
    }
}
