import Foundation
import VigilCore

/// The alert and outbox operations of a store: alert state, what each receiver was last told,
/// silences, and the outbox that notifications wait in until a deliverer sends them.
///
/// Everything is backend-neutral: times are milliseconds since the epoch, claims on outbox rows
/// carry a lease (owner + expiry) so two deliverers never send the same row at once.
///
/// ```swift
/// let runID = try store.recordEvaluation(run) { runID, book in planner.plan(book, findings: run.findings, runID: runID) }
/// let due = try store.claimOutbox(now: now, owner: "deliverer-1", leaseMillis: 60_000, perReceiverLimit: 50)
/// ```
public protocol AlertStore: Sendable {
    /// Stores an evaluation run as ``Store/recordEvaluation(_:)`` does and, in the same
    /// transaction, applies what `alerting` decides from the model's alert book.
    func recordEvaluation(_ run: EvaluationRunRecord, alerting: (_ runID: Int64, _ book: AlertBook) throws -> AlertChanges) throws -> Int64

    /// Applies what `plan` decides from the alert book of `model` at `now`, atomically.
    func updateAlerts(model: String, now: Int64, _ plan: (AlertBook) throws -> AlertChanges) throws

    /// Stored alerts, of one model or all, firing first.
    func alerts(model: String?) throws -> [AlertRecord]

    /// Stores a silence and an event; returns its id.
    func addSilence(_ silence: Silence) throws -> Int64

    /// Silences still in force at `now` (all silences when `now` is nil), newest first.
    func silences(activeAt now: Int64?) throws -> [Silence]

    /// Ends silence `id` at `now`: one in force, or one scheduled to start later, which then never
    /// takes effect (a cancelled maintenance window); false when there is no such silence or it has ended.
    func endSilence(id: Int64, now: Int64, actor: String) throws -> Bool

    /// Writes notifications to the outbox with their events (for notifications that do not come
    /// from alert state: tests, retraining, gates, promotions).
    func enqueue(_ notifications: [OutboxNotification], events: [Event]) throws

    /// Claims due pending rows at `now`: per receiver, the oldest rows in order, only when the
    /// receiver's oldest pending row is due and none of its rows is leased by someone else.
    func claimOutbox(now: Int64, owner: String, leaseMillis: Int64, perReceiverLimit: Int) throws -> [OutboxRow]

    /// Records delivery outcomes (one attempt each, with an event) and releases the leases.
    func recordDeliveries(_ outcomes: [DeliveryOutcome], owner: String) throws

    /// Extends `owner`'s leases on `receiver`'s pending rows to `until`, while it still sends them.
    func renewLeases(receiver: String, owner: String, until: Int64) throws

    /// Gives back claimed rows that were not attempted.
    func releaseOutbox(seqs: [Int64], owner: String) throws

    /// Outbox rows in `states`, oldest first, at most `limit`.
    func outbox(states: [OutboxState], limit: Int) throws -> [OutboxRow]

    /// Puts dead rows (by notification id, or all when `ids` is nil) back to pending, due at `now`.
    func retryDead(ids: [String]?, now: Int64, actor: String) throws -> Int
}

