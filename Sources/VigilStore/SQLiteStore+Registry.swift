import Foundation
import GRDB
import VigilCore

extension SQLiteStore: RegistryStore {
    // MARK: Versions

    public func registerVersion(_ d: ModelVersionDraft, now: Int64, actor: String) throws -> ModelVersion {
        try immediate { db in
            let next = (try Int.fetchOne(db, sql: "SELECT MAX(version) FROM model_versions WHERE model = ?", arguments: [d.model]) ?? 0) + 1
            try db.execute(sql: """
                INSERT INTO model_versions(model, version, state, artifact_sha256, artifact_path, classes, parent_version, job_id,
                  data_fingerprint, lineage, card, created_at, created_by)
                VALUES (?, ?, 'candidate', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [d.model, next, d.artifactSHA256, d.artifactPath, JSONText.array(d.classes), d.parentVersion, d.jobID,
                                 d.dataFingerprint, d.lineage, d.card, now, actor])
            try Self.append(db, Event(ts: now, actor: actor, kind: "registry.registered", model: d.model, subject: "version/\(next)",
                                      details: JSONText.object(["sha256": d.artifactSHA256, "parent": d.parentVersion.map { "v\($0)" } ?? "",
                                                                "job": d.jobID.map(String.init) ?? ""])))
            return try Self.version(db, model: d.model, version: next)!
        }
    }

    public func modelVersions(model: String) throws -> [ModelVersion] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM model_versions WHERE model = ? ORDER BY version", arguments: [model]).map(Self.version(row:))
        }
    }

    public func modelVersion(model: String, version: Int) throws -> ModelVersion? {
        try queue.read { db in try Self.version(db, model: model, version: version) }
    }

    static func version(_ db: Database, model: String, version: Int) throws -> ModelVersion? {
        try Row.fetchOne(db, sql: "SELECT * FROM model_versions WHERE model = ? AND version = ?", arguments: [model, version]).map(version(row:))
    }

    static func version(row: Row) -> ModelVersion {
        let classes = (try? JSONSerialization.jsonObject(with: Data((row["classes"] as String).utf8))) as? [String] ?? []
        return ModelVersion(model: row["model"], version: row["version"], state: VersionState(rawValue: row["state"]) ?? .candidate,
                            artifactSHA256: row["artifact_sha256"], artifactPath: row["artifact_path"], classes: classes,
                            parentVersion: row["parent_version"], jobID: row["job_id"], dataFingerprint: row["data_fingerprint"],
                            lineage: row["lineage"], card: row["card"], createdAt: row["created_at"], createdBy: row["created_by"])
    }

    public func updateVersion(model: String, version: Int, state: VersionState?, card: String, now: Int64, actor: String) throws {
        try immediate { db in
            try db.execute(sql: "UPDATE model_versions SET card = ?, state = COALESCE(?, state) WHERE model = ? AND version = ?",
                           arguments: [card, state?.rawValue, model, version])
            guard db.changesCount == 1 else { throw StoreError("\(model) has no version \(version): see `vigil registry list --model \(model)`") }
            try Self.append(db, Event(ts: now, actor: actor, kind: "registry.updated", model: model, subject: "version/\(version)",
                                      details: JSONText.object(["state": state?.rawValue ?? ""])))
        }
    }

    // MARK: Aliases

    public func aliases(model: String) throws -> [String: Int] {
        try queue.read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT alias, version FROM model_aliases WHERE model = ?", arguments: [model]) {
                out[row["alias"]] = row["version"]
            }
            return out
        }
    }

    public func moveAlias(_ r: AliasMoveRequest) throws -> AliasMove {
        try immediate { db in
            guard try Self.version(db, model: r.model, version: r.version) != nil else {
                throw StoreError("\(r.model) has no version \(r.version): see `vigil registry list --model \(r.model)`")
            }
            let current = try Int.fetchOne(db, sql: "SELECT version FROM model_aliases WHERE model = ? AND alias = ?", arguments: [r.model, r.alias])
            if r.checkExpected && current != r.expected {
                throw RegistryConflict(model: r.model, alias: r.alias, expected: r.expected, actual: current)
            }
            try db.execute(sql: """
                INSERT INTO model_aliases(model, alias, version, updated_at) VALUES (?, ?, ?, ?)
                ON CONFLICT(model, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at
                """, arguments: [r.model, r.alias, r.version, r.now])
            if r.alias == "champion" {
                try db.execute(sql: "UPDATE model_versions SET state = 'promoted' WHERE model = ? AND version = ?", arguments: [r.model, r.version])
                if let current, current != r.version {
                    try db.execute(sql: "UPDATE model_versions SET state = 'archived' WHERE model = ? AND version = ?", arguments: [r.model, current])
                    try db.execute(sql: """
                        INSERT INTO model_aliases(model, alias, version, updated_at) VALUES (?, 'previous_champion', ?, ?)
                        ON CONFLICT(model, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at
                        """, arguments: [r.model, current, r.now])
                }
                try db.execute(sql: "DELETE FROM model_aliases WHERE model = ? AND alias = 'challenger' AND version = ?", arguments: [r.model, r.version])
            }
            try db.execute(sql: """
                INSERT INTO alias_moves(model, alias, from_version, to_version, kind, actor, ts, verdict, reason)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [r.model, r.alias, current, r.version, r.kind.rawValue, r.actor, r.now, r.verdict, r.reason])
            let id = db.lastInsertedRowID
            // Kinds the HTML report marks as promotions (registry.promot…, registry.rollback…, registry.alias).
            let kind = switch r.kind {
            case .promote: "registry.promoted"
            case .override: "registry.promoted.override"
            case .rollback: "registry.rollback"
            case .set: "registry.alias"
            }
            try Self.append(db, Event(ts: r.now, actor: r.actor, kind: kind, model: r.model,
                                      subject: "alias/\(r.alias)",
                                      details: JSONText.object(["from": current.map { "v\($0)" } ?? "", "to": "v\(r.version)", "reason": r.reason ?? ""])))
            return AliasMove(id: id, model: r.model, alias: r.alias, fromVersion: current, toVersion: r.version, kind: r.kind, actor: r.actor,
                             ts: r.now, verdict: r.verdict, reason: r.reason)
        }
    }

    public func aliasHistory(model: String?, limit: Int) throws -> [AliasMove] {
        try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT * FROM alias_moves WHERE (?1 IS NULL OR model = ?1) ORDER BY id DESC LIMIT ?2
                """, arguments: [model, limit]).map {
                AliasMove(id: $0["id"], model: $0["model"], alias: $0["alias"], fromVersion: $0["from_version"], toVersion: $0["to_version"],
                          kind: AliasMoveKind(rawValue: $0["kind"]) ?? .set, actor: $0["actor"], ts: $0["ts"], verdict: $0["verdict"], reason: $0["reason"])
            }
        }
    }

    // MARK: Retraining jobs

    public func createRetrainJob(_ d: RetrainJobDraft, now: Int64, actor: String) throws -> RetrainJobRecord {
        try immediate { db in
            try db.execute(sql: """
                INSERT INTO retrain_jobs(model, state, trigger, trainer, cause, max_attempts, created_at) VALUES (?, 'queued', ?, ?, ?, ?, ?)
                """, arguments: [d.model, d.trigger, d.trainer, d.cause, d.maxAttempts, now])
            let id = db.lastInsertedRowID
            try Self.append(db, Event(ts: now, actor: actor, kind: "retrain.queued", model: d.model, subject: "retrain/\(id)",
                                      details: JSONText.object(["trigger": d.trigger, "trainer": d.trainer])))
            return try Self.job(db, id: id)!
        }
    }

    public func claimRetrainJob(model: String?, id: Int64?, owner: String, pid: Int32, now: Int64, leaseMillis: Int64) throws -> RetrainJobRecord? {
        try immediate { db in
            guard let jobID = try Int64.fetchOne(db, sql: """
                SELECT id FROM retrain_jobs WHERE state = 'queued' AND (?1 IS NULL OR model = ?1) AND (?2 IS NULL OR id = ?2) ORDER BY id LIMIT 1
                """, arguments: [model, id]) else { return nil }
            try db.execute(sql: """
                UPDATE retrain_jobs SET state = 'running', owner = ?, pid = ?, lease_until = ?, started_at = ?, attempts = attempts + 1,
                  error = NULL, finished_at = NULL WHERE id = ?
                """, arguments: [owner, pid, now + leaseMillis, now, jobID])
            let job = try Self.job(db, id: jobID)!
            try Self.append(db, Event(ts: now, actor: owner, kind: "retrain.started", model: job.model, subject: "retrain/\(jobID)",
                                      details: JSONText.object(["attempt": String(job.attempts), "pid": String(pid)])))
            return job
        }
    }

    public func renewRetrainJob(id: Int64, owner: String, now: Int64, leaseMillis: Int64) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE retrain_jobs SET lease_until = ? WHERE id = ? AND owner = ? AND state = 'running'",
                           arguments: [now + leaseMillis, id, owner])
        }
    }

    public func finishRetrainJob(id: Int64, state: RetrainJobState, now: Int64, error: String?, log: String?, candidateVersion: Int?) throws {
        try immediate { db in
            guard let job = try Self.job(db, id: id) else { throw StoreError("no retraining job \(id): see `vigil retrain list`") }
            if state == .cancelled && ![.queued, .running].contains(job.state) {
                throw StoreError("retraining job \(id) is already \(job.state.rawValue); only queued or running jobs can be cancelled")
            }
            try db.execute(sql: """
                UPDATE retrain_jobs SET state = ?, finished_at = ?, error = ?, log = COALESCE(?, log), candidate_version = ?, lease_until = NULL
                WHERE id = ?
                """, arguments: [state.rawValue, now, error, log, candidateVersion, id])
            var details = ["attempt": String(job.attempts)]
            if let error { details["error"] = error }
            if let candidateVersion { details["candidate"] = "v\(candidateVersion)" }
            try Self.append(db, Event(ts: now, actor: job.owner ?? "cli", kind: "retrain.\(state.rawValue)", model: job.model,
                                      subject: "retrain/\(id)", details: JSONText.object(details)))
        }
    }

    public func expireRetrainLeases(now: Int64) throws -> [RetrainJobRecord] {
        try immediate { db in
            let ids = try Int64.fetchAll(db, sql: "SELECT id FROM retrain_jobs WHERE state = 'running' AND lease_until < ? ORDER BY id", arguments: [now])
            var out: [RetrainJobRecord] = []
            for id in ids {
                let job = try Self.job(db, id: id)!
                let retry = job.attempts < job.maxAttempts
                let message = "lease expired: process \(job.pid.map(String.init) ?? "?") on \(job.owner ?? "?") stopped renewing it (attempt \(job.attempts) of \(job.maxAttempts))"
                try db.execute(sql: "UPDATE retrain_jobs SET state = ?, error = ?, finished_at = ?, lease_until = NULL WHERE id = ?",
                               arguments: [retry ? "queued" : "failed", message, retry ? nil : now, id])
                try Self.append(db, Event(ts: now, actor: "scheduler", kind: "retrain.failed", model: job.model, subject: "retrain/\(id)",
                                          details: JSONText.object(["error": message, "retry": retry ? "queued again" : "no attempts left"])))
                out.append(try Self.job(db, id: id)!)
            }
            return out
        }
    }

    public func retrainJobs(model: String?, limit: Int) throws -> [RetrainJobRecord] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT * FROM retrain_jobs WHERE (?1 IS NULL OR model = ?1) ORDER BY id DESC LIMIT ?2",
                             arguments: [model, limit]).map(Self.job(row:))
        }
    }

    public func retrainJob(id: Int64) throws -> RetrainJobRecord? {
        try queue.read { db in try Self.job(db, id: id) }
    }

    static func job(_ db: Database, id: Int64) throws -> RetrainJobRecord? {
        try Row.fetchOne(db, sql: "SELECT * FROM retrain_jobs WHERE id = ?", arguments: [id]).map(job(row:))
    }

    static func job(row: Row) -> RetrainJobRecord {
        RetrainJobRecord(id: row["id"], model: row["model"], state: RetrainJobState(rawValue: row["state"]) ?? .failed, trigger: row["trigger"],
                         trainer: row["trainer"], cause: row["cause"], attempts: row["attempts"], maxAttempts: row["max_attempts"],
                         owner: row["owner"], pid: row["pid"], leaseUntil: row["lease_until"], createdAt: row["created_at"],
                         startedAt: row["started_at"], finishedAt: row["finished_at"], error: row["error"], log: row["log"],
                         candidateVersion: row["candidate_version"])
    }

    // MARK: Training data

    public func forEachReviewedPrediction(model: String, _ body: (ReviewedPrediction) throws -> Void) throws {
        try queue.read { db in
            guard let (modelID, _) = try Self.schema(db, name: model) else { throw StoreError("unknown model '\(model)'") }
            let rows = try Row.fetchCursor(db, sql: """
                SELECT p.id, p.ts, COALESCE(p.payload, '{}') AS payload, p.label_idx AS predicted, p.score, g.label_idx, g.boxes, g.updated_at,
                  (SELECT i.gold_label_idx IS NOT NULL FROM review_items i WHERE i.prediction_seq = p.seq) AS gold
                FROM ground_truth g JOIN predictions p ON p.seq = g.prediction_seq
                WHERE g.model_id = ? ORDER BY g.ts, g.prediction_seq
                """, arguments: [modelID])
            while let row = try rows.next() {
                try body(ReviewedPrediction(id: row["id"], ts: row["ts"], payload: row["payload"], predictedIndex: row["predicted"], score: row["score"],
                                            labelIndex: row["label_idx"], boxes: row["boxes"], isGold: (row["gold"] as Bool?) ?? false,
                                            labeledAt: row["updated_at"]))
            }
        }
    }

    public func labelCount(model: String, since: Int64) throws -> Int {
        try queue.read { db in
            guard let (modelID, _) = try Self.schema(db, name: model) else { return 0 }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM ground_truth WHERE model_id = ? AND updated_at > ?", arguments: [modelID, since]) ?? 0
        }
    }

    public func latestEvaluation(model: String) throws -> (runID: Int64, createdAt: Int64, findings: [(rule: String, severity: String)])? {
        try queue.read { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT r.id, r.created_at FROM evaluation_runs r JOIN models m ON m.id = r.model_id WHERE m.name = ? ORDER BY r.id DESC LIMIT 1
                """, arguments: [model]) else { return nil }
            let id: Int64 = row["id"]
            let findings = try Row.fetchAll(db, sql: "SELECT rule, severity FROM findings WHERE run_id = ? ORDER BY rule", arguments: [id])
                .map { (rule: $0["rule"] as String, severity: $0["severity"] as String) }
            return (id, row["created_at"], findings)
        }
    }
}
