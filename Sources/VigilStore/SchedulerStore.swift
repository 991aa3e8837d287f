import Foundation

/// The scheduler's part of the store: one row per schedule slot, claimed under a lease.
///
/// A slot is `(model, job, scheduled time)`. ``claimSlot(_:owner:now:leaseMillis:)`` inserts
/// the slot's row under a UNIQUE constraint, so of any number of ticks racing for a slot — in
/// one process, several, or on several machines sharing the store — exactly one gets it. The
/// row is also the record of the run (start, end, status, error, output summary).
/// A run whose owner died keeps its row `running` until the lease passes; then one later tick
/// may take it over (counted in `attempts`).
///
/// SQLite does this with `INSERT … ON CONFLICT DO NOTHING` and a conditional `UPDATE` inside
/// a `BEGIN IMMEDIATE` transaction; PostgreSQL would do the same with `INSERT … ON CONFLICT`
/// and `SELECT … FOR UPDATE SKIP LOCKED` for the takeover.
public protocol SchedulerStore {
    /// Claims `slot` for `owner`; returns the run's id, or `nil` when the slot is taken
    /// (running under a live lease, or finished).
    func claimSlot(_ slot: JobSlot, owner: String, now: Int64, leaseMillis: Int64) throws -> Int64?

    /// Records the end of run `id` (and an event `job.<status>` in the log).
    func finishJobRun(id: Int64, status: JobRunStatus, finishedAt: Int64, error: String?, output: String?) throws

    /// The newest job runs first, optionally for one model.
    func jobRuns(model: String?, limit: Int) throws -> [JobRun]

    /// Stored evaluation runs of `model` over exactly `window`: (run id, report JSON), oldest
    /// first — for backfills, which store a run again only when its report changed.
    func evaluationRuns(model: String, window: TimeWindow) throws -> [(id: Int64, report: String)]
}

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
