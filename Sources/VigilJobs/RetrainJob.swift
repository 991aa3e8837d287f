import Foundation
import VigilAlerts
import VigilCore
import VigilRegistry
import VigilStore

/// Retraining: queues jobs (by the policy's trigger or by hand), runs them under a lease —
/// export, train, register the candidate, gate it against the champion (run on the same
/// holdout when the trainer wrote `{champion_predictions}`; see ``HoldoutFiles``), promote it
/// when the policy says `promote: auto` — and fails jobs whose process died.
///
/// A job's states are `queued → running → succeeded | failed | cancelled`. While it runs, its
/// row holds a lease (``leaseMillis``) that the running process renews; when the process dies
/// the lease passes, and the next `retrain-check` marks the attempt failed and queues the job
/// again while it has attempts left (`retraining.max_attempts`, default 2: one retry).
///
/// ```swift
/// let job = RetrainJob(store: store, workspaceRoot: ws.root, registry: EmbeddedRegistry(store: store), clock: clock, actor: "cli")
/// let queued = try job.enqueue(policy: policy, trigger: "manual")
/// let outcome = try job.run(policy: policy, jobID: queued.id)
/// ```
public struct RetrainJob: Sendable {
    public let store: any Store
    public let workspaceRoot: String
    public let registry: any ModelRegistry
    public let clock: any VigilClock
    public let actor: String
    public let notify: (@Sendable (Notice) throws -> Void)?
    /// How long a running job's lease lasts without renewal (renewed every third of it).
    public let leaseMillis: Int64
    /// Chooses the trainer for a policy (by default ``Trainers/make(policy:workspaceRoot:)``;
    /// tests plug in here).
    public let trainer: @Sendable (Policy) throws -> any Trainer

    public init(store: any Store, workspaceRoot: String, registry: any ModelRegistry, clock: any VigilClock, actor: String,
                notify: (@Sendable (Notice) throws -> Void)? = nil, leaseMillis: Int64 = 180_000,
                trainer: (@Sendable (Policy) throws -> any Trainer)? = nil) {
        self.store = store
        self.workspaceRoot = workspaceRoot
        self.registry = registry
        self.clock = clock
        self.actor = actor
        self.notify = notify
        self.leaseMillis = leaseMillis
        self.trainer = trainer ?? { try Trainers.make(policy: $0, workspaceRoot: workspaceRoot) }
    }

    var now: Int64 { Timestamp.millis(clock.now) }

    /// What a run did.
    public struct Outcome: Sendable {
        public var job: RetrainJobRecord
        public var candidate: ModelVersion?
        public var verdict: GateVerdict?
        public var promotion: AliasMove?
        /// Why an automatic promotion did not happen, when it was due.
        public var promotionError: String?

        public var summary: String {
            var s = "retrain job \(job.id) \(job.state.rawValue)"
            if let candidate { s += ": candidate v\(candidate.version)" }
            if let verdict { s += "; gate " + verdict.summary }
            if let promotion { s += "; promoted to champion (was \(promotion.fromVersion.map { "v\($0)" } ?? "none"))" }
            if let promotionError { s += "; not promoted: \(promotionError)" }
            if let error = job.error, job.state != .succeeded { s += ": \(error)" }
            return s
        }
    }

    /// Queues a job for `policy`'s model (`trigger`: `manual` or `policy`; `cause`: JSON).
    public func enqueue(policy: Policy, trigger: String, cause: String = "{}", trainerName: String? = nil) throws -> RetrainJobRecord {
        let settings = policy.retraining ?? RetrainingSettings()
        let job = try store.createRetrainJob(RetrainJobDraft(model: policy.model, trigger: trigger, trainer: trainerName ?? settings.trainer.rawValue,
                                                             cause: cause, maxAttempts: settings.maxAttempts), now: now, actor: actor)
        try notify?(Notice(model: policy.model, topic: "retrain.queued", severity: .ok,
                           message: "retraining job \(job.id) for \(policy.model) queued (\(trigger))"))
        return job
    }

    /// Claims the oldest queued job of `policy`'s model (or `jobID`) and runs it; `nil` when none is queued.
    public func run(policy: Policy, jobID: Int64? = nil) throws -> Outcome? {
        guard let job = try store.claimRetrainJob(model: policy.model, id: jobID, owner: actor, pid: ProcessInfo.processInfo.processIdentifier,
                                                  now: now, leaseMillis: leaseMillis) else { return nil }
        let folder = "\(workspaceRoot)/.vigil/jobs/\(job.id)/attempt-\(job.attempts)"
        let logFile = folder + "/log.txt"
        var outcome = Outcome(job: job)
        do {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            _ = FileManager.default.createFile(atPath: logFile, contents: Data("job \(job.id) attempt \(job.attempts) by \(actor)\n".utf8))
            outcome = try train(job: job, policy: policy, folder: folder, logFile: logFile)
            try store.finishRetrainJob(id: job.id, state: .succeeded, now: now, error: nil, log: Self.readLog(logFile),
                                       candidateVersion: outcome.candidate?.version)
        } catch {
            let cancelled = (try? store.retrainJob(id: job.id))??.state == .cancelled
            if !cancelled {
                try store.finishRetrainJob(id: job.id, state: .failed, now: now, error: "\(error)", log: Self.readLog(logFile),
                                           candidateVersion: outcome.candidate?.version)
                try notify?(Notice(model: policy.model, topic: "retrain.failed", severity: .warning,
                                   message: "retraining job \(job.id) for \(policy.model) failed: \(error)"))
            }
        }
        if let updated = try store.retrainJob(id: job.id) { outcome.job = updated }
        return outcome
    }

    static func readLog(_ path: String) -> String? {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return nil }
        return text.count > 64_000 ? "…" + String(text.suffix(64_000)) : text
    }

    func train(job: RetrainJobRecord, policy: Policy, folder: String, logFile: String) throws -> Outcome {
        let trainer = try self.trainer(policy)
        let settings = policy.retraining ?? RetrainingSettings()
        let championNumber = try registry.alias("champion", model: policy.model)
        let champion = try championNumber.flatMap { try registry.version(model: policy.model, version: $0) }
        let parentData = champion.flatMap { Self.lineageField($0.lineage, "training_data") }
        let export = try RetrainExport.write(store: store, policy: policy, directory: folder, parentTrainingSet: parentData, now: now)
        let heartbeat = Heartbeat(store: store, job: job.id, owner: actor, clock: clock, leaseMillis: leaseMillis)
        let request = TrainingRequest(model: policy.model, task: policy.task, classes: policy.classes, trainingSet: export.trainingSet,
                                      holdout: export.holdout, outputDirectory: folder + "/out", parentArtifact: champion?.artifactPath,
                                      timeoutMillis: settings.timeoutMillis, logFile: logFile, shouldStop: { heartbeat.beat() })
        try trainer.train(request)
        // What the job produced: the artifact's hash, and the class list it predicts.
        let stored = try ArtifactStore(root: workspaceRoot + "/.vigil/artifacts").put(file: request.artifactPath)
        var producedClasses = policy.classes
        if let data = FileManager.default.contents(atPath: request.classesPath) {
            guard let list = try? JSONSerialization.jsonObject(with: data) as? [String] else {
                throw JobError("\(request.classesPath): must be a JSON array of class names")
            }
            producedClasses = list
        }
        let holdout = try HoldoutFiles.load(directory: folder, candidatePredictions: request.predictionsPath,
                                            championHoldoutPredictions: champion == nil ? nil : request.championPredictionsPath, schema: policy.schema)
        if champion != nil { JobLog(path: logFile).line("gate: " + holdout.championBasis.sentence(champion: champion?.version)) }
        var cause: [String: Any] = (try? JSONSerialization.jsonObject(with: Data(job.cause.utf8)) as? [String: Any]) ?? [:]
        cause["training_data"] = export.trainingSet
        cause["job_folder"] = folder
        cause["job"] = job.id
        cause["trainer"] = trainer.name
        let lineage = String(decoding: try JSONSerialization.data(withJSONObject: cause, options: [.sortedKeys, .withoutEscapingSlashes]), as: UTF8.self)
        let card = ModelCard(classes: producedClasses,
                             data: .init(trainingItems: export.trainingItems, holdoutItems: export.holdoutItems, goldItems: export.goldItems,
                                         fingerprint: export.fingerprint, source: parentData.map { "\($0) + reviewed labels" } ?? "reviewed labels"),
                             trainer: trainer.name)
        let version = try registry.register(ModelVersionDraft(model: policy.model, artifactSHA256: stored.sha256, artifactPath: stored.path,
                                                              classes: producedClasses, parentVersion: champion?.version, jobID: job.id,
                                                              dataFingerprint: export.fingerprint, lineage: lineage, card: card.json),
                                            actor: actor, now: now)
        var outcome = Outcome(job: job, candidate: version)
        let verdict = Gate(settings: policy.gate, task: policy.task, classes: policy.classes).judge(
            holdout.holdout, model: policy.model, candidate: version.version, champion: champion?.version,
            artifact: ArtifactEvidence(recordedSHA256: stored.sha256, currentSHA256: ArtifactStore.sha256(file: stored.path),
                                       jobClasses: policy.classes, versionClasses: producedClasses),
            championBasis: holdout.championBasis, now: now)
        outcome.verdict = verdict
        let promotion = Promotion(registry: registry, notify: notify, actor: actor,
                                  newBaseline: BaselineWindow.atNewChampion(store: store, policy: policy, actor: actor))
        try promotion.record(verdict, now: now)
        if verdict.passed && policy.gate.promote == .auto {
            do { outcome.promotion = try promotion.promote(model: policy.model, version: version.version, now: now) } catch {
                outcome.promotionError = "\(error)"
            }
        }
        return outcome
    }

    /// A string field of a lineage JSON object.
    public static func lineageField(_ json: String, _ key: String) -> String? {
        (try? JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])?[key] as? String
    }

    /// The scheduled `retrain-check`: fails jobs whose lease expired (queuing a retry when
    /// attempts remain), queues a job when the policy's trigger holds, then runs the model's
    /// queued jobs. Returns a one-line summary.
    public func check(policy: Policy) throws -> String {
        var parts: [String] = []
        for expired in try store.expireRetrainLeases(now: now) {
            parts.append("job \(expired.id) lease expired (attempt \(expired.attempts)/\(expired.maxAttempts)) → \(expired.state.rawValue)")
            try notify?(Notice(model: expired.model, topic: "retrain.failed", severity: .warning,
                               message: "retraining job \(expired.id) for \(expired.model): \(expired.error ?? "lease expired")"
                                   + (expired.state == .queued ? "; retrying" : "; no attempts left")))
        }
        if policy.retraining != nil, let cause = try triggerCause(policy: policy) {
            let job = try enqueue(policy: policy, trigger: "policy", cause: cause)
            parts.append("queued job \(job.id)")
        }
        while let outcome = try run(policy: policy) { parts.append(outcome.summary) }
        return parts.isEmpty ? "nothing to do" : parts.joined(separator: "; ")
    }

    /// The JSON cause when `policy`'s trigger holds now, or `nil`.
    func triggerCause(policy: Policy) throws -> String? {
        guard let settings = policy.retraining else { return nil }
        let jobs = try store.retrainJobs(model: policy.model, limit: 50)
        if jobs.contains(where: { $0.state == .queued || $0.state == .running }) { return nil }
        if let last = jobs.first, last.createdAt + settings.trigger.cooldownMillis > now { return nil }
        guard let evaluation = try store.latestEvaluation(model: policy.model) else { return nil }
        let severe = evaluation.findings.filter { (Severity(rawValue: $0.severity) ?? .ok) >= settings.trigger.severity }
        guard !severe.isEmpty else { return nil }
        let champion = try registry.alias("champion", model: policy.model).flatMap { try registry.version(model: policy.model, version: $0) }
        let since = max(jobs.first?.createdAt ?? 0, champion?.createdAt ?? 0)
        let labels = try store.labelCount(model: policy.model, since: since)
        guard labels >= settings.trigger.minNewLabels else { return nil }
        let object: [String: Any] = ["evaluation_run": evaluation.runID, "findings": severe.map(\.rule), "new_labels": labels]
        return String(decoding: try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]), as: UTF8.self)
    }
}

/// Renews a running job's lease while its trainer runs, and notices a cancellation.
final class Heartbeat: @unchecked Sendable {
    let store: any Store
    let job: Int64
    let owner: String
    let clock: any VigilClock
    let leaseMillis: Int64
    private let lock = NSLock()
    private var last = Date()
    private var cancelled = false

    init(store: any Store, job: Int64, owner: String, clock: any VigilClock, leaseMillis: Int64) {
        self.store = store
        self.job = job
        self.owner = owner
        self.clock = clock
        self.leaseMillis = leaseMillis
    }

    /// Called often; renews at most every third of the lease (wall time) and every 2 s checks
    /// for cancellation. Returns true when the job was cancelled.
    func beat() -> Bool {
        lock.lock()
        defer { lock.unlock() }
        let elapsed = Date().timeIntervalSince(last)
        guard elapsed >= min(2, Double(leaseMillis) / 3000) else { return cancelled }
        last = Date()
        try? store.renewRetrainJob(id: job, owner: owner, now: Timestamp.millis(clock.now), leaseMillis: leaseMillis)
        cancelled = ((try? store.retrainJob(id: job))??.state == .cancelled)
        return cancelled
    }
}
