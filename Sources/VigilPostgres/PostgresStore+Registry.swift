import Foundation
import VigilCore
import VigilStore

extension PostgresStore {
    /// One writer at a time per model's versions and aliases (version numbers, alias moves).
    static func registryLock(_ s: PostgresSession, model: String) throws {
        try s.execute("SELECT pg_advisory_xact_lock(hashtextextended($1, 0))", ["vigil.registry/" + model])
    }

    static let versionColumns = """
        model, version, state, artifact_sha256, artifact_path, classes, parent_version, job_id, data_fingerprint, lineage, card, created_at, created_by
        """

    // MARK: Versions

    public func registerVersion(_ d: ModelVersionDraft, now: Int64, actor: String) throws -> ModelVersion {
        try write { s in
            try Self.registryLock(s, model: d.model)
            let next = (try s.one("SELECT MAX(version) FROM model_versions WHERE model = $1", [d.model])?.optionalInt(0) ?? 0) + 1
            try s.execute("""
                INSERT INTO model_versions(\(Self.versionColumns))
                VALUES ($1, $2, 'candidate', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                """, [d.model, next, d.artifactSHA256, d.artifactPath, JSONText.array(d.classes), d.parentVersion.map(Int64.init), d.jobID,
                      d.dataFingerprint, d.lineage, d.card, now, actor])
            try Self.append(s, Event(ts: now, actor: actor, kind: "registry.registered", model: d.model, subject: "version/\(next)",
                                     details: JSONText.object(["sha256": d.artifactSHA256, "parent": d.parentVersion.map { "v\($0)" } ?? "",
                                                               "job": d.jobID.map(String.init) ?? ""])))
            return try Self.version(s, model: d.model, version: Int(next))!
        }
    }

    public func modelVersions(model: String) throws -> [ModelVersion] {
        try pool.withSession { s in
            try s.query("SELECT \(Self.versionColumns) FROM model_versions WHERE model = $1 ORDER BY version", [model]).map(Self.version(row:))
        }
    }

    public func modelVersion(model: String, version: Int) throws -> ModelVersion? {
        try pool.withSession { s in try Self.version(s, model: model, version: version) }
    }

    static func version(_ s: PostgresSession, model: String, version: Int) throws -> ModelVersion? {
        try s.one("SELECT \(versionColumns) FROM model_versions WHERE model = $1 AND version = $2", [model, version]).map(version(row:))
    }

    static func version(row: PostgresResultRow) throws -> ModelVersion {
        let classes = (try? JSONSerialization.jsonObject(with: Data(try row.string(5).utf8))) as? [String] ?? []
        return ModelVersion(model: try row.string(0), version: Int(try row.int(1)), state: VersionState(rawValue: try row.string(2)) ?? .candidate,
                            artifactSHA256: try row.string(3), artifactPath: try row.string(4), classes: classes,
                            parentVersion: try row.optionalInt(6).map(Int.init), jobID: try row.optionalInt(7), dataFingerprint: try row.optionalString(8),
                            lineage: try row.string(9), card: try row.string(10), createdAt: try row.int(11), createdBy: try row.string(12))
    }

    public func updateVersion(model: String, version: Int, state: VersionState?, card: String, now: Int64, actor: String) throws {
        try write { s in
            guard try s.execute("UPDATE model_versions SET card = $1, state = COALESCE($2, state) WHERE model = $3 AND version = $4",
                                [card, state?.rawValue, model, version]) == 1 else {
                throw StoreError("\(model) has no version \(version): see `vigil registry list --model \(model)`")
            }
            try Self.append(s, Event(ts: now, actor: actor, kind: "registry.updated", model: model, subject: "version/\(version)",
                                     details: JSONText.object(["state": state?.rawValue ?? ""])))
        }
    }

    // MARK: Aliases

    public func aliases(model: String) throws -> [String: Int] {
        try pool.withSession { s in
            var out: [String: Int] = [:]
            for row in try s.query("SELECT alias, version FROM model_aliases WHERE model = $1", [model]) { out[try row.string(0)] = Int(try row.int(1)) }
            return out
        }
    }

    public func moveAlias(_ r: AliasMoveRequest) throws -> AliasMove {
        try write { s in
            // Of two promotions racing from the same champion, the second sees the first's move.
            try Self.registryLock(s, model: r.model)
            guard try Self.version(s, model: r.model, version: r.version) != nil else {
                throw StoreError("\(r.model) has no version \(r.version): see `vigil registry list --model \(r.model)`")
            }
            let current = (try s.one("SELECT version FROM model_aliases WHERE model = $1 AND alias = $2", [r.model, r.alias])?.int(0)).map(Int.init)
            if r.checkExpected && current != r.expected {
                throw RegistryConflict(model: r.model, alias: r.alias, expected: r.expected, actual: current)
            }
            let upsert = """
                INSERT INTO model_aliases(model, alias, version, updated_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (model, alias) DO UPDATE SET version = EXCLUDED.version, updated_at = EXCLUDED.updated_at
                """
            try s.execute(upsert, [r.model, r.alias, r.version, r.now])
            if r.alias == "champion" {
                try s.execute("UPDATE model_versions SET state = 'promoted' WHERE model = $1 AND version = $2", [r.model, r.version])
                if let current, current != r.version {
                    try s.execute("UPDATE model_versions SET state = 'archived' WHERE model = $1 AND version = $2", [r.model, current])
                    try s.execute(upsert, [r.model, "previous_champion", current, r.now])
                }
                try s.execute("DELETE FROM model_aliases WHERE model = $1 AND alias = 'challenger' AND version = $2", [r.model, r.version])
            }
            let id = try s.one("""
                INSERT INTO alias_moves(model, alias, from_version, to_version, kind, actor, ts, verdict, reason)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
                """, [r.model, r.alias, current, r.version, r.kind.rawValue, r.actor, r.now, r.verdict, r.reason])!.int(0)
            let kind = switch r.kind {
            case .promote: "registry.promoted"
            case .override: "registry.promoted.override"
            case .rollback: "registry.rollback"
            case .set: "registry.alias"
            }
            try Self.append(s, Event(ts: r.now, actor: r.actor, kind: kind, model: r.model, subject: "alias/\(r.alias)",
                                     details: JSONText.object(["from": current.map { "v\($0)" } ?? "", "to": "v\(r.version)", "reason": r.reason ?? ""])))
            return AliasMove(id: id, model: r.model, alias: r.alias, fromVersion: current, toVersion: r.version, kind: r.kind, actor: r.actor,
                             ts: r.now, verdict: r.verdict, reason: r.reason)
        }
    }

    public func aliasHistory(model: String?, limit: Int) throws -> [AliasMove] {
        try pool.withSession { s in
            try s.query("""
                SELECT id, model, alias, from_version, to_version, kind, actor, ts, verdict, reason FROM alias_moves
                WHERE ($1::text IS NULL OR model = $1) ORDER BY id DESC LIMIT $2
                """, [model, limit]).map {
                AliasMove(id: try $0.int(0), model: try $0.string(1), alias: try $0.string(2), fromVersion: try $0.optionalInt(3).map(Int.init),
                          toVersion: Int(try $0.int(4)), kind: AliasMoveKind(rawValue: try $0.string(5)) ?? .set, actor: try $0.string(6),
                          ts: try $0.int(7), verdict: try $0.optionalString(8), reason: try $0.optionalString(9))
            }
        }
    }

    // MARK: Retraining jobs

    static let jobColumns = """
        id, model, state, trigger, trainer, cause, attempts, max_attempts, owner, pid, lease_until, created_at, started_at, finished_at, error, log, candidate_version
        """

    public func createRetrainJob(_ d: RetrainJobDraft, now: Int64, actor: String) throws -> RetrainJobRecord {
        try write { s in
            let id = try s.one("""
                INSERT INTO retrain_jobs(model, state, trigger, trainer, cause, max_attempts, created_at) VALUES ($1, 'queued', $2, $3, $4, $5, $6) RETURNING id
                """, [d.model, d.trigger, d.trainer, d.cause, d.maxAttempts, now])!.int(0)
            try Self.append(s, Event(ts: now, actor: actor, kind: "retrain.queued", model: d.model, subject: "retrain/\(id)",
                                     details: JSONText.object(["trigger": d.trigger, "trainer": d.trainer])))
            return try Self.job(s, id: id)!
        }
    }

    public func claimRetrainJob(model: String?, id: Int64?, owner: String, pid: Int32, now: Int64, leaseMillis: Int64) throws -> RetrainJobRecord? {
        try write { s in
            guard let jobID = try s.one("""
                SELECT id FROM retrain_jobs WHERE state = 'queued' AND ($1::text IS NULL OR model = $1) AND ($2::bigint IS NULL OR id = $2)
                ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED
                """, [model, id])?.int(0) else { return nil }
            try s.execute("""
                UPDATE retrain_jobs SET state = 'running', owner = $1, pid = $2, lease_until = $3, started_at = $4, attempts = attempts + 1,
                  error = NULL, finished_at = NULL WHERE id = $5
                """, [owner, pid, now + leaseMillis, now, jobID])
            let job = try Self.job(s, id: jobID)!
            try Self.append(s, Event(ts: now, actor: owner, kind: "retrain.started", model: job.model, subject: "retrain/\(jobID)",
                                     details: JSONText.object(["attempt": String(job.attempts), "pid": String(pid)])))
            return job
        }
    }

    public func renewRetrainJob(id: Int64, owner: String, now: Int64, leaseMillis: Int64) throws {
        try pool.withSession { s in
            _ = try s.execute("UPDATE retrain_jobs SET lease_until = $1 WHERE id = $2 AND owner = $3 AND state = 'running'", [now + leaseMillis, id, owner])
        }
    }

    public func finishRetrainJob(id: Int64, state: RetrainJobState, now: Int64, error: String?, log: String?, candidateVersion: Int?) throws {
        try write { s in
            guard let job = try Self.job(s, id: id, lock: true) else { throw StoreError("no retraining job \(id): see `vigil retrain list`") }
            if state == .cancelled && ![.queued, .running].contains(job.state) {
                throw StoreError("retraining job \(id) is already \(job.state.rawValue); only queued or running jobs can be cancelled")
            }
            try s.execute("""
                UPDATE retrain_jobs SET state = $1, finished_at = $2, error = $3, log = COALESCE($4, log), candidate_version = $5, lease_until = NULL
                WHERE id = $6
                """, [state.rawValue, now, error, log, candidateVersion.map(Int64.init), id])
            var details = ["attempt": String(job.attempts)]
            if let error { details["error"] = error }
            if let candidateVersion { details["candidate"] = "v\(candidateVersion)" }
            try Self.append(s, Event(ts: now, actor: job.owner ?? "cli", kind: "retrain.\(state.rawValue)", model: job.model,
                                     subject: "retrain/\(id)", details: JSONText.object(details)))
        }
    }

    public func expireRetrainLeases(now: Int64) throws -> [RetrainJobRecord] {
        try write { s in
            let ids = try s.query("SELECT id FROM retrain_jobs WHERE state = 'running' AND lease_until < $1 ORDER BY id FOR UPDATE SKIP LOCKED", [now])
                .map { try $0.int(0) }
            var out: [RetrainJobRecord] = []
            for id in ids {
                let job = try Self.job(s, id: id)!
                let retry = job.attempts < job.maxAttempts
                let message = "lease expired: process \(job.pid.map(String.init) ?? "?") on \(job.owner ?? "?") stopped renewing it (attempt \(job.attempts) of \(job.maxAttempts))"
                try s.execute("UPDATE retrain_jobs SET state = $1, error = $2, finished_at = $3, lease_until = NULL WHERE id = $4",
                              [retry ? "queued" : "failed", message, retry ? Int64?.none : now, id])
                try Self.append(s, Event(ts: now, actor: "scheduler", kind: "retrain.failed", model: job.model, subject: "retrain/\(id)",
                                         details: JSONText.object(["error": message, "retry": retry ? "queued again" : "no attempts left"])))
                out.append(try Self.job(s, id: id)!)
            }
            return out
        }
    }

    public func retrainJobs(model: String?, limit: Int) throws -> [RetrainJobRecord] {
        try pool.withSession { s in
            try s.query("SELECT \(Self.jobColumns) FROM retrain_jobs WHERE ($1::text IS NULL OR model = $1) ORDER BY id DESC LIMIT $2",
                        [model, limit]).map(Self.job(row:))
        }
    }

    public func retrainJob(id: Int64) throws -> RetrainJobRecord? {
        try pool.withSession { s in try Self.job(s, id: id) }
    }

    static func job(_ s: PostgresSession, id: Int64, lock: Bool = false) throws -> RetrainJobRecord? {
        try s.one("SELECT \(jobColumns) FROM retrain_jobs WHERE id = $1\(lock ? " FOR UPDATE" : "")", [id]).map(job(row:))
    }

    static func job(row: PostgresResultRow) throws -> RetrainJobRecord {
        RetrainJobRecord(id: try row.int(0), model: try row.string(1), state: RetrainJobState(rawValue: try row.string(2)) ?? .failed,
                         trigger: try row.string(3), trainer: try row.string(4), cause: try row.string(5), attempts: Int(try row.int(6)),
                         maxAttempts: Int(try row.int(7)), owner: try row.optionalString(8), pid: try row.optionalInt(9).map { Int32($0) },
                         leaseUntil: try row.optionalInt(10), createdAt: try row.int(11), startedAt: try row.optionalInt(12),
                         finishedAt: try row.optionalInt(13), error: try row.optionalString(14), log: try row.optionalString(15),
                         candidateVersion: try row.optionalInt(16).map(Int.init))
    }

    // MARK: Training data

    public func forEachReviewedPrediction(model: String, _ body: (ReviewedPrediction) throws -> Void) throws {
        let rows = try read { s in
            let (modelID, _) = try Self.requireSchema(s, name: model)
            return try s.query("""
                SELECT p.id, p.ts, COALESCE(p.payload, '{}'), p.label_idx, p.score, g.label_idx, g.boxes, g.updated_at,
                  (SELECT i.gold_label_idx IS NOT NULL FROM review_items i WHERE i.prediction_seq = p.seq)
                FROM ground_truth g JOIN predictions p ON p.seq = g.prediction_seq AND p.ts = g.ts
                WHERE g.model_id = $1 ORDER BY g.ts, g.prediction_seq
                """, [modelID])
        }
        for row in rows {
            try body(ReviewedPrediction(id: try row.string(0), ts: try row.int(1), payload: try row.string(2), predictedIndex: try row.optionalInt(3).map(Int.init),
                                        score: try row.optionalDouble(4), labelIndex: try row.optionalInt(5).map(Int.init), boxes: try row.optionalString(6),
                                        isGold: try row.optionalBool(8) ?? false, labeledAt: try row.int(7)))
        }
    }

    public func labelCount(model: String, since: Int64) throws -> Int {
        try pool.withSession { s in
            guard let (modelID, _) = try Self.schema(s, name: model) else { return 0 }
            return Int(try s.one("SELECT COUNT(*) FROM ground_truth WHERE model_id = $1 AND updated_at > $2", [modelID, since])!.int(0))
        }
    }

    public func latestEvaluation(model: String) throws -> (runID: Int64, createdAt: Int64, findings: [(rule: String, severity: String)])? {
        try read { s in
            guard let row = try s.one("""
                SELECT r.id, r.created_at FROM evaluation_runs r JOIN models m ON m.id = r.model_id WHERE m.name = $1 ORDER BY r.id DESC LIMIT 1
                """, [model]) else { return nil }
            let id = try row.int(0)
            let findings = try s.query("SELECT rule, severity FROM findings WHERE run_id = $1 ORDER BY rule COLLATE \"C\"", [id])
                .map { (rule: try $0.string(0), severity: try $0.string(1)) }
            return (id, try row.int(1), findings)
        }
    }
}
