import Foundation
import VigilCore

/// Alert state, silences and the outbox, written once over the driver. One planner at a time
/// sees and changes a model's alert book (``SQLConnection/lock(_:)`` on the model); deliverers
/// claim one at a time, so each receiver's rows go out in order across instances.
extension SQLStore {
    public func recordEvaluation(_ run: EvaluationRunRecord, alerting: (Int64, AlertBook) throws -> AlertChanges) throws -> Int64 {
        try driver.write { c in
            try c.lock(Self.alertLock(run.model))
            let runID = try Self.insertEvaluation(c, run)
            let book = try Self.alertBook(c, model: run.model, now: run.createdAt)
            try Self.apply(c, try alerting(runID, book))
            return runID
        }
    }

    public func updateAlerts(model: String, now: Int64, _ plan: (AlertBook) throws -> AlertChanges) throws {
        try driver.write { c in
            try c.lock(Self.alertLock(model))
            try Self.apply(c, try plan(try Self.alertBook(c, model: model, now: now)))
        }
    }

    public func alerts(model: String?) throws -> [AlertRecord] {
        try driver.read { c in
            let order = c.dialect.bytewise
            return try c.query("""
                SELECT * FROM alerts WHERE (CAST($1 AS TEXT) IS NULL OR model = $1) ORDER BY state \(order), model \(order), rule \(order)
                """, [model]).map(Self.alert)
        }
    }

    // MARK: Silences

    public func addSilence(_ s: Silence) throws -> Int64 {
        try driver.write { c in
            let id = try c.insert("""
                INSERT INTO silences(model, rule, class, starts_at, ends_at, reason, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
                """, [s.model, s.rule, s.className, s.startsAt, s.endsAt, s.reason, s.createdBy])
            try c.append(Event(ts: s.startsAt, actor: s.createdBy, kind: "alert.silence", model: s.model, subject: "silence/\(id)",
                               details: JSONText.object(["rule": s.rule, "class": s.className, "ends_at": Timestamp.format(millis: s.endsAt),
                                                         "reason": s.reason])))
            return id
        }
    }

    public func silences(activeAt now: Int64?) throws -> [Silence] {
        try driver.read { c in
            try c.query("SELECT * FROM silences WHERE CAST($1 AS BIGINT) IS NULL OR (starts_at <= $1 AND ends_at > $1) ORDER BY id DESC", [now])
                .map(Self.silence)
        }
    }

    public func endSilence(id: Int64, now: Int64, actor: String) throws -> Bool {
        try driver.write { c in
            guard let row = try c.one("UPDATE silences SET ends_at = $1 WHERE id = $2 AND ends_at > $1 RETURNING model", [now, id]) else { return false }
            try c.append(Event(ts: now, actor: actor, kind: "alert.unsilence", model: try row.string("model"), subject: "silence/\(id)", details: "{}"))
            return true
        }
    }

    // MARK: Outbox

    public func enqueue(_ notifications: [OutboxNotification], events: [Event]) throws {
        try driver.write { c in
            try Self.insert(c, notifications)
            for e in events { try c.append(e) }
        }
    }

    public func claimOutbox(now: Int64, owner: String, leaseMillis: Int64, perReceiverLimit: Int) throws -> [OutboxRow] {
        try driver.write { c in
            // A receiver takes part only when its oldest pending row is due and nobody else holds
            // a lease on any of its rows: that is what keeps each receiver's rows in order.
            try c.lock("vigil.outbox")
            let receivers = try c.query("""
                SELECT receiver FROM outbox WHERE state = 'pending' GROUP BY receiver
                HAVING MAX(CASE WHEN lease_until > $1 AND lease_owner IS DISTINCT FROM $2 THEN 1 ELSE 0 END) = 0
                   AND MIN(seq) IN (SELECT seq FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= $1)
                """, [now, owner]).map { try $0.string("receiver") }
            var claimed: [OutboxRow] = []
            for receiver in receivers.sorted() {
                let rows = try c.query("SELECT * FROM outbox WHERE state = 'pending' AND receiver = $1 ORDER BY seq LIMIT $2",
                                       [receiver, perReceiverLimit]).map(Self.outboxRow)
                // Stop at the first row that is not due yet: later rows wait behind it.
                let due = rows.prefix { $0.nextAttemptAt <= now }
                for r in due {
                    try c.execute("UPDATE outbox SET lease_owner = $1, lease_until = $2 WHERE seq = $3", [owner, now + leaseMillis, r.seq])
                }
                claimed += due
            }
            return claimed
        }
    }

    public func recordDeliveries(_ outcomes: [DeliveryOutcome], owner: String) throws {
        guard !outcomes.isEmpty else { return }
        try driver.write { c in
            for o in outcomes {
                let n = (try c.one("SELECT attempts FROM outbox WHERE seq = $1", [o.seq])?.int("attempts") ?? 0) + 1
                let kind: String
                switch o.result {
                case .delivered:
                    kind = "delivered"
                    try c.execute("""
                        UPDATE outbox SET state = 'delivered', attempts = $1, last_status = $2, last_error = NULL, finished_at = $3,
                          lease_owner = NULL, lease_until = 0 WHERE seq = $4
                        """, [n, o.status, o.at, o.seq])
                case .retry(let at):
                    kind = "retry"
                    try c.execute("""
                        UPDATE outbox SET attempts = $1, last_status = $2, last_error = $3, next_attempt_at = $4, lease_owner = NULL, lease_until = 0
                        WHERE seq = $5
                        """, [n, o.status, o.error, at, o.seq])
                case .dead:
                    kind = "dead"
                    try c.execute("""
                        UPDATE outbox SET state = 'dead', attempts = $1, last_status = $2, last_error = $3, finished_at = $4,
                          lease_owner = NULL, lease_until = 0 WHERE seq = $5
                        """, [n, o.status, o.error, o.at, o.seq])
                }
                try c.execute("""
                    INSERT INTO outbox_attempts(seq, attempt, ts, status, error, outcome) VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (seq, attempt) DO UPDATE SET ts = excluded.ts, status = excluded.status, error = excluded.error, outcome = excluded.outcome
                    """, [o.seq, n, o.at, o.status, o.error, kind])
                var details: [String: String?] = ["receiver": o.receiver, "attempt": String(n), "status": o.status.map(String.init), "error": o.error]
                if case .retry(let at) = o.result { details["next_attempt_at"] = Timestamp.format(millis: at) }
                try c.append(Event(ts: o.at, actor: owner, kind: "alert.delivery.\(kind)", model: o.model,
                                   subject: "notification/\(o.notificationID)", details: JSONText.object(details)))
            }
        }
    }

    public func renewLeases(receiver: String, owner: String, until: Int64) throws {
        try driver.write { c in
            try c.execute("UPDATE outbox SET lease_until = $1 WHERE receiver = $2 AND lease_owner = $3 AND state = 'pending'", [until, receiver, owner])
        }
    }

    public func releaseOutbox(seqs: [Int64], owner: String) throws {
        guard !seqs.isEmpty else { return }
        try driver.write { c in
            for seq in seqs {
                try c.execute("UPDATE outbox SET lease_owner = NULL, lease_until = 0 WHERE seq = $1 AND lease_owner = $2", [seq, owner])
            }
        }
    }

    public func outbox(states: [OutboxState], limit: Int) throws -> [OutboxRow] {
        guard !states.isEmpty else { return [] }
        return try driver.read { c in
            let marks = states.indices.map { "$\($0 + 2)" }.joined(separator: ", ")
            return try c.query("SELECT * FROM outbox WHERE state IN (\(marks)) ORDER BY seq LIMIT $1",
                               [limit] + states.map(\.rawValue)).map(Self.outboxRow)
        }
    }

    public func retryDead(ids: [String]?, now: Int64, actor: String) throws -> Int {
        try driver.write { c in
            let rows = try c.query("SELECT seq, id, model FROM outbox WHERE state = 'dead' ORDER BY seq \(c.dialect.lockRows)", [])
                .map { (seq: try $0.int("seq"), id: try $0.string("id"), model: try $0.optionalString("model")) }
                .filter { ids?.contains($0.id) ?? true }
            for row in rows {
                try c.execute("""
                    UPDATE outbox SET state = 'pending', next_attempt_at = $1, finished_at = NULL, lease_owner = NULL, lease_until = 0, attempts = 0
                    WHERE seq = $2
                    """, [now, row.seq])
                try c.append(Event(ts: now, actor: actor, kind: "alert.delivery.requeued", model: row.model,
                                   subject: "notification/\(row.id)", details: "{}"))
            }
            return rows.count
        }
    }

    // MARK: Rows

    static func alertLock(_ model: String) -> String { "vigil.alerts/" + model }

    static func alertBook(_ c: any SQLConnection, model: String, now: Int64) throws -> AlertBook {
        let alerts = try c.query("SELECT * FROM alerts WHERE model = $1", [model]).map(alert)
        var receipts: [String: [String: AlertReceipt]] = [:]
        for row in try c.query("SELECT r.* FROM alert_receipts r JOIN alerts a ON a.fingerprint = r.fingerprint WHERE a.model = $1", [model]) {
            let r = AlertReceipt(fingerprint: try row.string("fingerprint"), receiver: try row.string("receiver"),
                                 status: AlertState(rawValue: try row.string("status")) ?? .resolved,
                                 severity: Severity(rawValue: try row.string("severity")) ?? .warning, sentAt: try row.int("sent_at"))
            receipts[r.fingerprint, default: [:]][r.receiver] = r
        }
        let silences = try c.query("SELECT * FROM silences WHERE model = $1 AND starts_at <= $2 AND ends_at > $2 ORDER BY id", [model, now])
            .map(silence)
        return AlertBook(model: model, now: now, alerts: Dictionary(alerts.map { ($0.fingerprint, $0) }, uniquingKeysWith: { a, _ in a }),
                         receipts: receipts, silences: silences)
    }

    static func apply(_ c: any SQLConnection, _ changes: AlertChanges) throws {
        for a in changes.alerts {
            try c.execute("""
                INSERT INTO alerts(fingerprint, model, rule, metric, class, severity, state, starts_at, ends_at, updated_at,
                  run_id, window_from, window_to, value, threshold, evidence, message, inhibited, clear_runs)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
                ON CONFLICT (fingerprint) DO UPDATE SET model = excluded.model, rule = excluded.rule, metric = excluded.metric, class = excluded.class,
                  severity = excluded.severity, state = excluded.state, starts_at = excluded.starts_at, ends_at = excluded.ends_at,
                  updated_at = excluded.updated_at, run_id = excluded.run_id, window_from = excluded.window_from, window_to = excluded.window_to,
                  value = excluded.value, threshold = excluded.threshold, evidence = excluded.evidence, message = excluded.message,
                  inhibited = excluded.inhibited, clear_runs = excluded.clear_runs
                """, [a.fingerprint, a.model, a.rule, a.metric, a.className, a.severity.rawValue, a.state.rawValue, a.startsAt,
                      a.endsAt, a.updatedAt, a.runID, a.window?.from, a.window?.to, a.value, a.threshold, a.evidence, a.message, a.inhibited,
                      a.clearRuns])
        }
        for r in changes.receipts {
            try c.execute("""
                INSERT INTO alert_receipts(fingerprint, receiver, status, severity, sent_at) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (fingerprint, receiver) DO UPDATE SET status = excluded.status, severity = excluded.severity, sent_at = excluded.sent_at
                """, [r.fingerprint, r.receiver, r.status.rawValue, r.severity.rawValue, r.sentAt])
        }
        try insert(c, changes.notifications)
        for e in changes.events { try c.append(e) }
    }

    static func insert(_ c: any SQLConnection, _ notifications: [OutboxNotification]) throws {
        for n in notifications {
            try c.execute("""
                INSERT INTO outbox(id, receiver, model, topic, body, state, created_at, next_attempt_at)
                VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) ON CONFLICT (id) DO NOTHING
                """, [n.id, n.receiver, n.model, n.topic, n.body, n.createdAt])
        }
    }

    static func alert(_ row: any SQLRow) throws -> AlertRecord {
        let from = try row.optionalInt("window_from"), to = try row.optionalInt("window_to")
        return AlertRecord(fingerprint: try row.string("fingerprint"), model: try row.string("model"), rule: try row.string("rule"),
                           metric: try row.string("metric"), className: try row.optionalString("class"),
                           severity: Severity(rawValue: try row.string("severity")) ?? .warning,
                           state: AlertState(rawValue: try row.string("state")) ?? .resolved, startsAt: try row.int("starts_at"),
                           endsAt: try row.optionalInt("ends_at"), updatedAt: try row.int("updated_at"), runID: try row.optionalInt("run_id"),
                           window: from.flatMap { f in to.map { TimeWindow(from: f, to: $0) } },
                           value: try row.optionalDouble("value"), threshold: try row.optionalDouble("threshold"),
                           evidence: Int(try row.int("evidence")), message: try row.string("message"),
                           inhibited: try row.optionalString("inhibited"), clearRuns: Int(try row.int("clear_runs")))
    }

    static func silence(_ row: any SQLRow) throws -> Silence {
        Silence(id: try row.int("id"), model: try row.string("model"), rule: try row.optionalString("rule"), className: try row.optionalString("class"),
                startsAt: try row.int("starts_at"), endsAt: try row.int("ends_at"), reason: try row.string("reason"), createdBy: try row.string("created_by"))
    }

    static func outboxRow(_ row: any SQLRow) throws -> OutboxRow {
        OutboxRow(seq: try row.int("seq"),
                  notification: OutboxNotification(id: try row.string("id"), receiver: try row.string("receiver"), model: try row.optionalString("model"),
                                                   topic: try row.string("topic"), body: try row.string("body"), createdAt: try row.int("created_at")),
                  state: OutboxState(rawValue: try row.string("state")) ?? .pending, attempts: Int(try row.int("attempts")),
                  nextAttemptAt: try row.int("next_attempt_at"), lastStatus: try row.optionalInt("last_status").map(Int.init),
                  lastError: try row.optionalString("last_error"), finishedAt: try row.optionalInt("finished_at"))
    }
}
