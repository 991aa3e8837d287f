import Foundation

/// A version's lifecycle state.
public enum VersionState: String, Sendable, Codable, CaseIterable {
    case candidate, promoted, rejected, archived
}

/// A model version to register.
public struct ModelVersionDraft: Sendable, Equatable {
    public var model: String
    /// SHA-256 of the artifact (hex) and where its content-addressed copy lives.
    public var artifactSHA256: String
    public var artifactPath: String
    public var classes: [String]
    public var parentVersion: Int?
    public var jobID: Int64?
    /// The training-data fingerprint: SHA-256 of the exported training set.
    public var dataFingerprint: String?
    /// Lineage details as a JSON object (findings that caused the job, training data URI…).
    public var lineage: String
    /// The model card as a JSON object.
    public var card: String

    public init(model: String, artifactSHA256: String, artifactPath: String, classes: [String], parentVersion: Int? = nil, jobID: Int64? = nil,
                dataFingerprint: String? = nil, lineage: String = "{}", card: String = "{}") {
        self.model = model
        self.artifactSHA256 = artifactSHA256
        self.artifactPath = artifactPath
        self.classes = classes
        self.parentVersion = parentVersion
        self.jobID = jobID
        self.dataFingerprint = dataFingerprint
        self.lineage = lineage
        self.card = card
    }
}

/// A registered model version.
public struct ModelVersion: Sendable, Equatable, Codable {
    public var model: String
    public var version: Int
    public var state: VersionState
    public var artifactSHA256: String
    public var artifactPath: String
    public var classes: [String]
    public var parentVersion: Int?
    public var jobID: Int64?
    public var dataFingerprint: String?
    public var lineage: String
    public var card: String
    public var createdAt: Int64
    public var createdBy: String

    enum CodingKeys: String, CodingKey {
        case model, version, state, classes, lineage, card
        case artifactSHA256 = "artifact_sha256"
        case artifactPath = "artifact_path"
        case parentVersion = "parent_version"
        case jobID = "job_id"
        case dataFingerprint = "data_fingerprint"
        case createdAt = "created_at"
        case createdBy = "created_by"
    }

    public init(model: String, version: Int, state: VersionState, artifactSHA256: String, artifactPath: String, classes: [String],
                parentVersion: Int?, jobID: Int64?, dataFingerprint: String?, lineage: String, card: String, createdAt: Int64, createdBy: String) {
        self.model = model
        self.version = version
        self.state = state
        self.artifactSHA256 = artifactSHA256
        self.artifactPath = artifactPath
        self.classes = classes
        self.parentVersion = parentVersion
        self.jobID = jobID
        self.dataFingerprint = dataFingerprint
        self.lineage = lineage
        self.card = card
        self.createdAt = createdAt
        self.createdBy = createdBy
    }
}

/// What kind of alias move.
public enum AliasMoveKind: String, Sendable, Codable {
    /// Through a passing gate verdict.
    case promote
    /// Through a failing (or missing) verdict, with a reason: recorded as such.
    case override
    /// Back to the version the alias pointed to before.
    case rollback
    /// Setting an alias that no gate governs (the first champion, `challenger`).
    case set
}

/// A request to point `alias` of `model` at `version`.
public struct AliasMoveRequest: Sendable {
    public var model: String
    public var alias: String
    public var version: Int
    /// The version the alias must still point to (`nil`: it must be unset); `.some(nil)`-free:
    /// pass `checkExpected: false` to move unconditionally.
    public var expected: Int?
    public var checkExpected: Bool
    public var kind: AliasMoveKind
    public var actor: String
    public var now: Int64
    /// The gate verdict behind the move, as JSON (`null` when none).
    public var verdict: String?
    public var reason: String?

    public init(model: String, alias: String, version: Int, expected: Int?, checkExpected: Bool = true, kind: AliasMoveKind, actor: String,
                now: Int64, verdict: String? = nil, reason: String? = nil) {
        self.model = model
        self.alias = alias
        self.version = version
        self.expected = expected
        self.checkExpected = checkExpected
        self.kind = kind
        self.actor = actor
        self.now = now
        self.verdict = verdict
        self.reason = reason
    }
}

/// One alias move, as `vigil registry history` shows it.
public struct AliasMove: Sendable, Equatable, Codable {
    public var id: Int64
    public var model: String
    public var alias: String
    public var fromVersion: Int?
    public var toVersion: Int
    public var kind: AliasMoveKind
    public var actor: String
    public var ts: Int64
    public var verdict: String?
    public var reason: String?

    enum CodingKeys: String, CodingKey {
        case id, model, alias, kind, actor, ts, verdict, reason
        case fromVersion = "from_version"
        case toVersion = "to_version"
    }

    public init(id: Int64, model: String, alias: String, fromVersion: Int?, toVersion: Int, kind: AliasMoveKind, actor: String, ts: Int64,
                verdict: String?, reason: String?) {
        self.id = id
        self.model = model
        self.alias = alias
        self.fromVersion = fromVersion
        self.toVersion = toVersion
        self.kind = kind
        self.actor = actor
        self.ts = ts
        self.verdict = verdict
        self.reason = reason
    }
}

/// An alias did not point where the caller expected: someone else moved it first.
public struct RegistryConflict: Error, CustomStringConvertible, Sendable {
    public var model: String
    public var alias: String
    public var expected: Int?
    public var actual: Int?
    public init(model: String, alias: String, expected: Int?, actual: Int?) {
        self.model = model
        self.alias = alias
        self.expected = expected
        self.actual = actual
    }
    public var description: String {
        "\(model): alias '\(alias)' points to \(actual.map { "v\($0)" } ?? "no version"), not \(expected.map { "v\($0)" } ?? "no version") as the gate verdict assumed: another promotion or rollback came first. Run `vigil registry gate` again against the current champion."
    }
}

/// A retraining job's state: queued → running → succeeded | failed | cancelled.
public enum RetrainJobState: String, Sendable, Codable, CaseIterable {
    case queued, running, succeeded, failed, cancelled
}

/// A retraining job to queue.
public struct RetrainJobDraft: Sendable {
    public var model: String
    /// `policy` (the retrain-check trigger) or `manual` (`vigil retrain`).
    public var trigger: String
    public var trainer: String
    /// The evaluation run and findings that caused it, as JSON.
    public var cause: String
    public var maxAttempts: Int
    public init(model: String, trigger: String, trainer: String, cause: String = "{}", maxAttempts: Int = 2) {
        self.model = model
        self.trigger = trigger
        self.trainer = trainer
        self.cause = cause
        self.maxAttempts = maxAttempts
    }
}

/// A retraining job.
public struct RetrainJobRecord: Sendable, Equatable, Codable {
    public var id: Int64
    public var model: String
    public var state: RetrainJobState
    public var trigger: String
    public var trainer: String
    public var cause: String
    public var attempts: Int
    public var maxAttempts: Int
    public var owner: String?
    public var pid: Int32?
    public var leaseUntil: Int64?
    public var createdAt: Int64
    public var startedAt: Int64?
    public var finishedAt: Int64?
    public var error: String?
    public var log: String?
    public var candidateVersion: Int?

    public init(id: Int64, model: String, state: RetrainJobState, trigger: String, trainer: String, cause: String, attempts: Int, maxAttempts: Int,
                owner: String?, pid: Int32?, leaseUntil: Int64?, createdAt: Int64, startedAt: Int64?, finishedAt: Int64?, error: String?, log: String?,
                candidateVersion: Int?) {
        self.id = id
        self.model = model
        self.state = state
        self.trigger = trigger
        self.trainer = trainer
        self.cause = cause
        self.attempts = attempts
        self.maxAttempts = maxAttempts
        self.owner = owner
        self.pid = pid
        self.leaseUntil = leaseUntil
        self.createdAt = createdAt
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.error = error
        self.log = log
        self.candidateVersion = candidateVersion
    }

    enum CodingKeys: String, CodingKey {
        case id, model, state, trigger, trainer, cause, attempts, owner, pid, error, log
        case maxAttempts = "max_attempts"
        case leaseUntil = "lease_until"
        case createdAt = "created_at"
        case startedAt = "started_at"
        case finishedAt = "finished_at"
        case candidateVersion = "candidate_version"
    }
}

/// A reviewed prediction: what the production model said and what the reviewer (or an
/// import) says is true.
public struct ReviewedPrediction: Sendable {
    public var id: String
    public var ts: Int64
    /// The stored payload JSON (`input`, `scores`, `boxes`).
    public var payload: String
    public var predictedIndex: Int?
    public var score: Double?
    public var labelIndex: Int?
    /// Ground-truth boxes JSON for detectors.
    public var boxes: String?
    /// True for gold items of the review queue (kept for holdouts).
    public var isGold: Bool
    /// When the label was given.
    public var labeledAt: Int64

    public init(id: String, ts: Int64, payload: String, predictedIndex: Int?, score: Double?, labelIndex: Int?, boxes: String?, isGold: Bool, labeledAt: Int64) {
        self.id = id
        self.ts = ts
        self.payload = payload
        self.predictedIndex = predictedIndex
        self.score = score
        self.labelIndex = labelIndex
        self.boxes = boxes
        self.isGold = isGold
        self.labeledAt = labeledAt
    }
}
