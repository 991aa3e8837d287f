import Foundation
import VigilCore

/// The registry's and the retraining jobs' part of the store: model versions, aliases with
/// the history of every move, and retraining jobs under a lease.
///
/// An alias move is one `BEGIN IMMEDIATE` transaction that checks the alias still points where
/// the caller's gate verdict saw it (``AliasMoveRequest/expected``): of two promotions racing
/// from the same champion exactly one wins, the other gets ``RegistryConflict``.
public protocol RegistryStore {
    /// Stores a new version of `draft.model` (numbered 1, 2, … per model) as a `candidate`.
    func registerVersion(_ draft: ModelVersionDraft, now: Int64, actor: String) throws -> ModelVersion

    /// Every version of `model`, oldest first.
    func modelVersions(model: String) throws -> [ModelVersion]

    /// One version, or `nil`.
    func modelVersion(model: String, version: Int) throws -> ModelVersion?

    /// Replaces a version's model card (JSON) and, when given, its state; logs an event.
    func updateVersion(model: String, version: Int, state: VersionState?, card: String, now: Int64, actor: String) throws

    /// The aliases of `model`: name → version.
    func aliases(model: String) throws -> [String: Int]

    /// Moves (or sets) an alias atomically, records the move, and updates version states
    /// (the new champion `promoted`, the one it replaces `archived`).
    func moveAlias(_ request: AliasMoveRequest) throws -> AliasMove

    /// Every alias move, newest first.
    func aliasHistory(model: String?, limit: Int) throws -> [AliasMove]

    /// Queues a retraining job.
    func createRetrainJob(_ draft: RetrainJobDraft, now: Int64, actor: String) throws -> RetrainJobRecord

    /// Takes the oldest queued job of `model` (or job `id`) for `owner` under a lease:
    /// `running`, `attempts + 1`. `nil` when there is none.
    func claimRetrainJob(model: String?, id: Int64?, owner: String, pid: Int32, now: Int64, leaseMillis: Int64) throws -> RetrainJobRecord?

    /// Extends the lease of a running job held by `owner`.
    func renewRetrainJob(id: Int64, owner: String, now: Int64, leaseMillis: Int64) throws

    /// Ends a job (`succeeded`, `failed` or `cancelled`) with its log, error and candidate version.
    func finishRetrainJob(id: Int64, state: RetrainJobState, now: Int64, error: String?, log: String?, candidateVersion: Int?) throws

    /// Marks running jobs whose lease passed as failed ("lease expired") and queues them again
    /// when they have attempts left; returns the jobs it touched (after the change).
    func expireRetrainLeases(now: Int64) throws -> [RetrainJobRecord]

    /// Jobs, newest first.
    func retrainJobs(model: String?, limit: Int) throws -> [RetrainJobRecord]

    /// One job, or `nil`.
    func retrainJob(id: Int64) throws -> RetrainJobRecord?

    /// Every reviewed prediction of `model`, oldest first: for training sets and holdouts.
    func forEachReviewedPrediction(model: String, _ body: (ReviewedPrediction) throws -> Void) throws

    /// Labels given to predictions of `model` after `since` (ms).
    func labelCount(model: String, since: Int64) throws -> Int

    /// The newest evaluation run of `model`: id, time, and its findings' (rule, severity).
    func latestEvaluation(model: String) throws -> (runID: Int64, createdAt: Int64, findings: [(rule: String, severity: String)])?
}

