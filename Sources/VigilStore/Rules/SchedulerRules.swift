import Foundation
import VigilCore

/// Schedule slots (each claimed by one tick, taken over only after its lease passed), the
/// stored evaluation runs of a window, and the evaluation history, written once over the driver.
extension SQLStore {
    public func claimSlot(_ slot: JobSlot, owner: String, now: Int64, leaseMillis: Int64) throws -> Int64? {
        try driver.write { c in
            let details = JSONText.object(["job": slot.job, "slot": Timestamp.format(millis: slot.slot)])
            // The UNIQUE (model, job, slot) row decides: of any number of ticks, one inserts it.
            if let id = try c.one("""
                INSERT INTO job_runs(model, job, slot, owner, lease_until, started_at, status)
                VALUES ($1, $2, $3, $4, $5, $6, 'running') ON CONFLICT (model, job, slot) DO NOTHING RETURNING id
                """, [slot.model, slot.job, slot.slot, owner, now + leaseMillis, now])?.int("id") {
                try c.append(Event(ts: now, actor: owner, kind: "job.started", model: slot.model, subject: "job-run/\(id)", details: details))
                return id
            }
            // Taken: take it over only when its owner's lease has passed without an end. The
            // UPDATE re-checks the lease on the row's latest version, so one taker wins.
            guard let id = try c.one("""
                UPDATE job_runs SET owner = $1, lease_until = $2, started_at = $3, attempts = attempts + 1
                WHERE model = $4 AND job = $5 AND slot = $6 AND status = 'running' AND lease_until < $7 RETURNING id
                """, [owner, now + leaseMillis, now, slot.model, slot.job, slot.slot, now])?.int("id") else { return nil }
            try c.append(Event(ts: now, actor: owner, kind: "job.taken-over", model: slot.model, subject: "job-run/\(id)", details: details))
            return id
        }
    }

    public func finishJobRun(id: Int64, status: JobRunStatus, finishedAt: Int64, error: String?, output: String?) throws {
        try driver.write { c in
            guard let row = try c.one("""
                UPDATE job_runs SET status = $1, finished_at = $2, error = $3, output = $4 WHERE id = $5
                RETURNING model, job, slot, owner, started_at
                """, [status.rawValue, finishedAt, error, output, id]) else { throw StoreError("no job run \(id)") }
            var details: [String: String] = ["job": try row.string("job"), "slot": Timestamp.format(millis: try row.int("slot")),
                                             "seconds": String(format: "%.3f", Double(finishedAt - (try row.int("started_at"))) / 1000)]
            if let error { details["error"] = error }
            if let output { details["output"] = output }
            try c.append(Event(ts: finishedAt, actor: try row.string("owner"), kind: "job.\(status.rawValue)", model: try row.string("model"),
                               subject: "job-run/\(id)", details: JSONText.object(details)))
        }
    }

    public func jobRuns(model: String?, limit: Int) throws -> [JobRun] {
        try driver.read { c in
            try c.query("""
                SELECT id, model, job, slot, owner, started_at, finished_at, status, attempts, error, output FROM job_runs
                WHERE (CAST($1 AS TEXT) IS NULL OR model = $1) ORDER BY started_at DESC, id DESC LIMIT $2
                """, [model, limit]).map {
                JobRun(id: try $0.int("id"), slot: JobSlot(model: try $0.string("model"), job: try $0.string("job"), slot: try $0.int("slot")),
                       owner: try $0.string("owner"), startedAt: try $0.int("started_at"), finishedAt: try $0.optionalInt("finished_at"),
                       status: JobRunStatus(rawValue: try $0.string("status")) ?? .failed, attempts: Int(try $0.int("attempts")),
                       error: try $0.optionalString("error"), output: try $0.optionalString("output"))
            }
        }
    }

    public func evaluationRuns(model: String, window: TimeWindow) throws -> [(id: Int64, report: String)] {
        try driver.read { c in
            try c.query("""
                SELECT r.id, r.report FROM evaluation_runs r JOIN models m ON m.id = r.model_id
                WHERE m.name = $1 AND r.window_from = $2 AND r.window_to = $3 ORDER BY r.id
                """, [model, window.from, window.to]).map { (id: try $0.int("id"), report: try $0.string("report")) }
        }
    }

    public func evaluationHistory(model: String, since: Int64, limit: Int) throws -> [StoredEvaluationRun] {
        try driver.read { c in
            // The newest run per window (a window re-evaluated keeps only its last run).
            try c.query("""
                SELECT r.id, r.created_at, r.window_from, r.window_to, r.report FROM evaluation_runs r
                JOIN models m ON m.id = r.model_id
                WHERE m.name = $1 AND r.window_to >= $2 AND r.id = (
                  SELECT MAX(o.id) FROM evaluation_runs o
                  WHERE o.model_id = r.model_id AND o.window_from = r.window_from AND o.window_to = r.window_to)
                ORDER BY r.window_to DESC, r.window_from DESC LIMIT $3
                """, [model, since, max(0, limit)]).reversed().map(Self.storedRun)
        }
    }

    public func evaluationRun(model: String, id: Int64) throws -> StoredEvaluationRun? {
        try driver.read { c in
            try c.one("""
                SELECT r.id, r.created_at, r.window_from, r.window_to, r.report FROM evaluation_runs r
                JOIN models m ON m.id = r.model_id WHERE m.name = $1 AND r.id = $2
                """, [model, id]).map(Self.storedRun)
        }
    }

    static func storedRun(_ row: any SQLRow) throws -> StoredEvaluationRun {
        StoredEvaluationRun(id: try row.int("id"), createdAt: try row.int("created_at"),
                            window: TimeWindow(from: try row.int("window_from"), to: try row.int("window_to")), report: try row.string("report"))
    }
}
