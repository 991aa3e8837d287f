import Foundation
import GRDB
import VigilCore

extension SQLiteStore {
    // MARK: Alert state

    public func recordEvaluation(_ run: EvaluationRunRecord, alerting: (Int64, AlertBook) throws -> AlertChanges) throws -> Int64 {
        try queue.write { db in
            let runID = try Self.insertEvaluation(db, run)
            let book = try Self.alertBook(db, model: run.model, now: run.createdAt)
            try Self.apply(db, try alerting(runID, book))
            return runID
        }
    }

    public func updateAlerts(model: String, now: Int64, _ plan: (AlertBook) throws -> AlertChanges) throws {
        try queue.write { db in try Self.apply(db, try plan(try Self.alertBook(db, model: model, now: now))) }
    }

    public func alerts(model: String?) throws -> [AlertRecord] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM alerts WHERE (?1 IS NULL OR model = ?1) ORDER BY state, model, rule", arguments: [model])
                .map(Self.alert)
        }
    }

    static func alertBook(_ db: Database, model: String, now: Int64) throws -> AlertBook {
        let alerts = try Row.fetchAll(db, sql: "SELECT * FROM alerts WHERE model = ?", arguments: [model]).map(alert)
        var receipts: [String: [String: AlertReceipt]] = [:]
        for row in try Row.fetchAll(db, sql: """
            SELECT r.* FROM alert_receipts r JOIN alerts a ON a.fingerprint = r.fingerprint WHERE a.model = ?
            """, arguments: [model]) {
            let r = AlertReceipt(fingerprint: row["fingerprint"], receiver: row["receiver"], status: AlertState(rawValue: row["status"]) ?? .resolved,
                                 severity: Severity(rawValue: row["severity"]) ?? .warning, sentAt: row["sent_at"])
            receipts[r.fingerprint, default: [:]][r.receiver] = r
        }
        let silences = try Row.fetchAll(db, sql: "SELECT * FROM silences WHERE model = ? AND starts_at <= ? AND ends_at > ? ORDER BY id",
                                        arguments: [model, now, now]).map(silence)
        return AlertBook(model: model, now: now, alerts: Dictionary(alerts.map { ($0.fingerprint, $0) }, uniquingKeysWith: { a, _ in a }),
                         receipts: receipts, silences: silences)
    }

    static func apply(_ db: Database, _ changes: AlertChanges) throws {
        for a in changes.alerts {
            try db.execute(sql: """
                INSERT OR REPLACE INTO alerts(fingerprint, model, rule, metric, class, severity, state, starts_at, ends_at, updated_at,
                  run_id, window_from, window_to, value, threshold, evidence, message, inhibited, clear_runs)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [a.fingerprint, a.model, a.rule, a.metric, a.className, a.severity.rawValue, a.state.rawValue, a.startsAt,
                                 a.endsAt, a.updatedAt, a.runID, a.window?.from, a.window?.to, a.value, a.threshold, a.evidence, a.message, a.inhibited,
                                 a.clearRuns])
        }
        for r in changes.receipts {
            try db.execute(sql: "INSERT OR REPLACE INTO alert_receipts(fingerprint, receiver, status, severity, sent_at) VALUES (?, ?, ?, ?, ?)",
                           arguments: [r.fingerprint, r.receiver, r.status.rawValue, r.severity.rawValue, r.sentAt])
        }
        try insert(db, changes.notifications)
        for e in changes.events { try append(db, e) }
    }

    static func alert(_ row: Row) -> AlertRecord {
        AlertRecord(fingerprint: row["fingerprint"], model: row["model"], rule: row["rule"], metric: row["metric"], className: row["class"],
                    severity: Severity(rawValue: row["severity"]) ?? .warning, state: AlertState(rawValue: row["state"]) ?? .resolved,
                    startsAt: row["starts_at"], endsAt: row["ends_at"], updatedAt: row["updated_at"], runID: row["run_id"],
                    window: (row["window_from"] as Int64?).flatMap { f in (row["window_to"] as Int64?).map { TimeWindow(from: f, to: $0) } },
                    value: row["value"], threshold: row["threshold"], evidence: row["evidence"], message: row["message"],
                    inhibited: row["inhibited"], clearRuns: row["clear_runs"])
    }

    // MARK: Silences

    public func addSilence(_ s: Silence) throws -> Int64 {
        try queue.write { db in
            try db.execute(sql: "INSERT INTO silences(model, rule, class, starts_at, ends_at, reason, created_by) VALUES (?, ?, ?, ?, ?, ?, ?)",
                           arguments: [s.model, s.rule, s.className, s.startsAt, s.endsAt, s.reason, s.createdBy])
            let id = db.lastInsertedRowID
            try Self.append(db, Event(ts: s.startsAt, actor: s.createdBy, kind: "alert.silence", model: s.model, subject: "silence/\(id)",
                                      details: JSONText.object(["rule": s.rule, "class": s.className, "ends_at": Timestamp.format(millis: s.endsAt),
                                                                "reason": s.reason])))
            return id
        }
    }

    public func silences(activeAt now: Int64?) throws -> [Silence] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM silences WHERE ?1 IS NULL OR (starts_at <= ?1 AND ends_at > ?1) ORDER BY id DESC",
                             arguments: [now]).map(Self.silence)
        }
    }

    public func endSilence(id: Int64, now: Int64, actor: String) throws -> Bool {
        try queue.write { db in
            try db.execute(sql: "UPDATE silences SET ends_at = ? WHERE id = ? AND ends_at > ?", arguments: [now, id, now])
            guard db.changesCount > 0 else { return false }
            let model = try String.fetchOne(db, sql: "SELECT model FROM silences WHERE id = ?", arguments: [id])
            try Self.append(db, Event(ts: now, actor: actor, kind: "alert.unsilence", model: model, subject: "silence/\(id)", details: "{}"))
            return true
        }
    }

    static func silence(_ row: Row) -> Silence {
        Silence(id: row["id"], model: row["model"], rule: row["rule"], className: row["class"], startsAt: row["starts_at"],
                endsAt: row["ends_at"], reason: row["reason"], createdBy: row["created_by"])
    }

    // MARK: Outbox

    public func enqueue(_ notifications: [OutboxNotification], events: [Event]) throws {
        try queue.write { db in
            try Self.insert(db, notifications)
            for e in events { try Self.append(db, e) }
        }
    }

    static func insert(_ db: Database, _ notifications: [OutboxNotification]) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT OR IGNORE INTO outbox(id, receiver, model, topic, body, state, created_at, next_attempt_at)
            VALUES (?, ?, ?, ?, ?, 'pending', ?, ?)
            """)
        for n in notifications {
            try statement.execute(arguments: [n.id, n.receiver, n.model, n.topic, n.body, n.createdAt, n.createdAt])
        }
    }

    public func claimOutbox(now: Int64, owner: String, leaseMillis: Int64, perReceiverLimit: Int) throws -> [OutboxRow] {
        try queue.write { db in
            // A receiver takes part only when its oldest pending row is due and nobody else holds
            // a lease on any of its rows: that is what keeps each receiver's rows in order.
            let receivers = try String.fetchAll(db, sql: """
                SELECT receiver FROM outbox WHERE state = 'pending' GROUP BY receiver
                HAVING MAX(CASE WHEN lease_until > ?1 AND lease_owner IS NOT ?2 THEN 1 ELSE 0 END) = 0
                   AND MIN(seq) IN (SELECT seq FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= ?1)
                """, arguments: [now, owner])
            var claimed: [OutboxRow] = []
            for receiver in receivers.sorted() {
                let rows = try Row.fetchAll(db, sql: """
                    SELECT * FROM outbox WHERE state = 'pending' AND receiver = ? ORDER BY seq LIMIT ?
                    """, arguments: [receiver, perReceiverLimit]).map(Self.outboxRow)
                // Stop at the first row that is not due yet: later rows wait behind it.
                let due = rows.prefix { $0.nextAttemptAt <= now }
                for r in due {
                    try db.execute(sql: "UPDATE outbox SET lease_owner = ?, lease_until = ? WHERE seq = ?", arguments: [owner, now + leaseMillis, r.seq])
                }
                claimed += due
            }
            return claimed
        }
    }

    public func recordDeliveries(_ outcomes: [DeliveryOutcome], owner: String) throws {
        guard !outcomes.isEmpty else { return }
        try queue.write { db in
            // Cached statements: a delivery pass records thousands of outcomes.
            let attempts = try db.cachedStatement(sql: "SELECT attempts FROM outbox WHERE seq = ?")
            let finish = try db.cachedStatement(sql: """
                UPDATE outbox SET state = ?, attempts = ?, last_status = ?, last_error = ?, finished_at = ?, lease_owner = NULL, lease_until = 0
                WHERE seq = ?
                """)
            let retry = try db.cachedStatement(sql: """
                UPDATE outbox SET attempts = ?, last_status = ?, last_error = ?, next_attempt_at = ?, lease_owner = NULL, lease_until = 0
                WHERE seq = ?
                """)
            let attempt = try db.cachedStatement(sql: """
                INSERT OR REPLACE INTO outbox_attempts(seq, attempt, ts, status, error, outcome) VALUES (?, ?, ?, ?, ?, ?)
                """)
            for o in outcomes {
                let n = (try Int.fetchOne(attempts, arguments: [o.seq]) ?? 0) + 1
                let kind: String
                switch o.result {
                case .delivered:
                    kind = "delivered"
                    try finish.execute(arguments: ["delivered", n, o.status, nil, o.at, o.seq])
                case .retry(let at):
                    kind = "retry"
                    try retry.execute(arguments: [n, o.status, o.error, at, o.seq])
                case .dead:
                    kind = "dead"
                    try finish.execute(arguments: ["dead", n, o.status, o.error, o.at, o.seq])
                }
                try attempt.execute(arguments: [o.seq, n, o.at, o.status, o.error, kind])
                var details: [String: String?] = ["receiver": o.receiver, "attempt": String(n), "status": o.status.map(String.init),
                                                  "error": o.error]
                if case .retry(let at) = o.result { details["next_attempt_at"] = Timestamp.format(millis: at) }
                try Self.append(db, Event(ts: o.at, actor: owner, kind: "alert.delivery.\(kind)", model: o.model,
                                          subject: "notification/\(o.notificationID)", details: JSONText.object(details)))
            }
        }
    }

    public func renewLeases(receiver: String, owner: String, until: Int64) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE outbox SET lease_until = ? WHERE receiver = ? AND lease_owner = ? AND state = 'pending'",
                           arguments: [until, receiver, owner])
        }
    }

    public func releaseOutbox(seqs: [Int64], owner: String) throws {
        guard !seqs.isEmpty else { return }
        try queue.write { db in
            for seq in seqs {
                try db.execute(sql: "UPDATE outbox SET lease_owner = NULL, lease_until = 0 WHERE seq = ? AND lease_owner = ?", arguments: [seq, owner])
            }
        }
    }

    public func outbox(states: [OutboxState], limit: Int) throws -> [OutboxRow] {
        try queue.read { db in
            let marks = states.map { _ in "?" }.joined(separator: ",")
            return try Row.fetchAll(db, sql: "SELECT * FROM outbox WHERE state IN (\(marks)) ORDER BY seq LIMIT ?",
                                    arguments: StatementArguments(states.map(\.rawValue) + [String(limit)])).map(Self.outboxRow)
        }
    }

    public func retryDead(ids: [String]?, now: Int64, actor: String) throws -> Int {
        try queue.write { db in
            let rows = try Row.fetchAll(db, sql: "SELECT seq, id, model FROM outbox WHERE state = 'dead' ORDER BY seq")
                .filter { ids?.contains($0["id"]) ?? true }
            for row in rows {
                try db.execute(sql: """
                    UPDATE outbox SET state = 'pending', next_attempt_at = ?, finished_at = NULL, lease_owner = NULL, lease_until = 0,
                      attempts = 0 WHERE seq = ?
                    """, arguments: [now, row["seq"] as Int64])
                try Self.append(db, Event(ts: now, actor: actor, kind: "alert.delivery.requeued", model: row["model"],
                                          subject: "notification/\(row["id"] as String)", details: "{}"))
            }
            return rows.count
        }
    }

    static func outboxRow(_ row: Row) -> OutboxRow {
        OutboxRow(seq: row["seq"],
                  notification: OutboxNotification(id: row["id"], receiver: row["receiver"], model: row["model"], topic: row["topic"],
                                                   body: row["body"], createdAt: row["created_at"]),
                  state: OutboxState(rawValue: row["state"]) ?? .pending, attempts: row["attempts"], nextAttemptAt: row["next_attempt_at"],
                  lastStatus: row["last_status"], lastError: row["last_error"], finishedAt: row["finished_at"])
    }
}
