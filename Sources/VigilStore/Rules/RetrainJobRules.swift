import Foundation
import VigilCore

/// Retraining jobs under a lease (queued → running → succeeded / failed / cancelled; a lease
/// that runs out queues the job again while it has attempts left), and the training data they
/// read, written once over the driver.
extension SQLStore {
    public func createRetrainJob(_ d: RetrainJobDraft, now: Int64, actor: String) throws -> RetrainJobRecord {
        try driver.write { c in
            let id = try c.insert("""
                INSERT INTO retrain_jobs(model, state, trigger, trainer, cause, max_attempts, created_at)
                VALUES ($1, 'queued', $2, $3, $4, $5, $6) RETURNING id
                """, [d.model, d.trigger, d.trainer, d.cause, d.maxAttempts, now])
            try c.append(Event(ts: now, actor: actor, kind: "retrain.queued", model: d.model, subject: "retrain/\(id)",
                               details: JSONText.object(["trigger": d.trigger, "trainer": d.trainer])))
            return try Self.job(c, id: id)!
        }
    }

    public func claimRetrainJob(model: String?, id: Int64?, owner: String, pid: Int32, now: Int64, leaseMillis: Int64) throws -> RetrainJobRecord? {
        try driver.write { c in
            guard let jobID = try c.one("""
                SELECT id FROM retrain_jobs
                WHERE state = 'queued' AND (CAST($1 AS TEXT) IS NULL OR model = $1) AND (CAST($2 AS BIGINT) IS NULL OR id = $2)
                ORDER BY id LIMIT 1 \(c.dialect.claimRows)
                """, [model, id])?.int("id") else { return nil }
            try c.execute("""
                UPDATE retrain_jobs SET state = 'running', owner = $1, pid = $2, lease_until = $3, started_at = $4, attempts = attempts + 1,
                  error = NULL, finished_at = NULL WHERE id = $5
                """, [owner, pid, now + leaseMillis, now, jobID])
            let job = try Self.job(c, id: jobID)!
            try c.append(Event(ts: now, actor: owner, kind: "retrain.started", model: job.model, subject: "retrain/\(jobID)",
                               details: JSONText.object(["attempt": String(job.attempts), "pid": String(pid)])))
            return job
        }
    }

    public func renewRetrainJob(id: Int64, owner: String, now: Int64, leaseMillis: Int64) throws {
        try driver.write { c in
            try c.execute("UPDATE retrain_jobs SET lease_until = $1 WHERE id = $2 AND owner = $3 AND state = 'running'", [now + leaseMillis, id, owner])
        }
    }

    public func finishRetrainJob(id: Int64, state: RetrainJobState, now: Int64, error: String?, log: String?, candidateVersion: Int?) throws {
        try driver.write { c in
            guard let job = try Self.job(c, id: id, lock: true) else { throw StoreError("no retraining job \(id): see `vigil retrain list`") }
            if state == .cancelled && ![.queued, .running].contains(job.state) {
                throw StoreError("retraining job \(id) is already \(job.state.rawValue); only queued or running jobs can be cancelled")
            }
            try c.execute("""
                UPDATE retrain_jobs SET state = $1, finished_at = $2, error = $3, log = COALESCE($4, log), candidate_version = $5, lease_until = NULL
                WHERE id = $6
                """, [state.rawValue, now, error, log, candidateVersion, id])
            var details = ["attempt": String(job.attempts)]
            if let error { details["error"] = error }
            if let candidateVersion { details["candidate"] = "v\(candidateVersion)" }
            try c.append(Event(ts: now, actor: job.owner ?? "cli", kind: "retrain.\(state.rawValue)", model: job.model,
                               subject: "retrain/\(id)", details: JSONText.object(details)))
        }
    }

    public func expireRetrainLeases(now: Int64) throws -> [RetrainJobRecord] {
        try driver.write { c in
            let ids = try c.query("SELECT id FROM retrain_jobs WHERE state = 'running' AND lease_until < $1 ORDER BY id \(c.dialect.claimRows)", [now])
                .map { try $0.int("id") }
            var out: [RetrainJobRecord] = []
            for id in ids {
                let job = try Self.job(c, id: id)!
                let retry = job.attempts < job.maxAttempts
                let message = "lease expired: process \(job.pid.map(String.init) ?? "?") on \(job.owner ?? "?") stopped renewing it (attempt \(job.attempts) of \(job.maxAttempts))"
                try c.execute("UPDATE retrain_jobs SET state = $1, error = $2, finished_at = $3, lease_until = NULL WHERE id = $4",
                              [retry ? "queued" : "failed", message, retry ? Int64?.none : now, id])
                try c.append(Event(ts: now, actor: "scheduler", kind: "retrain.failed", model: job.model, subject: "retrain/\(id)",
                                   details: JSONText.object(["error": message, "retry": retry ? "queued again" : "no attempts left"])))
                out.append(try Self.job(c, id: id)!)
            }
            return out
        }
    }

    public func retrainJobs(model: String?, limit: Int) throws -> [RetrainJobRecord] {
        try driver.read { c in
            try c.query("SELECT * FROM retrain_jobs WHERE (CAST($1 AS TEXT) IS NULL OR model = $1) ORDER BY id DESC LIMIT $2", [model, limit])
                .map(Self.job(row:))
        }
    }

    public func retrainJob(id: Int64) throws -> RetrainJobRecord? {
        try driver.read { c in try Self.job(c, id: id) }
    }

    public func forEachReviewedPrediction(model: String, _ body: (ReviewedPrediction) throws -> Void) throws {
        try driver.read { c in
            let (modelID, _) = try c.requireModel(model)
            try c.forEachRow("""
                SELECT p.id, p.ts, COALESCE(p.payload, '{}') AS payload, p.label_idx AS predicted, p.score, g.label_idx, g.boxes, g.updated_at,
                  (SELECT i.gold_label_idx IS NOT NULL FROM review_items i WHERE i.prediction_seq = p.seq) AS gold
                FROM ground_truth g JOIN predictions p ON p.seq = g.prediction_seq AND p.ts = g.ts
                WHERE g.model_id = $1 ORDER BY g.ts, g.prediction_seq
                """, [modelID]) { row in
                try body(ReviewedPrediction(id: try row.string("id"), ts: try row.int("ts"), payload: try row.string("payload"),
                                            predictedIndex: try row.optionalInt("predicted").map(Int.init), score: try row.optionalDouble("score"),
                                            labelIndex: try row.optionalInt("label_idx").map(Int.init), boxes: try row.optionalString("boxes"),
                                            isGold: try row.optionalBool("gold") ?? false, labeledAt: try row.int("updated_at")))
            }
        }
    }

    public func labelCount(model: String, since: Int64) throws -> Int {
        try driver.read { c in
            guard let (modelID, _) = try c.modelSchema(named: model) else { return 0 }
            return Int(try c.one("SELECT COUNT(*) AS n FROM ground_truth WHERE model_id = $1 AND updated_at > $2", [modelID, since])!.int("n"))
        }
    }

    static func job(_ c: any SQLConnection, id: Int64, lock: Bool = false) throws -> RetrainJobRecord? {
        try c.one("SELECT * FROM retrain_jobs WHERE id = $1 \(lock ? c.dialect.lockRows : "")", [id]).map(Self.job(row:))
    }

    static func job(row: any SQLRow) throws -> RetrainJobRecord {
        RetrainJobRecord(id: try row.int("id"), model: try row.string("model"), state: RetrainJobState(rawValue: try row.string("state")) ?? .failed,
                         trigger: try row.string("trigger"), trainer: try row.string("trainer"), cause: try row.string("cause"),
                         attempts: Int(try row.int("attempts")), maxAttempts: Int(try row.int("max_attempts")), owner: try row.optionalString("owner"),
                         pid: try row.optionalInt("pid").map { Int32($0) }, leaseUntil: try row.optionalInt("lease_until"),
                         createdAt: try row.int("created_at"), startedAt: try row.optionalInt("started_at"),
                         finishedAt: try row.optionalInt("finished_at"), error: try row.optionalString("error"), log: try row.optionalString("log"),
                         candidateVersion: try row.optionalInt("candidate_version").map(Int.init))
    }
}
