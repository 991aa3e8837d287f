import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilRegistry
import VigilStore

/// Retrain → candidate → gate → promotion with the `command` trainer, in process and through
/// the command line.
@Suite(.serialized) struct RetrainTests {
    func run(_ bed: RegistryTestBed, mode: String) throws -> RetrainJob.Outcome {
        var (ws, store, policy) = try bed.open()
        policy.retraining?.command = "python3 \(bed.root)/trainer.py {train} {holdout} {out} {model} \(mode) \(bed.task.rawValue)"
        let job = try ws.retrainJob(store: store, policy: policy, clock: bed.clock, actor: "tester")
        let queued = try job.enqueue(policy: policy, trigger: "manual")
        return try #require(try job.run(policy: policy, jobID: queued.id))
    }

    @Test func classifierWorseIsRejectedBetterIsPromoted() throws {
        let bed = try RegistryTestBed()
        try bed.registerChampion()
        let (_, store, policy) = try bed.open()
        let registry = EmbeddedRegistry(store: store)
        #expect(try registry.alias("champion", model: bed.model) == 1)

        let worse = try run(bed, mode: "worse")
        #expect(worse.job.state == .succeeded, "\(worse.summary) \(worse.job.log ?? "")")
        let v2 = try #require(worse.candidate)
        let verdict2 = try #require(worse.verdict)
        #expect(!verdict2.passed)
        #expect(verdict2.champion == 1 && verdict2.metric == "macro_f1")
        #expect(try registry.version(model: bed.model, version: 2)?.state == .rejected)
        #expect(try registry.alias("champion", model: bed.model) == 1)
        #expect(worse.promotion == nil)

        let better = try run(bed, mode: "better")
        let verdict3 = try #require(better.verdict, "\(better.summary) \(better.job.log ?? "")")
        #expect(verdict3.passed, "\(verdict3.summary)")
        #expect(better.promotion?.toVersion == 3 && better.promotion?.fromVersion == 1)
        #expect(try registry.alias("champion", model: bed.model) == 3)
        #expect(try registry.alias("previous_champion", model: bed.model) == 1)
        #expect(try registry.version(model: bed.model, version: 1)?.state == .archived)
        #expect(try registry.version(model: bed.model, version: 3)?.state == .promoted)

        // Lineage, data and the artifact.
        let v3 = try #require(try registry.version(model: bed.model, version: 3))
        #expect(v3.parentVersion == 1 && v3.jobID == better.job.id)
        let folder = try #require(RetrainJob.lineageField(v3.lineage, "job_folder"))
        let train = try String(contentsOfFile: folder + "/train.ndjson", encoding: .utf8)
        #expect(train.hasPrefix("{\"id\":\"orig-1\""))  // the parent's training data comes first
        #expect(train.split(separator: "\n").count == 1 + 168)  // + the 70% oldest reviewed items
        #expect(v3.dataFingerprint == ArtifactStore.sha256(file: folder + "/train.ndjson"))
        let holdout = try String(contentsOfFile: folder + "/holdout.ndjson", encoding: .utf8)
        #expect(holdout.split(separator: "\n").count == 72)
        #expect(!holdout.contains("\"label\""))  // the trainer never sees the holdout's labels
        #expect(v3.artifactPath.hasSuffix("/sha256/\(v3.artifactSHA256.prefix(2))/\(v3.artifactSHA256)"))
        #expect(ArtifactStore.sha256(file: v3.artifactPath) == v3.artifactSHA256)
        #expect(v2.artifactSHA256 != v3.artifactSHA256)
        let card = ModelCard.decode(v3.card, classes: [])
        #expect(card.classes == policy.classes && card.data.trainingItems == 168 && card.data.holdoutItems == 72)
        #expect(card.gate == verdict3)

        // History and notices.
        let history = try registry.history(model: bed.model, limit: 10)
        #expect(history.map(\.kind) == [.promote, .set])
        #expect(history[0].verdict.flatMap(GateVerdict.decode)?.passed == true)
        let topics = try bed.noticeTopics()
        #expect(topics.filter { $0 == "gate.verdict" }.count == 2)
        #expect(topics.contains("registry.promoted"))
        #expect(topics.contains("retrain.queued"))

        // The promotion started v3's baseline: the policy's baseline window from the promotion on, in the event log.
        let baselines = try bed.open().store.events(model: bed.model, kind: BaselineWindow.eventKind, limit: 10)
        #expect(baselines.count == 1 && baselines[0].details.contains("v3 became champion"), "\(baselines)")
        let (window, source) = try #require(try BaselineWindow.resolve(store: bed.open().store, policy: policy))
        #expect(window.from == baselines[0].ts && window.to == window.from + 7 * 86_400_000 && source.hasPrefix("set"))
    }

    @Test func aTrainerThatWritesNoPredictionsFailsTheJob() throws {
        let bed = try RegistryTestBed()
        try bed.registerChampion()
        var (ws, store, policy) = try bed.open()
        policy.retraining?.command = "echo 'accuracy 0.99' > {out}/artifact"
        let job = try ws.retrainJob(store: store, policy: policy, clock: bed.clock, actor: "tester")
        let queued = try job.enqueue(policy: policy, trigger: "manual")
        let outcome = try #require(try job.run(policy: policy, jobID: queued.id))
        #expect(outcome.job.state == .failed)
        #expect(outcome.job.error?.contains("predictions.ndjson") == true)
        #expect(outcome.candidate == nil)
        #expect(try store.modelVersions(model: bed.model).count == 1)
    }

    @Test func theEmbeddedTrainerTrainsDetectorsOnly() throws {
        var policy = Policy(model: "m", task: .classification, classes: ["a"])
        policy.retraining = RetrainingSettings(trainer: .embedded)
        do {
            _ = try Trainers.make(policy: policy)
            Issue.record("a classifier policy got the embedded (detector) trainer")
        } catch { #expect("\(error)".contains("fine-tunes the embedded detector")) }
        policy.task = .detection
        #expect(try Trainers.make(policy: policy).name == "embedded")
    }

    @Test func detectorThroughTheCommandLine() throws {
        let bed = try RegistryTestBed(task: .detection, promote: "manual")
        let reg = try VigilCLI.run(["registry", "register", "--workspace", bed.root, "--model", bed.model, "--artifact", bed.root + "/v1.bin",
                                    "--training-data", bed.root + "/original-train", "--champion"])
        #expect(reg.status == 0, "\(reg.output)")
        let retrain = try VigilCLI.run(["retrain", "--workspace", bed.root, "--model", bed.model])
        #expect(retrain.status == 0, "\(retrain.output)")
        #expect(retrain.output.contains("candidate v2"), "\(retrain.output)")
        #expect(retrain.output.contains("PASS"), "\(retrain.output)")
        let (_, store, _) = try bed.open()
        let v2 = try #require(try store.modelVersion(model: bed.model, version: 2))
        let verdict = try #require(ModelCard.decode(v2.card, classes: []).gate)
        #expect(verdict.metric == "map50" && verdict.passed)
        #expect(verdict.perClass.map(\.metric) == ["ap50", "ap50", "ap50"])
        // The COCO training set: the parent's image and annotation, then the reviewed images.
        let folder = try #require(RetrainJob.lineageField(v2.lineage, "job_folder"))
        let coco = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: folder + "/train.coco.json"))) as? [String: Any])
        #expect((coco["images"] as? [Any])?.count == 1 + 168)
        #expect((coco["annotations"] as? [Any])?.count == 1 + 168)
        #expect((coco["categories"] as? [[String: Any]])?.map { $0["name"] as? String } == ["a", "b", "c"])
        // promote: manual: still a candidate; the gate verdict lets a person promote it.
        #expect(try store.aliases(model: bed.model)["champion"] == 1)
        let show = try VigilCLI.run(["registry", "show", "--workspace", bed.root, "--model", bed.model, "--version", "2"])
        #expect(show.output.contains("significance") && show.output.contains("ap50"), "\(show.output)")
        let gate = try VigilCLI.run(["registry", "gate", "--workspace", bed.root, "--model", bed.model, "--version", "2"])
        #expect(gate.status == 0, "\(gate.output)")
        let promote = try VigilCLI.run(["registry", "promote", "--workspace", bed.root, "--model", bed.model, "--version", "2"])
        #expect(promote.status == 0, "\(promote.output)")
        #expect(try store.aliases(model: bed.model)["champion"] == 2)
        let baseline = try VigilCLI.run(["baseline", "show", "--workspace", bed.root, "--model", bed.model])
        #expect(baseline.output.contains("set (v2 became champion)"), "\(baseline.output)")
        let history = try VigilCLI.run(["registry", "history", "--workspace", bed.root, "--model", bed.model])
        #expect(history.output.contains("v1 → v2  promote  by tester  gate PASS vs v1"), "\(history.output)")
    }

    @Test func overrideNeedsAReasonAndIsRecordedAndRollbackReturns() throws {
        let bed = try RegistryTestBed(mode: "worse", promote: "auto")
        try bed.registerChampion()
        let retrain = try VigilCLI.run(["retrain", "--workspace", bed.root, "--model", bed.model])
        #expect(retrain.status == 0 && retrain.output.contains("FAIL"), "\(retrain.output)")
        let (_, store0, _) = try bed.open()
        let v2 = try #require(try store0.modelVersion(model: bed.model, version: 2))
        let failedRules = (ModelCard.decode(v2.card, classes: []).gate?.checks ?? []).filter { !$0.passed }.map(\.rule)
        #expect(failedRules.contains("improvement") && !failedRules.contains("holdout-size"), "\(failedRules)")
        let refused = try VigilCLI.run(["registry", "promote", "--workspace", bed.root, "--model", bed.model, "--version", "2"])
        #expect(refused.status == 1)
        #expect(refused.output.contains("failed the gate") && refused.output.contains("--override"), "\(refused.output)")
        let noReason = try VigilCLI.run(["registry", "promote", "--workspace", bed.root, "--model", bed.model, "--version", "2", "--override"])
        #expect(noReason.status != 0 && noReason.output.contains("--reason"), "\(noReason.output)")
        let forced = try VigilCLI.run(["registry", "promote", "--workspace", bed.root, "--model", bed.model, "--version", "2", "--override",
                                       "--reason", "hotfix for camera 7"])
        #expect(forced.status == 0, "\(forced.output)")
        let (_, store, _) = try bed.open()
        #expect(try store.aliases(model: bed.model)["champion"] == 2)
        let moves = try store.aliasHistory(model: bed.model, limit: 10)
        #expect(moves[0].kind == .override && moves[0].reason == "hotfix for camera 7" && moves[0].actor == "tester")
        #expect(moves[0].verdict.flatMap(GateVerdict.decode)?.passed == false)
        #expect(try bed.noticeTopics().contains("registry.override"))
        let back = try VigilCLI.run(["registry", "rollback", "--workspace", bed.root, "--model", bed.model, "--reason", "complaints"])
        #expect(back.status == 0, "\(back.output)")
        #expect(try store.aliases(model: bed.model)["champion"] == 1)
        #expect(try store.aliasHistory(model: bed.model, limit: 10).map(\.kind) == [.rollback, .override, .set])
        #expect(try bed.noticeTopics().contains("registry.rollback"))
        let list = try VigilCLI.run(["registry", "list", "--workspace", bed.root, "--model", bed.model])
        #expect(list.output.contains("v1  promoted  [champion]"), "\(list.output)")
    }
}
