import Foundation
import Testing
import VigilAlerts
import VigilCore
import VigilDetector
import VigilJobs
import VigilRegistry
import VigilStore
import VigilWorkspace

/// The gate compares like with like (issue 25): the champion is run on the candidate's holdout
/// inputs, not represented by what production served on those items — which, after a
/// promotion, is still the previous model's traffic.
@Suite(.serialized) struct FairGateTests {
    /// A detector workspace (`trainer: embedded`) whose production traffic was served by v1, a
    /// tiny untrained detector; v2, trained on scenes of the same domain, was then promoted by
    /// override, so every served prediction the next job exports is v1's.
    struct PromotedV2Bed {
        let root = NSTemporaryDirectory() + "vigil-fair-gate-\(UUID().uuidString)"
        let model = "cam"
        static let classes = SceneGenerator.classNames
        static let now = "2026-10-20T00:00:00Z"
        let clock = FixedClock(Timestamp.date(millis: Timestamp.parseMillis(PromotedV2Bed.now)!))

        init() throws {
            let fm = FileManager.default
            try fm.createDirectory(atPath: root + "/policies", withIntermediateDirectories: true)
            try "store: sqlite:.vigil/vigil.db\npolicies: policies\n".write(toFile: root + "/vigil.yaml", atomically: true, encoding: .utf8)
            try """
                model: \(model)
                task: detection
                classes: [\(Self.classes.joined(separator: ", "))]
                retraining:
                  trainer: embedded
                  timeout: 10m
                  holdout_fraction: 0.3
                  embedded: {epochs: 1, batch_size: 8, replay: 0, seed: 3, workers: 1, min_score: 0.05}
                gate:
                  min_holdout_per_class: 1
                  bootstrap_resamples: 200
                  promote: manual

                """.write(toFile: root + "/policies/\(model).yaml", atomically: true, encoding: .utf8)
            // v1: random weights. v2: trained on source scenes, the domain production sees.
            let v1 = Detector(config: ModelConfig(classes: Self.classes, channels: [4, 4, 4, 4]), seed: 1)
            try v1.save(to: URL(fileURLWithPath: root + "/v1.safetensors"))
            let v2 = Detector(config: ModelConfig(classes: Self.classes), seed: 2)
            let scenes = SceneSet.synthesize(SceneGenerator(domain: .source), seed: 1, count: 1000, prefix: "t")
            _ = try VigilDetector.Trainer(settings: .init(epochs: 8, batchSize: 32, workers: 2)).train(v2.network, on: scenes)
            try v2.save(to: URL(fileURLWithPath: root + "/v2.safetensors"))

            // 40 production images an hour apart, served by v1, each reviewed with its true boxes.
            let start = Timestamp.parseMillis("2026-10-01T00:00:00Z")!
            let inputs = (0..<40).map { ImageInput.scene(domain: "source", seed: 77, index: $0, size: 64) }
            let served = try FairGateTests.predict(v1, inputs: inputs)
            var predictions = "", labels = ""
            for (i, input) in inputs.enumerated() {
                let truth = SceneGenerator(domain: .source).scene(seed: 77, index: i).boxes
                predictions += "{\"id\":\"p\(i)\",\"ts\":\"\(Timestamp.format(millis: start + Int64(i) * 3_600_000))\",\"model\":\"\(model)\",\"model_version\":\"1\","
                    + "\"boxes\":\(served[i]),\"input\":\(input.json)}\n"
                let truthJSON = truth.map { "{\"label\":\"\(Self.classes[$0.classIndex])\",\"bbox\":[\($0.x),\($0.y),\($0.w),\($0.h)]}" }
                labels += "{\"prediction_id\":\"p\(i)\",\"boxes\":[\(truthJSON.joined(separator: ","))]}\n"
            }
            try predictions.write(toFile: root + "/predictions.ndjson", atomically: true, encoding: .utf8)
            try labels.write(toFile: root + "/labels.ndjson", atomically: true, encoding: .utf8)
            let ws = try Workspace.locate(from: root)
            let (store, catalog, _) = try ws.openStoreWithModels(clock: clock)
            let policy = try ws.policy(for: model)
            for (kind, file) in [(IngestRequest.Kind.predictions, "predictions.ndjson"), (.labels, "labels.ndjson")] {
                _ = try IngestJob(store: store, catalog: catalog, clock: clock, rejectsDirectory: root + "/rejects").run(IngestRequest(kind: kind, path: root + "/" + file))
            }
            guard try store.labelCount(model: model, since: 0) == 40 else { throw StoreError("fair-gate bed: labels not ingested; see \(root)/rejects") }

            _ = try RegistryCommands.register(ws: ws, store: store, clock: clock, policy: policy, artifact: root + "/v1.safetensors",
                                              trainingData: nil, champion: true, actor: "tester")
            _ = try RegistryCommands.register(ws: ws, store: store, clock: clock, policy: policy, artifact: root + "/v2.safetensors",
                                              trainingData: nil, champion: false, actor: "tester")
            try ws.promotion(store: store, policy: policy, clock: clock, actor: "tester")
                .promote(model: model, version: 2, overrideReason: "trained offline on more scenes", now: Timestamp.millis(clock.now))
        }

        func open() throws -> (ws: Workspace, store: any Store, policy: Policy) {
            let ws = try Workspace.locate(from: root)
            let (store, _, _) = try ws.openStoreWithModels(clock: clock)
            return (ws, store, try ws.policy(for: model))
        }
    }

    /// `detector`'s predictions on `inputs`, one JSON boxes array each, as production and the embedded trainer write them.
    static func predict(_ detector: Detector, inputs: [ImageInput], minScore: Double = 0.05) throws -> [String] {
        let images = try inputs.map { try $0.load(base: "/").image }
        let set = try SceneSet(classes: detector.config.classes, images: images, boxes: images.map { _ in [] },
                               fileNames: inputs.indices.map { "i\($0)" }, description: "test", fingerprint: false)
        return try detector.predict(set, minScore: minScore).map { PredictionLines.boxes($0, classes: detector.config.classes) }
    }

    @Test func aCandidateAfterAPromotionIsJudgedAgainstTheChampionRunOnTheHoldoutNotItsServedPredictions() throws {
        let bed = try PromotedV2Bed()
        defer { try? FileManager.default.removeItem(atPath: bed.root) }
        let (ws, store, policy) = try bed.open()
        #expect(try ws.modelRegistry(store: store).alias("champion", model: bed.model) == 2)

        let job = try ws.retrainJob(store: store, policy: policy, clock: bed.clock, actor: "tester")
        let outcome = try #require(try job.run(policy: policy, jobID: job.enqueue(policy: policy, trigger: "manual").id))
        let verdict = try #require(outcome.verdict, "\(outcome.summary) \(outcome.job.log ?? "")")
        #expect(outcome.candidate?.version == 3 && verdict.champion == 2)
        #expect(verdict.championBasis == .holdoutRun)
        #expect(verdict.checks.contains { $0.rule == "champion-basis" && $0.message.contains("v2 run on the same holdout") })

        // Score v2 on the job's holdout independently: load its artifact and predict the holdout inputs.
        let registry = try ws.modelRegistry(store: store)
        let v2 = try #require(try registry.version(model: bed.model, version: 2))
        let v3 = try #require(try registry.version(model: bed.model, version: 3))
        let folder = try #require(RetrainJob.lineageField(v3.lineage, "job_folder"))
        let holdoutLines = try String(contentsOfFile: folder + "/holdout.ndjson", encoding: .utf8).split(separator: "\n")
        let holdoutObjects = try holdoutLines.map { try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]) }
        let inputs = try holdoutObjects.map { try ImageInput(json: $0["input"]) }
        let v2Boxes = try Self.predict(try Detector.load(from: URL(fileURLWithPath: v2.artifactPath)), inputs: inputs)
        let v2File = bed.root + "/v2-own-holdout.ndjson"
        try zip(holdoutObjects, v2Boxes).map { "{\"id\":\(JSONText.quote($0["id"] as? String ?? "")),\"boxes\":\($1)}\n" }.joined()
            .write(toFile: v2File, atomically: true, encoding: .utf8)
        // v2's own predictions as the "candidate", against the served ones (v1's) as the "champion".
        let ownVersusServed = try HoldoutFiles.load(directory: folder, candidatePredictions: v2File, championHoldoutPredictions: nil, schema: policy.schema)
        #expect(ownVersusServed.championBasis == .servedPredictions)
        let scores = Gate(settings: policy.gate, task: .detection, classes: policy.classes).judge(
            ownVersusServed.holdout, model: bed.model, candidate: 2, champion: 1,
            artifact: ArtifactEvidence(recordedSHA256: "x", currentSHA256: "x", jobClasses: policy.classes, versionClasses: policy.classes),
            championBasis: ownVersusServed.championBasis, now: 0)
        let v2Own = try #require(scores.candidateValue), servedScore = try #require(scores.championValue)
        try #require(abs(v2Own - servedScore) > 0.01, "fixture: v2 (\(v2Own)) and v1's served predictions (\(servedScore)) must score apart")

        // The verdict used v2's own holdout score, not the served one.
        let championValue = try #require(verdict.championValue)
        #expect(abs(championValue - v2Own) < 1e-12, "champion map50 \(championValue); v2 on the holdout \(v2Own); served \(servedScore)")
        #expect(abs(championValue - servedScore) > 0.01)

        // The model card shows both versions' holdout metrics and what the champion's side was.
        let card = ModelCard.decode(v3.card, classes: [])
        #expect(card.championMetrics?["map50"] == championValue)
        #expect(card.metrics["map50"] == verdict.candidateValue)
        #expect(card.championMetrics?.keys.contains("ap50[circle]") == true)
        #expect(card.comparison?.contains("v2 run on the same holdout") == true)
        #expect(!verdict.summary.contains("Caveat"))
        #expect(FileManager.default.fileExists(atPath: folder + "/out/champion-holdout-predictions.ndjson"))
    }

    /// A command trainer that does not write `{champion_predictions}`: the gate falls back to the
    /// served predictions and says so in the verdict, the card and the notice; one that does is
    /// compared on the holdout.
    @Test func aCommandTrainerWithoutChampionPredictionsGetsTheServedPredictionsCaveat() throws {
        let bed = try RegistryTestBed(promote: "manual")
        try bed.registerChampion()
        let (ws, store, opened) = try bed.open()
        var policy = opened
        let notices = NoticeLog()
        let job = RetrainJob(store: store, workspaceRoot: bed.root, registry: try ws.modelRegistry(store: store), clock: bed.clock, actor: "tester",
                             notify: { notices.append($0) })
        let trainer = "python3 \(bed.root)/trainer.py {train} {holdout} {out} {model} better classification"

        policy.retraining?.command = trainer
        let served = try #require(try job.run(policy: policy, jobID: job.enqueue(policy: policy, trigger: "manual").id))
        let verdict = try #require(served.verdict, "\(served.summary) \(served.job.log ?? "")")
        #expect(verdict.championBasis == .servedPredictions)
        #expect(verdict.summary.contains("not with v1 run on them"), "\(verdict.summary)")
        #expect(verdict.checks.contains { $0.rule == "champion-basis" && $0.passed && $0.message.contains("{champion_predictions}") })
        let stored = ModelCard.decode(try #require(try store.modelVersion(model: bed.model, version: 2)).card, classes: [])
        #expect(stored.comparison?.hasPrefix("Caveat: compared with the predictions served in production") == true, "\(stored.comparison ?? "none")")
        #expect(stored.championMetrics?["macro_f1"] == verdict.championValue && stored.metrics["macro_f1"] == verdict.candidateValue)
        let gateNotice = try #require(notices.all.first { $0.topic == "gate.verdict" })
        #expect(gateNotice.message.contains("served in production"), "\(gateNotice.message)")
        #expect(served.job.log?.contains("gate: Caveat") == true)

        // The same trainer, writing {champion_predictions} (here: the champion predicts as the candidate does).
        policy.retraining?.command = trainer + " && cp {out}/predictions.ndjson {champion_predictions}"
        let ran = try #require(try job.run(policy: policy, jobID: job.enqueue(policy: policy, trigger: "manual").id))
        let fair = try #require(ran.verdict, "\(ran.summary) \(ran.job.log ?? "")")
        #expect(fair.championBasis == .holdoutRun)
        #expect(fair.championValue == fair.candidateValue && fair.improvement == 0)
        #expect(!fair.summary.contains("Caveat"))
    }
}

/// Notices a test's notifier received.
final class NoticeLog: @unchecked Sendable {
    private let lock = NSLock()
    private var notices: [Notice] = []

    func append(_ notice: Notice) {
        lock.lock()
        defer { lock.unlock() }
        notices.append(notice)
    }

    var all: [Notice] {
        lock.lock()
        defer { lock.unlock() }
        return notices
    }
}
