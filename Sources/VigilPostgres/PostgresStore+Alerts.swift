import Foundation
import VigilCore
import VigilStore

extension PostgresStore {
    /// Advisory lock keys: one model's alert book, and the outbox's claims.
    static func alertLock(_ s: PostgresSession, model: String) throws {
        try s.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", ["vigil.alerts/" + model])
    }

    // MARK: Alert state

    public func recordEvaluation(_ run: EvaluationRunRecord, alerting: (Int64, AlertBook) throws -> AlertChanges) throws -> Int64 {
        try write { s in
            // One planner at a time per model sees and changes its alert book.
            try Self.alertLock(s, model: run.model)
            let runID = try Self.insertEvaluation(s, run)
            let book = try Self.alertBook(s, model: run.model, now: run.createdAt)
            try Self.apply(s, try alerting(runID, book))
            return runID
        }
    }

    public func updateAlerts(model: String, now: Int64, _ plan: (AlertBook) throws -> AlertChanges) throws {
        try write { s in
            try Self.alertLock(s, model: model)
            try Self.apply(s, try plan(try Self.alertBook(s, model: model, now: now)))
        }
    }

    static let alertColumns = """
        fingerprint, model, rule, metric, class, severity, state, starts_at, ends_at, updated_at, run_id, window_from, window_to, value, threshold, evidence, message, inhibited, clear_runs
        """

    public func alerts(model: String?) throws -> [AlertRecord] {
        try pool.withSession { s in
            try s.query("SELECT \(Self.alertColumns) FROM alerts WHERE ($1::text IS NULL OR model = $1) ORDER BY state COLLATE \"C\", model COLLATE \"C\", rule COLLATE \"C\"",
                        [model]).map(Self.alert)
        }
    }

    static func alertBook(_ s: PostgresSession, model: String, now: Int64) throws -> AlertBook {
        let alerts = try s.query("SELECT \(alertColumns) FROM alerts WHERE model = $1", [model]).map(alert)
        var receipts: [String: [String: AlertReceipt]] = [:]
        for row in try s.query("""
            SELECT r.fingerprint, r.receiver, r.status, r.severity, r.sent_at FROM alert_receipts r JOIN alerts a ON a.fingerprint = r.fingerprint WHERE a.model = $1
            """, [model]) {
            let r = AlertReceipt(fingerprint: try row.string(0), receiver: try row.string(1), status: AlertState(rawValue: try row.string(2)) ?? .resolved,
                                 severity: Severity(rawValue: try row.string(3)) ?? .warning, sentAt: try row.int(4))
            receipts[r.fingerprint, default: [:]][r.receiver] = r
        }
        let silences = try s.query("SELECT \(silenceColumns) FROM silences WHERE model = $1 AND starts_at <= $2 AND ends_at > $2 ORDER BY id",
                                   [model, now]).map(silence)
        return AlertBook(model: model, now: now, alerts: Dictionary(alerts.map { ($0.fingerprint, $0) }, uniquingKeysWith: { a, _ in a }),
                         receipts: receipts, silences: silences)
    }

    static func apply(_ s: PostgresSession, _ changes: AlertChanges) throws {
        for a in changes.alerts {
            try s.execute("""
                INSERT INTO alerts(\(alertColumns))
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)
                ON CONFLICT (fingerprint) DO UPDATE SET model = EXCLUDED.model, rule = EXCLUDED.rule, metric = EXCLUDED.metric, class = EXCLUDED.class,
                  severity = EXCLUDED.severity, state = EXCLUDED.state, starts_at = EXCLUDED.starts_at, ends_at = EXCLUDED.ends_at,
                  updated_at = EXCLUDED.updated_at, run_id = EXCLUDED.run_id, window_from = EXCLUDED.window_from, window_to = EXCLUDED.window_to,
                  value = EXCLUDED.value, threshold = EXCLUDED.threshold, evidence = EXCLUDED.evidence, message = EXCLUDED.message,
                  inhibited = EXCLUDED.inhibited, clear_runs = EXCLUDED.clear_runs
                """, [a.fingerprint, a.model, a.rule, a.metric, a.className, a.severity.rawValue, a.state.rawValue, a.startsAt,
                      a.endsAt, a.updatedAt, a.runID, a.window?.from, a.window?.to, a.value, a.threshold, a.evidence, a.message, a.inhibited,
                      a.clearRuns])
        }
        for r in changes.receipts {
            try s.execute("""
                INSERT INTO alert_receipts(fingerprint, receiver, status, severity, sent_at) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (fingerprint, receiver) DO UPDATE SET status = EXCLUDED.status, severity = EXCLUDED.severity, sent_at = EXCLUDED.sent_at
                """, [r.fingerprint, r.receiver, r.status.rawValue, r.severity.rawValue, r.sentAt])
        }
        try insert(s, changes.notifications)
        for e in changes.events { try append(s, e) }
    }

    static func alert(_ row: PostgresResultRow) throws -> AlertRecord {
        let from = try row.optionalInt(11), to = try row.optionalInt(12)
        return AlertRecord(fingerprint: try row.string(0), model: try row.string(1), rule: try row.string(2), metric: try row.string(3),
                           className: try row.optionalString(4), severity: Severity(rawValue: try row.string(5)) ?? .warning,
                           state: AlertState(rawValue: try row.string(6)) ?? .resolved, startsAt: try row.int(7), endsAt: try row.optionalInt(8),
                           updatedAt: try row.int(9), runID: try row.optionalInt(10),
                           window: from.flatMap { f in to.map { TimeWindow(from: f, to: $0) } },
                           value: try row.optionalDouble(13), threshold: try row.optionalDouble(14), evidence: Int(try row.int(15)),
                           message: try row.string(16), inhibited: try row.optionalString(17), clearRuns: Int(try row.int(18)))
    }

    // MARK: Silences

    static let silenceColumns = "id, model, rule, class, starts_at, ends_at, reason, created_by"

    public func addSilence(_ silence: Silence) throws -> Int64 {
        try write { s in
            let id = try s.one("""
                INSERT INTO silences(model, rule, class, starts_at, ends_at, reason, created_by) VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id
                """, [silence.model, silence.rule, silence.className, silence.startsAt, silence.endsAt, silence.reason, silence.createdBy])!.int(0)
            try Self.append(s, Event(ts: silence.startsAt, actor: silence.createdBy, kind: "alert.silence", model: silence.model, subject: "silence/\(id)",
                                     details: JSONText.object(["rule": silence.rule, "class": silence.className,
                                                               "ends_at": Timestamp.format(millis: silence.endsAt), "reason": silence.reason])))
            return id
        }
    }

    public func silences(activeAt now: Int64?) throws -> [Silence] {
        try pool.withSession { s in
            try s.query("SELECT \(Self.silenceColumns) FROM silences WHERE $1::bigint IS NULL OR (starts_at <= $1 AND ends_at > $1) ORDER BY id DESC",
                        [now]).map(Self.silence)
        }
    }

    public func endSilence(id: Int64, now: Int64, actor: String) throws -> Bool {
        try write { s in
            guard let model = try s.one("UPDATE silences SET ends_at = $1 WHERE id = $2 AND ends_at > $1 RETURNING model", [now, id]) else { return false }
            try Self.append(s, Event(ts: now, actor: actor, kind: "alert.unsilence", model: try model.string(0), subject: "silence/\(id)", details: "{}"))
            return true
        }
    }

    static func silence(_ row: PostgresResultRow) throws -> Silence {
        Silence(id: try row.int(0), model: try row.string(1), rule: try row.optionalString(2), className: try row.optionalString(3),
                startsAt: try row.int(4), endsAt: try row.int(5), reason: try row.string(6), createdBy: try row.string(7))
    }

    // MARK: Outbox

    public func enqueue(_ notifications: [OutboxNotification], events: [Event]) throws {
        try write { s in
            try Self.insert(s, notifications)
            for e in events { try Self.append(s, e) }
        }
    }

    static func insert(_ s: PostgresSession, _ notifications: [OutboxNotification]) throws {
        for n in notifications {
            try s.execute("""
                INSERT INTO outbox(id, receiver, model, topic, body, state, created_at, next_attempt_at)
                VALUES ($1, $2, $3, $4, $5, 'pending', $6, $6) ON CONFLICT (id) DO NOTHING
                """, [n.id, n.receiver, n.model, n.topic, n.body, n.createdAt])
        }
    }

    static let outboxColumns = "seq, id, receiver, model, topic, body, created_at, state, attempts, next_attempt_at, last_status, last_error, finished_at"

    public func claimOutbox(now: Int64, owner: String, leaseMillis: Int64, perReceiverLimit: Int) throws -> [OutboxRow] {
        try write { s in
            // Deliverers claim one at a time: a receiver takes part only when its oldest pending
            // row is due and nobody else holds a lease on any of its rows, which keeps each
            // receiver's rows in order across instances.
            try s.execute("SELECT pg_advisory_xact_lock($1)", [Self.migrationLock + 3])
            let receivers = try s.query("""
                SELECT receiver FROM outbox WHERE state = 'pending' GROUP BY receiver
                HAVING MAX(CASE WHEN lease_until > $1 AND lease_owner IS DISTINCT FROM $2 THEN 1 ELSE 0 END) = 0
                   AND MIN(seq) IN (SELECT seq FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= $1)
                """, [now, owner]).map { try $0.string(0) }
            var claimed: [OutboxRow] = []
            for receiver in receivers.sorted() {
                let rows = try s.query("SELECT \(Self.outboxColumns) FROM outbox WHERE state = 'pending' AND receiver = $1 ORDER BY seq LIMIT $2",
                                       [receiver, perReceiverLimit]).map(Self.outboxRow)
                // Stop at the first row that is not due yet: later rows wait behind it.
                let due = rows.prefix { $0.nextAttemptAt <= now }
                if !due.isEmpty {
                    try s.execute("UPDATE outbox SET lease_owner = $1, lease_until = $2 WHERE seq = ANY($3::bigint[])",
                                  [owner, now + leaseMillis, due.map(\.seq)])
                }
                claimed += due
            }
            return claimed
        }
    }

    public func recordDeliveries(_ outcomes: [DeliveryOutcome], owner: String) throws {
        guard !outcomes.isEmpty else { return }
        try write { s in
            for o in outcomes {
                let n = (try s.one("SELECT attempts FROM outbox WHERE seq = $1", [o.seq])?.int(0) ?? 0) + 1
                let kind: String
                switch o.result {
                case .delivered:
                    kind = "delivered"
                    try s.execute("""
                        UPDATE outbox SET state = 'delivered', attempts = $1, last_status = $2, last_error = NULL, finished_at = $3, lease_owner = NULL, lease_until = 0
                        WHERE seq = $4
                        """, [n, o.status.map(Int64.init), o.at, o.seq])
                case .retry(let at):
                    kind = "retry"
                    try s.execute("""
                        UPDATE outbox SET attempts = $1, last_status = $2, last_error = $3, next_attempt_at = $4, lease_owner = NULL, lease_until = 0
                        WHERE seq = $5
                        """, [n, o.status.map(Int64.init), o.error, at, o.seq])
                case .dead:
                    kind = "dead"
                    try s.execute("""
                        UPDATE outbox SET state = 'dead', attempts = $1, last_status = $2, last_error = $3, finished_at = $4, lease_owner = NULL, lease_until = 0
                        WHERE seq = $5
                        """, [n, o.status.map(Int64.init), o.error, o.at, o.seq])
                }
                try s.execute("""
                    INSERT INTO outbox_attempts(seq, attempt, ts, status, error, outcome) VALUES ($1, $2, $3, $4, $5, $6)
                    ON CONFLICT (seq, attempt) DO UPDATE SET ts = EXCLUDED.ts, status = EXCLUDED.status, error = EXCLUDED.error, outcome = EXCLUDED.outcome
                    """, [o.seq, n, o.at, o.status.map(Int64.init), o.error, kind])
                var details: [String: String?] = ["receiver": o.receiver, "attempt": String(n), "status": o.status.map(String.init), "error": o.error]
                if case .retry(let at) = o.result { details["next_attempt_at"] = Timestamp.format(millis: at) }
                try Self.append(s, Event(ts: o.at, actor: owner, kind: "alert.delivery.\(kind)", model: o.model,
                                         subject: "notification/\(o.notificationID)", details: JSONText.object(details)))
            }
        }
    }

    public func renewLeases(receiver: String, owner: String, until: Int64) throws {
        try pool.withSession { s in
            _ = try s.execute("UPDATE outbox SET lease_until = $1 WHERE receiver = $2 AND lease_owner = $3 AND state = 'pending'", [until, receiver, owner])
        }
    }

    public func releaseOutbox(seqs: [Int64], owner: String) throws {
        guard !seqs.isEmpty else { return }
        try pool.withSession { s in
            _ = try s.execute("UPDATE outbox SET lease_owner = NULL, lease_until = 0 WHERE seq = ANY($1::bigint[]) AND lease_owner = $2", [seqs, owner])
        }
    }

    public func outbox(states: [OutboxState], limit: Int) throws -> [OutboxRow] {
        try pool.withSession { s in
            try s.query("SELECT \(Self.outboxColumns) FROM outbox WHERE state = ANY($1::text[]) ORDER BY seq LIMIT $2",
                        [states.map(\.rawValue), limit]).map(Self.outboxRow)
        }
    }

    public func retryDead(ids: [String]?, now: Int64, actor: String) throws -> Int {
        try write { s in
            let rows = try s.query("SELECT seq, id, model FROM outbox WHERE state = 'dead' ORDER BY seq FOR UPDATE")
                .map { (seq: try $0.int(0), id: try $0.string(1), model: try $0.optionalString(2)) }
                .filter { ids?.contains($0.id) ?? true }
            for row in rows {
                try s.execute("""
                    UPDATE outbox SET state = 'pending', next_attempt_at = $1, finished_at = NULL, lease_owner = NULL, lease_until = 0, attempts = 0 WHERE seq = $2
                    """, [now, row.seq])
                try Self.append(s, Event(ts: now, actor: actor, kind: "alert.delivery.requeued", model: row.model,
                                         subject: "notification/\(row.id)", details: "{}"))
            }
            return rows.count
        }
    }

    static func outboxRow(_ row: PostgresResultRow) throws -> OutboxRow {
        OutboxRow(seq: try row.int(0),
                  notification: OutboxNotification(id: try row.string(1), receiver: try row.string(2), model: try row.optionalString(3),
                                                   topic: try row.string(4), body: try row.string(5), createdAt: try row.int(6)),
                  state: OutboxState(rawValue: try row.string(7)) ?? .pending, attempts: Int(try row.int(8)), nextAttemptAt: try row.int(9),
                  lastStatus: try row.optionalInt(10).map(Int.init), lastError: try row.optionalString(11), finishedAt: try row.optionalInt(12))
    }
}
