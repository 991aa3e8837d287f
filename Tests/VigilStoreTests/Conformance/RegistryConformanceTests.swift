import Foundation
import Testing
import VigilCore
@testable import VigilStore

/// `RegistryStore`: model versions, alias moves with their bookkeeping and history, retraining
/// jobs under a lease, and the training-data reads.
@Suite struct RegistryConformanceTests {
    static func draft(_ model: String = "shelf", sha: String, parent: Int? = nil, job: Int64? = nil) -> ModelVersionDraft {
        ModelVersionDraft(model: model, artifactSHA256: sha, artifactPath: "/artifacts/\(sha)", classes: ["can", "jar", "box"], parentVersion: parent,
                          jobID: job, dataFingerprint: parent == nil ? nil : "fp-\(sha)", lineage: #"{"why":"\#(sha)"}"#, card: #"{"v":"\#(sha)"}"#)
    }

    @Test(arguments: Backend.all) func versionsAreNumberedPerModelAndReadBack(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let v1 = try store.registerVersion(Self.draft(sha: "aaa"), now: 10, actor: "ana")
        let v2 = try store.registerVersion(Self.draft(sha: "bbb", parent: 1, job: 7), now: 20, actor: "trainer")
        let d1 = try store.registerVersion(Self.draft("dock", sha: "ccc"), now: 30, actor: "ana")
        #expect(v1.version == 1 && v2.version == 2 && d1.version == 1)
        #expect(v1 == ModelVersion(model: "shelf", version: 1, state: .candidate, artifactSHA256: "aaa", artifactPath: "/artifacts/aaa",
                                   classes: ["can", "jar", "box"], parentVersion: nil, jobID: nil, dataFingerprint: nil,
                                   lineage: #"{"why":"aaa"}"#, card: #"{"v":"aaa"}"#, createdAt: 10, createdBy: "ana"))
        #expect(v2.parentVersion == 1 && v2.jobID == 7 && v2.dataFingerprint == "fp-bbb" && v2.state == .candidate)
        #expect(try store.modelVersions(model: "shelf") == [v1, v2])
        #expect(try store.modelVersions(model: "dock") == [d1])
        #expect(try store.modelVersions(model: "ghost").isEmpty)
        #expect(try store.modelVersion(model: "shelf", version: 2) == v2)
        #expect(try store.modelVersion(model: "shelf", version: 3) == nil)
        #expect(try store.modelVersion(model: "ghost", version: 1) == nil)
        let registered = try c.events("registry.registered", model: "shelf")
        try #require(registered.count > 0, "registered has too few elements")
        #expect(registered.map(\.subject) == ["version/2", "version/1"])
        #expect(registered[0].actor == "trainer" && Conformance.details(registered[0])["parent"] == "v1" && Conformance.details(registered[0])["job"] == "7")
    }

    @Test(arguments: Backend.all) func updatingAVersionReplacesItsCardAndMaybeItsState(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        _ = try store.registerVersion(Self.draft(sha: "aaa"), now: 10, actor: "ana")
        try store.updateVersion(model: "shelf", version: 1, state: .rejected, card: #"{"gate":"failed"}"#, now: 11, actor: "gate")
        var v = try #require(try store.modelVersion(model: "shelf", version: 1))
        #expect(v.state == .rejected && v.card == #"{"gate":"failed"}"#)
        try store.updateVersion(model: "shelf", version: 1, state: nil, card: #"{"note":"kept"}"#, now: 12, actor: "ana")
        v = try #require(try store.modelVersion(model: "shelf", version: 1))
        #expect(v.state == .rejected && v.card == #"{"note":"kept"}"#)
        let updated = try c.events("registry.updated", model: "shelf")
        try #require(updated.count > 1, "updated has too few elements")
        #expect(updated.map(\.actor) == ["ana", "gate"] && updated.allSatisfy { $0.subject == "version/1" })
        #expect(Conformance.details(updated[1])["state"] == "rejected")
        #expect(throws: StoreError.self) { try store.updateVersion(model: "shelf", version: 9, state: .promoted, card: "{}", now: 13, actor: "ana") }
        #expect(throws: StoreError.self) { try store.updateVersion(model: "ghost", version: 1, state: nil, card: "{}", now: 13, actor: "ana") }
        #expect(try c.events("registry.updated").count == 2)
    }

    @Test(arguments: Backend.all) func aliasMovesKeepChampionPreviousChampionAndChallenger(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        for sha in ["aaa", "bbb", "ccc"] { _ = try store.registerVersion(Self.draft(sha: sha), now: 1, actor: "ana") }
        // The first champion is set (the alias must be unset), v2 is the challenger.
        let first = try store.moveAlias(AliasMoveRequest(model: "shelf", alias: "champion", version: 1, expected: nil, kind: .set, actor: "ana", now: 10))
        #expect(first.fromVersion == nil && first.toVersion == 1 && first.kind == .set)
        _ = try store.moveAlias(AliasMoveRequest(model: "shelf", alias: "challenger", version: 2, expected: nil, kind: .set, actor: "ana", now: 11))
        #expect(try store.aliases(model: "shelf") == ["champion": 1, "challenger": 2])
        #expect(try store.modelVersion(model: "shelf", version: 1)?.state == .promoted)
        #expect(try store.modelVersion(model: "shelf", version: 2)?.state == .candidate, "a challenger is not promoted")
        // Promoting the challenger: it becomes champion (promoted), v1 archived and previous_champion, challenger gone.
        let promoted = try store.moveAlias(AliasMoveRequest(model: "shelf", alias: "champion", version: 2, expected: 1, kind: .promote, actor: "gate",
                                                            now: 12, verdict: #"{"pass":true}"#, reason: nil))
        #expect(promoted.fromVersion == 1 && promoted.toVersion == 2 && promoted.verdict == #"{"pass":true}"#)
        #expect(try store.aliases(model: "shelf") == ["champion": 2, "previous_champion": 1])
        #expect(try store.modelVersions(model: "shelf").map(\.state) == [.archived, .promoted, .candidate])
        // An override (a failing verdict, with a reason), then a rollback to v2.
        _ = try store.moveAlias(AliasMoveRequest(model: "shelf", alias: "champion", version: 3, expected: 2, kind: .override, actor: "ops",
                                                 now: 13, verdict: #"{"pass":false}"#, reason: "hotfix"))
        #expect(try store.aliases(model: "shelf") == ["champion": 3, "previous_champion": 2])
        let back = try store.moveAlias(AliasMoveRequest(model: "shelf", alias: "champion", version: 2, expected: 3, kind: .rollback, actor: "ops", now: 14,
                                                        reason: "regression"))
        #expect(back.fromVersion == 3 && back.toVersion == 2 && back.reason == "regression")
        #expect(try store.aliases(model: "shelf") == ["champion": 2, "previous_champion": 3])
        #expect(try store.modelVersions(model: "shelf").map(\.state) == [.archived, .promoted, .archived])
        // The history: newest first, every move with its kind, from, to, verdict and reason.
        let history = try store.aliasHistory(model: "shelf", limit: 10)
        try #require(history.count > 4, "history has too few elements")
        #expect(history.map(\.kind) == [.rollback, .override, .promote, .set, .set])
        #expect(history.map(\.alias) == ["champion", "champion", "champion", "challenger", "champion"])
        #expect(history.map(\.fromVersion) == [3, 2, 1, nil, nil] && history.map(\.toVersion) == [2, 3, 2, 2, 1])
        #expect(history[0] == back && history[2] == promoted && history[4] == first)
        #expect(history[1].reason == "hotfix" && history[1].actor == "ops" && history[1].ts == 13)
        #expect(history.map(\.id) == history.map(\.id).sorted(by: >))
        #expect(try store.aliasHistory(model: "shelf", limit: 2).map(\.kind) == [.rollback, .override])
        #expect(try store.aliasHistory(model: nil, limit: 10).count == 5)
        #expect(try store.aliasHistory(model: "dock", limit: 10).isEmpty)
        // Each move is logged with the kind the report marks as a promotion.
        let log = try store.events(model: "shelf", kind: nil, limit: 100).filter { $0.subject?.hasPrefix("alias/") == true }
        try #require(log.count > 0, "log has too few elements")
        #expect(log.map(\.kind) == ["registry.rollback", "registry.promoted.override", "registry.promoted", "registry.alias", "registry.alias"])
        #expect(log.map(\.subject) == ["alias/champion", "alias/champion", "alias/champion", "alias/challenger", "alias/champion"])
        #expect(Conformance.details(log[0])["from"] == "v3" && Conformance.details(log[0])["to"] == "v2" && Conformance.details(log[0])["reason"] == "regression")
    }

    @Test(arguments: Backend.all) func aStaleExpectationOrAnUnknownVersionMovesNothing(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        for sha in ["aaa", "bbb", "ccc"] { _ = try store.registerVersion(Self.draft(sha: sha), now: 1, actor: "ana") }
        _ = try store.moveAlias(AliasMoveRequest(model: "shelf", alias: "champion", version: 1, expected: nil, kind: .set, actor: "ana", now: 10))
        _ = try store.moveAlias(AliasMoveRequest(model: "shelf", alias: "champion", version: 2, expected: 1, kind: .promote, actor: "gate-a", now: 11))
        // A second promotion from the same champion v1 loses: RegistryConflict naming what it found.
        do {
            _ = try store.moveAlias(AliasMoveRequest(model: "shelf", alias: "champion", version: 3, expected: 1, kind: .promote, actor: "gate-b", now: 12))
            Issue.record("a move from a stale champion must be refused")
        } catch let conflict as RegistryConflict {
            #expect(conflict.model == "shelf" && conflict.alias == "champion" && conflict.expected == 1 && conflict.actual == 2)
        }
        // Expecting an unset alias that is set is a conflict too.
        #expect(throws: RegistryConflict.self) {
            try store.moveAlias(AliasMoveRequest(model: "shelf", alias: "champion", version: 3, expected: nil, kind: .set, actor: "ana", now: 13))
        }
        // A version that does not exist is refused, whatever the expectation.
        #expect(throws: StoreError.self) {
            try store.moveAlias(AliasMoveRequest(model: "shelf", alias: "champion", version: 9, expected: 2, kind: .promote, actor: "ana", now: 14))
        }
        #expect(throws: StoreError.self) {
            try store.moveAlias(AliasMoveRequest(model: "ghost", alias: "champion", version: 1, expected: nil, kind: .set, actor: "ana", now: 14))
        }
        #expect(try store.aliases(model: "shelf") == ["champion": 2, "previous_champion": 1])
        #expect(try store.aliasHistory(model: "shelf", limit: 10).count == 2)
        #expect(try store.modelVersion(model: "shelf", version: 3)?.state == .candidate)
        // Without the check, a move goes through from wherever the alias is.
        let forced = try store.moveAlias(AliasMoveRequest(model: "shelf", alias: "champion", version: 3, expected: 1, checkExpected: false,
                                                          kind: .override, actor: "ops", now: 15, reason: "forced"))
        #expect(forced.fromVersion == 2 && forced.toVersion == 3)
        #expect(try store.aliases(model: "shelf") == ["champion": 3, "previous_champion": 2])
        #expect(try store.aliases(model: "ghost").isEmpty)
    }

    @Test(arguments: Backend.all) func retrainingJobsGoFromQueuedToRunningToSucceeded(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let job = try store.createRetrainJob(RetrainJobDraft(model: "shelf", trigger: "policy", trainer: "embedded", cause: #"{"run":1}"#), now: 100, actor: "tick")
        #expect(job.state == .queued && job.attempts == 0 && job.maxAttempts == 2 && job.owner == nil && job.createdAt == 100 && job.cause == #"{"run":1}"#)
        let other = try store.createRetrainJob(RetrainJobDraft(model: "dock", trigger: "manual", trainer: "embedded"), now: 101, actor: "ana")
        let queued = try #require(try c.events("retrain.queued", model: "shelf").first)
        #expect(queued.subject == "retrain/\(job.id)" && queued.actor == "tick")
        // Claiming: the oldest queued job of the model, running under a lease; nothing left after.
        let running = try #require(try store.claimRetrainJob(model: "shelf", id: nil, owner: "w1", pid: 4242, now: 200, leaseMillis: 1_000))
        #expect(running.id == job.id && running.state == .running && running.attempts == 1 && running.owner == "w1" && running.pid == 4242)
        #expect(running.leaseUntil == 1_200 && running.startedAt == 200)
        #expect(try store.claimRetrainJob(model: "shelf", id: nil, owner: "w2", pid: 1, now: 201, leaseMillis: 1_000) == nil)
        let started = try #require(try c.events("retrain.started", model: "shelf").first)
        #expect(started.subject == "retrain/\(job.id)" && started.actor == "w1" && Conformance.details(started)["attempt"] == "1")
        // Only the owner renews the lease.
        try store.renewRetrainJob(id: job.id, owner: "w2", now: 300, leaseMillis: 5_000)
        #expect(try store.retrainJob(id: job.id)?.leaseUntil == 1_200)
        try store.renewRetrainJob(id: job.id, owner: "w1", now: 300, leaseMillis: 5_000)
        #expect(try store.retrainJob(id: job.id)?.leaseUntil == 5_300)
        // A renewed lease has not passed: nothing expires.
        #expect(try store.expireRetrainLeases(now: 2_000).isEmpty)
        try store.finishRetrainJob(id: job.id, state: .succeeded, now: 400, error: nil, log: "trained", candidateVersion: 2)
        let done = try #require(try store.retrainJob(id: job.id))
        #expect(done.state == .succeeded && done.finishedAt == 400 && done.log == "trained" && done.candidateVersion == 2 && done.leaseUntil == nil)
        let succeeded = try #require(try c.events("retrain.succeeded").first)
        #expect(succeeded.subject == "retrain/\(job.id)" && succeeded.actor == "w1" && Conformance.details(succeeded)["candidate"] == "v2")
        // Listing: newest first, by model, at most `limit`; a job by id.
        #expect(try store.retrainJobs(model: nil, limit: 10).map(\.id) == [other.id, job.id])
        #expect(try store.retrainJobs(model: "shelf", limit: 10) == [done])
        #expect(try store.retrainJobs(model: nil, limit: 1).map(\.id) == [other.id])
        #expect(try store.retrainJob(id: 999_999) == nil)
        // Claiming by id takes that job only.
        #expect(try store.claimRetrainJob(model: nil, id: job.id, owner: "w3", pid: 2, now: 500, leaseMillis: 1_000) == nil, "a finished job is not queued")
        let byID = try #require(try store.claimRetrainJob(model: nil, id: other.id, owner: "w3", pid: 2, now: 500, leaseMillis: 1_000))
        #expect(byID.id == other.id && byID.state == .running)
    }

    @Test(arguments: Backend.all) func anExpiredLeaseRequeuesTheJobUntilItsAttemptsRunOut(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let job = try store.createRetrainJob(RetrainJobDraft(model: "shelf", trigger: "policy", trainer: "embedded", maxAttempts: 2), now: 0, actor: "tick")
        _ = try #require(try store.claimRetrainJob(model: "shelf", id: nil, owner: "w1", pid: 11, now: 100, leaseMillis: 1_000))
        // At the lease's last instant it has not passed yet.
        #expect(try store.expireRetrainLeases(now: 1_100).isEmpty)
        let first = try store.expireRetrainLeases(now: 1_101)
        try #require(first.count > 0, "first has too few elements")
        #expect(first.map(\.id) == [job.id])
        #expect(first[0].state == .queued && first[0].attempts == 1 && first[0].leaseUntil == nil && first[0].finishedAt == nil)
        #expect(first[0].error?.contains("lease expired") == true)
        let again = try #require(try store.claimRetrainJob(model: "shelf", id: nil, owner: "w2", pid: 12, now: 2_000, leaseMillis: 1_000))
        #expect(again.attempts == 2 && again.owner == "w2" && again.error == nil)
        let last = try store.expireRetrainLeases(now: 3_001)
        try #require(last.count > 0, "last has too few elements")
        #expect(last.count == 1 && last[0].state == .failed && last[0].finishedAt == 3_001 && last[0].attempts == 2)
        #expect(try store.claimRetrainJob(model: "shelf", id: nil, owner: "w3", pid: 13, now: 4_000, leaseMillis: 1_000) == nil)
        let failures = try c.events("retrain.failed", model: "shelf")
        #expect(failures.count == 2 && failures.allSatisfy { $0.subject == "retrain/\(job.id)" && $0.actor == "scheduler" })
        #expect(failures.map { Conformance.details($0)["retry"] } == ["no attempts left", "queued again"])
        #expect(try store.expireRetrainLeases(now: 10_000).isEmpty)
    }

    @Test(arguments: Backend.all) func onlyQueuedOrRunningJobsCanBeCancelled(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let queued = try store.createRetrainJob(RetrainJobDraft(model: "shelf", trigger: "manual", trainer: "embedded"), now: 0, actor: "ana")
        let running = try store.createRetrainJob(RetrainJobDraft(model: "shelf", trigger: "manual", trainer: "embedded"), now: 1, actor: "ana")
        _ = try #require(try store.claimRetrainJob(model: nil, id: running.id, owner: "w1", pid: 1, now: 2, leaseMillis: 100))
        try store.finishRetrainJob(id: queued.id, state: .cancelled, now: 3, error: nil, log: nil, candidateVersion: nil)
        try store.finishRetrainJob(id: running.id, state: .cancelled, now: 4, error: "stopped by ana", log: "partial", candidateVersion: nil)
        #expect(try store.retrainJob(id: queued.id)?.state == .cancelled)
        let stopped = try #require(try store.retrainJob(id: running.id))
        #expect(stopped.state == .cancelled && stopped.error == "stopped by ana" && stopped.log == "partial" && stopped.finishedAt == 4)
        #expect(try c.events("retrain.cancelled").map(\.subject) == ["retrain/\(running.id)", "retrain/\(queued.id)"])
        // A finished job cannot be cancelled; an unknown job cannot be finished.
        #expect(throws: StoreError.self) { try store.finishRetrainJob(id: queued.id, state: .cancelled, now: 5, error: nil, log: nil, candidateVersion: nil) }
        let failed = try store.createRetrainJob(RetrainJobDraft(model: "shelf", trigger: "manual", trainer: "embedded"), now: 6, actor: "ana")
        _ = try #require(try store.claimRetrainJob(model: "shelf", id: nil, owner: "w1", pid: 1, now: 7, leaseMillis: 100))
        try store.finishRetrainJob(id: failed.id, state: .failed, now: 8, error: "trainer exited 1", log: nil, candidateVersion: nil)
        #expect(try store.retrainJob(id: failed.id)?.error == "trainer exited 1")
        #expect(throws: StoreError.self) { try store.finishRetrainJob(id: failed.id, state: .cancelled, now: 9, error: nil, log: nil, candidateVersion: nil) }
        #expect(try store.retrainJob(id: failed.id)?.state == .failed)
        #expect(throws: StoreError.self) { try store.finishRetrainJob(id: 999_999, state: .succeeded, now: 9, error: nil, log: nil, candidateVersion: nil) }
    }

    @Test(arguments: Backend.all) func reviewedPredictionsAndLabelCountsFeedTraining(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try c.ingest([cls("b", "jar", score: 0.6, at: When.at(11)), cls("a", "can", score: 0.9, at: When.at(10)), cls("g", "box", score: 0.7, at: When.at(12)),
                      cls("u", "can", at: When.at(13))])
        try c.label([truthLine("b", "can"), truthLine("a", "can")], now: 1_000)
        // A gold item: labelled, then queued as gold.
        try c.label([truthLine("g", "box")], now: 2_000)
        var goldSeq: Int64?
        var goldLabel: Int?
        try store.forEachGoldCandidate(model: "shelf", window: TimeWindow(from: When.at(12), to: When.at(13))) { goldSeq = $0; goldLabel = $1 }
        let seq = try #require(goldSeq)
        _ = try store.enqueue([ReviewItemDraft(predictionSeq: seq, strategy: .gold, inclusionProbability: 1, goldLabelIndex: goldLabel)],
                              model: "shelf", sampleRun: "gold", now: 2_500, actor: "test")
        var seen: [ReviewedPrediction] = []
        try store.forEachReviewedPrediction(model: "shelf") { seen.append($0) }
        #expect(seen.map(\.id) == ["a", "b", "g"], "oldest first")
        try #require(seen.count == 3)
        #expect(seen.map(\.predictedIndex) == [0, 1, 2] && seen.map(\.labelIndex) == [0, 0, 2])
        #expect(seen.map(\.isGold) == [false, false, true])
        #expect(seen.map(\.labeledAt) == [1_000, 1_000, 2_000] && seen.map(\.ts) == [When.at(10), When.at(11), When.at(12)])
        #expect(seen[0].score == 0.9 && seen[0].boxes == nil && Conformance.uri(seen[0].payload) == "a")
        #expect(throws: (any Error).self) { try store.forEachReviewedPrediction(model: "ghost") { _ in } }
        // Labels given after `since` (a relabel counts as given when it was made).
        #expect(try store.labelCount(model: "shelf", since: 0) == 3)
        #expect(try store.labelCount(model: "shelf", since: 1_000) == 1)
        try c.label([truthLine("a", "jar")], now: 3_000, relabel: true)
        #expect(try store.labelCount(model: "shelf", since: 2_000) == 1)
        #expect(try store.labelCount(model: "dock", since: 0) == 0)
        #expect(try store.labelCount(model: "ghost", since: 0) == 0)
    }

    @Test(arguments: Backend.all) func latestEvaluationIsTheNewestRunWithItsFindings(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        #expect(try store.latestEvaluation(model: "shelf") == nil)
        let w = TimeWindow(from: 0, to: 10)
        _ = try store.recordEvaluation(run(at: 100, window: w, findings: [("accuracy", .warning)]))
        let newest = try store.recordEvaluation(run(at: 200, window: w, findings: [("recall[jar]", .critical), ("accuracy", .ok), ("Macro_f1", .warning)]))
        _ = try store.recordEvaluation(run("dock", at: 300, window: w))
        let latest = try #require(try store.latestEvaluation(model: "shelf"))
        #expect(latest.runID == newest && latest.createdAt == 200)
        #expect(latest.findings.map(\.rule) == ["Macro_f1", "accuracy", "recall[jar]"], "by rule, byte order")
        #expect(latest.findings.map(\.severity) == ["warning", "ok", "critical"])
        #expect(try store.latestEvaluation(model: "dock")?.findings.isEmpty == true)
        #expect(try store.latestEvaluation(model: "ghost") == nil)
    }
}
