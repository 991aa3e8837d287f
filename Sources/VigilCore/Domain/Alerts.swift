import Foundation

/// Whether an alert's condition holds.
public enum AlertState: String, Sendable, Codable { case firing, resolved }

/// One alert: the state of one (model, rule, class) over time.
public struct AlertRecord: Sendable, Equatable, Codable {
    /// A stable hash of (model, rule, class).
    public var fingerprint: String
    public var model: String
    public var rule: String
    public var metric: String
    public var className: String?
    public var severity: Severity
    public var state: AlertState
    public var startsAt: Int64
    public var endsAt: Int64?
    public var updatedAt: Int64
    /// The evaluation run that last changed or confirmed it, and that run's window.
    public var runID: Int64?
    public var window: TimeWindow?
    public var value: Double?
    /// The threshold crossed (the critical one for critical alerts).
    public var threshold: Double?
    public var evidence: Int
    public var message: String
    /// A lower-severity finding of the same fingerprint that this alert suppressed, described.
    public var inhibited: String?
    /// Consecutive evaluations, up to now, whose evidence cleared this firing alert; it resolves
    /// when they reach the routing's `resolve_after` (flap damping). 0 when confirmed.
    public var clearRuns: Int

    public init(fingerprint: String, model: String, rule: String, metric: String, className: String?, severity: Severity,
                state: AlertState, startsAt: Int64, endsAt: Int64? = nil, updatedAt: Int64, runID: Int64?, window: TimeWindow?, value: Double?,
                threshold: Double?, evidence: Int, message: String, inhibited: String? = nil, clearRuns: Int = 0) {
        self.fingerprint = fingerprint
        self.model = model
        self.rule = rule
        self.metric = metric
        self.className = className
        self.severity = severity
        self.state = state
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.updatedAt = updatedAt
        self.runID = runID
        self.window = window
        self.value = value
        self.threshold = threshold
        self.evidence = evidence
        self.message = message
        self.inhibited = inhibited
        self.clearRuns = clearRuns
    }
}

/// What one receiver was last told about one alert.
public struct AlertReceipt: Sendable, Equatable, Codable {
    public var fingerprint: String
    public var receiver: String
    public var status: AlertState
    public var severity: Severity
    public var sentAt: Int64

    public init(fingerprint: String, receiver: String, status: AlertState, severity: Severity, sentAt: Int64) {
        self.fingerprint = fingerprint
        self.receiver = receiver
        self.status = status
        self.severity = severity
        self.sentAt = sentAt
    }
}

/// A time-bounded mute of a model's alerts, optionally narrowed to one rule and/or class.
public struct Silence: Sendable, Equatable, Codable {
    public var id: Int64?
    public var model: String
    public var rule: String?
    public var className: String?
    public var startsAt: Int64
    public var endsAt: Int64
    public var reason: String
    public var createdBy: String

    public init(id: Int64? = nil, model: String, rule: String? = nil, className: String? = nil, startsAt: Int64, endsAt: Int64,
                reason: String, createdBy: String) {
        self.id = id
        self.model = model
        self.rule = rule
        self.className = className
        self.startsAt = startsAt
        self.endsAt = endsAt
        self.reason = reason
        self.createdBy = createdBy
    }

    /// True when this silence mutes `alert` at `now`.
    public func mutes(_ alert: AlertRecord, at now: Int64) -> Bool {
        startsAt <= now && now < endsAt && model == alert.model
            && (rule.map { $0 == alert.rule } ?? true) && (className.map { $0 == alert.className } ?? true)
    }
}

/// A model's alerts as the planner sees them inside the transaction.
public struct AlertBook: Sendable {
    public var model: String
    public var now: Int64
    /// Every stored alert of the model, by fingerprint.
    public var alerts: [String: AlertRecord]
    /// What each receiver was last told, by fingerprint then receiver.
    public var receipts: [String: [String: AlertReceipt]]
    /// Silences of the model in force at `now`.
    public var silences: [Silence]

    public init(model: String, now: Int64, alerts: [String: AlertRecord], receipts: [String: [String: AlertReceipt]], silences: [Silence]) {
        self.model = model
        self.now = now
        self.alerts = alerts
        self.receipts = receipts
        self.silences = silences
    }
}

/// What the planner decided: alert rows to write, receipts to write, notifications, events.
public struct AlertChanges: Sendable {
    public var alerts: [AlertRecord] = []
    public var receipts: [AlertReceipt] = []
    public var notifications: [OutboxNotification] = []
    public var events: [Event] = []
    public init() {}
}

/// A notification ready for the outbox: its body is final, so every retry sends the same bytes.
public struct OutboxNotification: Sendable, Equatable {
    /// Stable id, sent as `webhook-id` / `X-Vigil-Notification` on every attempt.
    public var id: String
    public var receiver: String
    public var model: String?
    /// What it is about: `alert`, `test`, `retrain.started`, …
    public var topic: String
    /// The rendered body (JSON). Secrets are never in it; `${VAR}` placeholders are expanded at send time.
    public var body: String
    public var createdAt: Int64

    public init(id: String, receiver: String, model: String?, topic: String, body: String, createdAt: Int64) {
        self.id = id
        self.receiver = receiver
        self.model = model
        self.topic = topic
        self.body = body
        self.createdAt = createdAt
    }
}

/// Where an outbox row is: waiting (maybe for a retry), delivered, or given up on.
public enum OutboxState: String, Sendable, Codable, CaseIterable { case pending, delivered, dead }

/// A stored outbox row.
public struct OutboxRow: Sendable, Equatable {
    /// Insertion order; per receiver, rows are sent in this order.
    public var seq: Int64
    public var notification: OutboxNotification
    public var state: OutboxState
    public var attempts: Int
    public var nextAttemptAt: Int64
    public var lastStatus: Int?
    public var lastError: String?
    public var finishedAt: Int64?

    public init(seq: Int64, notification: OutboxNotification, state: OutboxState, attempts: Int, nextAttemptAt: Int64,
                lastStatus: Int?, lastError: String?, finishedAt: Int64?) {
        self.seq = seq
        self.notification = notification
        self.state = state
        self.attempts = attempts
        self.nextAttemptAt = nextAttemptAt
        self.lastStatus = lastStatus
        self.lastError = lastError
        self.finishedAt = finishedAt
    }
}

/// The result of one delivery attempt of one row.
public struct DeliveryOutcome: Sendable, Equatable {
    public enum Result: Sendable, Equatable {
        /// Accepted by the receiver.
        case delivered
        /// Failed; try again at this instant.
        case retry(at: Int64)
        /// Failed for good: dead-letter.
        case dead
    }

    public var seq: Int64
    public var notificationID: String
    public var receiver: String
    public var model: String?
    public var at: Int64
    /// HTTP status, when there was a response.
    public var status: Int?
    /// What went wrong, for people (never contains a secret).
    public var error: String?
    public var result: Result

    public init(seq: Int64, notificationID: String, receiver: String, model: String?, at: Int64, status: Int?, error: String?, result: Result) {
        self.seq = seq
        self.notificationID = notificationID
        self.receiver = receiver
        self.model = model
        self.at = at
        self.status = status
        self.error = error
        self.result = result
    }
}
