import Foundation

/// One schedule slot: a model's job at one scheduled instant.
public struct JobSlot: Sendable, Hashable, Codable {
    public var model: String
    public var job: String
    /// The scheduled instant, ms since the epoch.
    public var slot: Int64
    public init(model: String, job: String, slot: Int64) {
        self.model = model
        self.job = job
        self.slot = slot
    }
}

/// How a job run ended (or that it has not).
public enum JobRunStatus: String, Sendable, Codable, CaseIterable {
    case running, succeeded, failed
    /// The job kind has no runner in this build (recorded so that it is visible, not faked).
    case unavailable
}

/// The record of one job run.
public struct JobRun: Sendable, Equatable, Codable {
    public var id: Int64
    public var slot: JobSlot
    public var owner: String
    public var startedAt: Int64
    public var finishedAt: Int64?
    public var status: JobRunStatus
    public var attempts: Int
    public var error: String?
    public var output: String?

    enum CodingKeys: String, CodingKey {
        case id, slot, owner, status, attempts, error, output
        case startedAt = "started_at"
        case finishedAt = "finished_at"
    }

    public init(id: Int64, slot: JobSlot, owner: String, startedAt: Int64, finishedAt: Int64?, status: JobRunStatus,
                attempts: Int, error: String?, output: String?) {
        self.id = id
        self.slot = slot
        self.owner = owner
        self.startedAt = startedAt
        self.finishedAt = finishedAt
        self.status = status
        self.attempts = attempts
        self.error = error
        self.output = output
    }
}
