import Foundation
import VigilCore
import VigilStore

/// A notification that does not come from alert state: a test message, and (from later issues)
/// retraining started/finished, gate verdicts and promotions. It goes through the same
/// templates, outbox and deliverer as alerts, shown as one alert-like entry.
///
/// ```swift
/// let notice = Notice(model: "shelf-classifier", topic: "retrain.finished", severity: .ok,
///                     message: "candidate v7 trained in 12 min", runID: nil)
/// try Notices(store: store, setup: setup, clock: clock).enqueue(notice, to: ["team-slack"])
/// ```
public struct Notice: Sendable {
    public var model: String
    /// Dotted kind, e.g. `test`, `retrain.started`, `gate.verdict`, `registry.promoted`.
    public var topic: String
    /// `ok` for information, `warning` or `critical` when someone should act.
    public var severity: Severity
    public var message: String
    public var runID: Int64?

    public init(model: String, topic: String, severity: Severity, message: String, runID: Int64? = nil) {
        self.model = model
        self.topic = topic
        self.severity = severity
        self.message = message
        self.runID = runID
    }
}

/// Renders notices and writes them to the outbox, with an event each.
public struct Notices: Sendable {
    let store: any Store
    let setup: AlertSetup
    let clock: any VigilClock
    let actor: String

    public init(store: any Store, setup: AlertSetup, clock: any VigilClock, actor: String = "cli") {
        self.store = store
        self.setup = setup
        self.clock = clock
        self.actor = actor
    }

    /// Queues `notice` for each receiver in `receiverNames`; returns the notification ids.
    /// The same notice at the same instant gets the same id (queued once) unless `nonce` differs.
    @discardableResult
    public func enqueue(_ notice: Notice, to receiverNames: [String], nonce: String = "") throws -> [String] {
        let rows = try receiverNames.map { try render(notice, for: $0, nonce: nonce) }
        let events = rows.map { row in
            Event(ts: row.createdAt, actor: actor, kind: "alert.notification.queued", model: notice.model, subject: "notification/\(row.id)",
                  details: JSONText.object(["receiver": row.receiver, "topic": notice.topic]))
        }
        try store.enqueue(rows, events: events)
        return rows.map(\.id)
    }

    /// `notice` rendered for the receiver `name`, as the outbox would hold it.
    public func render(_ notice: Notice, for name: String, nonce: String = "") throws -> OutboxNotification {
        let now = Timestamp.millis(clock.now)
        let receiver = try setup.receiver(name)
        let alert = AlertRecord(fingerprint: AlertPlanner.fingerprint(model: notice.model, rule: notice.topic, className: nil), model: notice.model,
                                rule: notice.topic, metric: notice.topic, className: nil, severity: notice.severity, state: .firing,
                                startsAt: now, updatedAt: now, runID: notice.runID, window: nil, value: nil, threshold: nil, evidence: 0,
                                message: notice.message)
        let id = AlertNotification.id([name, notice.model, notice.topic, String(now), notice.message, nonce])
        let n = AlertNotification(id: id, receiver: receiver, topic: notice.topic, model: notice.model, alerts: [alert], runID: notice.runID,
                                  window: nil, createdAt: now, links: setup.links)
        return OutboxNotification(id: id, receiver: name, model: notice.model, topic: notice.topic,
                                  body: try setup.templates.render(n.context(), for: receiver), createdAt: now)
    }

    /// The sample notice `vigil alerts test` sends to `receiver`.
    public static func testNotice(receiver: String) -> Notice {
        Notice(model: "vigil-test", topic: "test", severity: .warning,
               message: "A test from Vigil: if you can read this, receiver '\(receiver)' works.")
    }

    /// Queues a sample notification for `receiver` (`vigil alerts test`).
    public func test(receiver: String) throws -> String {
        try enqueue(Self.testNotice(receiver: receiver), to: [receiver], nonce: UUID().uuidString)[0]
    }
}
