import Foundation
import VigilCore
import VigilRegistry
import VigilStore

/// What `vigil registry gate` and `register` do, kept out of the thin command line.
public enum RegistryCommands {
    /// Recomputes the gate verdict of `version` from its job's files against the current
    /// champion, stores it and notifies it. The champion's side is its run on the holdout when
    /// the job ran that same champion, otherwise the served predictions (with the caveat).
    public static func gate(ws: Workspace, store: any Store, clock: any VigilClock, policy: Policy, version: Int, actor: String) throws -> GateVerdict {
        let registry = try ws.modelRegistry(store: store)
        guard let v = try registry.version(model: policy.model, version: version) else {
            throw RegistryError(.notFound, "\(policy.model) has no version \(version): see `vigil registry list --model \(policy.model)`")
        }
        guard let folder = RetrainJob.lineageField(v.lineage, "job_folder") else {
            throw RegistryError("\(policy.model) v\(version) was not produced by a retraining job, so it has no holdout to be judged on; promote it with --override --reason \"…\" or retrain")
        }
        // The champion's run on the holdout counts only while that champion is still the one.
        let champion = try registry.alias("champion", model: policy.model)
        let ranChampion = champion != nil && champion == v.parentVersion
        let holdout = try HoldoutFiles.load(directory: folder, candidatePredictions: folder + "/out/predictions.ndjson",
                                            championHoldoutPredictions: ranChampion ? TrainingRequest.championPredictionsPath(outputDirectory: folder + "/out") : nil,
                                            schema: policy.schema)
        let jobClasses = (FileManager.default.contents(atPath: folder + "/classes.json")
            .flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String] }) ?? policy.classes
        let now = Timestamp.millis(clock.now)
        let verdict = Gate(settings: policy.gate, task: policy.task, classes: policy.classes).judge(
            holdout.holdout, model: policy.model, candidate: version, champion: champion,
            artifact: ArtifactEvidence(recordedSHA256: v.artifactSHA256, currentSHA256: ArtifactStore.sha256(file: v.artifactPath),
                                       jobClasses: jobClasses, versionClasses: v.classes),
            championBasis: holdout.championBasis, now: now)
        try ws.promotion(store: store, policy: policy, clock: clock, actor: actor).record(verdict, now: now)
        return verdict
    }

    /// Registers an artifact trained elsewhere; with `champion`, sets it as the first champion.
    public static func register(ws: Workspace, store: any Store, clock: any VigilClock, policy: Policy, artifact: String, trainingData: String?,
                                champion: Bool, actor: String) throws -> (ModelVersion, Bool) {
        let registry = try ws.modelRegistry(store: store)
        let now = Timestamp.millis(clock.now)
        let stored = try ws.artifactStore.put(file: artifact)
        var lineage: [String: String] = ["source": "registered by hand"]
        var fingerprint: String?
        if let trainingData {
            let path = ws.path(trainingData)
            guard let hash = ArtifactStore.sha256(file: path) else { throw RegistryError(.invalidRequest, "--training-data: cannot read \(path)") }
            lineage["training_data"] = URL(fileURLWithPath: path).standardizedFileURL.path
            fingerprint = hash
        }
        let version = try registry.register(ModelVersionDraft(model: policy.model, artifactSHA256: stored.sha256, artifactPath: stored.path,
                                                              classes: policy.classes, dataFingerprint: fingerprint, lineage: JSONText.object(lineage),
                                                              card: ModelCard(classes: policy.classes, data: .init(fingerprint: fingerprint, source: trainingData)).json),
                                            actor: actor, now: now)
        guard champion else { return (version, false) }
        if let current = try registry.alias("champion", model: policy.model) {
            throw RegistryError("\(policy.model) already has a champion (v\(current)); v\(version.version) is registered as a candidate: gate and promote it instead of --champion")
        }
        _ = try registry.moveAlias(AliasMoveRequest(model: policy.model, alias: "champion", version: version.version, expected: nil, kind: .set,
                                                    actor: actor, now: now, reason: "first champion, registered by hand"))
        return (version, true)
    }
}
