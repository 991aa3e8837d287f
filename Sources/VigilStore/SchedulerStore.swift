import Foundation
import VigilCore

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

