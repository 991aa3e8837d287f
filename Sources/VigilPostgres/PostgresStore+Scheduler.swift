import Foundation
import VigilCore
import VigilStore

extension PostgresStore {
    public func claimSlot(_ slot: JobSlot, owner: String, now: Int64, leaseMillis: Int64) throws -> Int64? {
        try write { s in
            // The UNIQUE (model, job, slot) row decides: of any number of ticks, one inserts it.
            if let id = try s.one("""
                INSERT INTO job_runs(model, job, slot, owner, lease_until, started_at, status)
                VALUES ($1, $2, $3, $4, $5, $6, 'running') ON CONFLICT (model, job, slot) DO NOTHING RETURNING id
                """, [slot.model, slot.job, slot.slot, owner, now + leaseMillis, now])?.int(0) {
                try Self.append(s, Event(ts: now, actor: owner, kind: "job.started", model: slot.model, subject: "job-run/\(id)",
                                         details: Self.jsonObject(["job": slot.job, "slot": Timestamp.format(millis: slot.slot)])))
                return id
            }
            // Taken: take it over only when its owner's lease has passed without an end. The
            // UPDATE re-checks the lease on the row's latest version, so one taker wins.
            guard let id = try s.one("""
                UPDATE job_runs SET owner = $1, lease_until = $2, started_at = $3, attempts = attempts + 1
                WHERE model = $4 AND job = $5 AND slot = $6 AND status = 'running' AND lease_until < $7 RETURNING id
                """, [owner, now + leaseMillis, now, slot.model, slot.job, slot.slot, now])?.int(0) else { return nil }
            try Self.append(s, Event(ts: now, actor: owner, kind: "job.taken-over", model: slot.model, subject: "job-run/\(id)",
                                     details: Self.jsonObject(["job": slot.job, "slot": Timestamp.format(millis: slot.slot)])))
            return id
        }
    }

    public func finishJobRun(id: Int64, status: JobRunStatus, finishedAt: Int64, error: String?, output: String?) throws {
        try write { s in
            guard let row = try s.one("""
                UPDATE job_runs SET status = $1, finished_at = $2, error = $3, output = $4 WHERE id = $5
                RETURNING model, job, slot, owner, started_at
                """, [status.rawValue, finishedAt, error, output, id]) else { throw StoreError("no job run \(id)") }
            var details: [String: String] = ["job": try row.string(1), "slot": Timestamp.format(millis: try row.int(2)),
                                             "seconds": String(format: "%.3f", Double(finishedAt - (try row.int(4))) / 1000)]
            if let error { details["error"] = error }
            if let output { details["output"] = output }
            try Self.append(s, Event(ts: finishedAt, actor: try row.string(3), kind: "job.\(status.rawValue)", model: try row.string(0),
                                     subject: "job-run/\(id)", details: Self.jsonObject(details)))
        }
    }

    public func jobRuns(model: String?, limit: Int) throws -> [JobRun] {
        try pool.withSession { s in
            try s.query("""
                SELECT id, model, job, slot, owner, started_at, finished_at, status, attempts, error, output FROM job_runs
                WHERE ($1::text IS NULL OR model = $1) ORDER BY started_at DESC, id DESC LIMIT $2
                """, [model, limit]).map {
                JobRun(id: try $0.int(0), slot: JobSlot(model: try $0.string(1), job: try $0.string(2), slot: try $0.int(3)), owner: try $0.string(4),
                       startedAt: try $0.int(5), finishedAt: try $0.optionalInt(6), status: JobRunStatus(rawValue: try $0.string(7)) ?? .failed,
                       attempts: Int(try $0.int(8)), error: try $0.optionalString(9), output: try $0.optionalString(10))
            }
        }
    }

    public func evaluationRuns(model: String, window: TimeWindow) throws -> [(id: Int64, report: String)] {
        try pool.withSession { s in
            try s.query("""
                SELECT r.id, r.report FROM evaluation_runs r JOIN models m ON m.id = r.model_id
                WHERE m.name = $1 AND r.window_from = $2 AND r.window_to = $3 ORDER BY r.id
                """, [model, window.from, window.to]).map { (id: try $0.int(0), report: try $0.string(1)) }
        }
    }

    public func evaluationHistory(model: String, since: Int64, limit: Int) throws -> [StoredEvaluationRun] {
        try pool.withSession { s in
            // The newest run per window (a window re-evaluated keeps only its last run).
            try s.query("""
                SELECT r.id, r.created_at, r.window_from, r.window_to, r.report FROM evaluation_runs r
                JOIN models m ON m.id = r.model_id
                WHERE m.name = $1 AND r.window_to >= $2 AND r.id = (
                  SELECT MAX(o.id) FROM evaluation_runs o
                  WHERE o.model_id = r.model_id AND o.window_from = r.window_from AND o.window_to = r.window_to)
                ORDER BY r.window_to DESC, r.window_from DESC LIMIT $3
                """, [model, since, max(0, limit)]).reversed().map {
                StoredEvaluationRun(id: try $0.int(0), createdAt: try $0.int(1), window: TimeWindow(from: try $0.int(2), to: try $0.int(3)),
                                    report: try $0.string(4))
            }
        }
    }

    // MARK: Tokens

    public func createToken(_ token: APITokenRecord, actor: String) throws {
        try write { s in
            guard try s.one("INSERT INTO api_tokens(key, name, scopes, hash, created_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT (key) DO NOTHING RETURNING id",
                            [token.key, token.name, token.scopes.map(\.rawValue).joined(separator: ","), Data(token.hash), token.createdAt]) != nil else {
                throw StoreError("a token with key \(token.key) exists already")
            }
            let scopes = token.scopes.map { "\"\($0.rawValue)\"" }.joined(separator: ",")
            try Self.append(s, Event(ts: token.createdAt, actor: actor, kind: "token.create", model: nil, subject: "token/\(token.key)",
                                     details: "{\"scopes\":[\(scopes)]}"))
        }
    }

    public func tokens(includeRevoked: Bool) throws -> [APITokenRecord] {
        try pool.withSession { s in
            try s.query("""
                SELECT key, name, scopes, hash, created_at, revoked_at FROM api_tokens
                WHERE $1 OR revoked_at IS NULL ORDER BY id DESC
                """, [includeRevoked]).map { row in
                let scopes = try row.string(2).split(separator: ",").compactMap { TokenScope(rawValue: String($0)) }
                return APITokenRecord(key: try row.string(0), name: try row.string(1), scopes: scopes, hash: [UInt8](try row.data(3)),
                                      createdAt: try row.int(4), revokedAt: try row.optionalInt(5))
            }
        }
    }

    public func revokeToken(key: String, now: Int64, actor: String) throws -> Bool {
        try write { s in
            guard try s.execute("UPDATE api_tokens SET revoked_at = $1 WHERE key = $2 AND revoked_at IS NULL", [now, key]) == 1 else { return false }
            try Self.append(s, Event(ts: now, actor: actor, kind: "token.revoke", model: nil, subject: "token/\(key)", details: "{}"))
            return true
        }
    }
}
