import Foundation
import VigilCore

/// Model versions, aliases and their history, written once over the driver. Version numbers
/// and alias moves of one model are serialised by ``SQLConnection/lock(_:)``, so of two
/// promotions racing from the same champion the second sees the first's move.
extension SQLStore {
    public func registerVersion(_ d: ModelVersionDraft, now: Int64, actor: String) throws -> ModelVersion {
        try driver.write { c in
            try c.lock(Self.registryLock(d.model))
            let next = (try c.one("SELECT MAX(version) AS v FROM model_versions WHERE model = $1", [d.model])?.optionalInt("v") ?? 0) + 1
            try c.execute("""
                INSERT INTO model_versions(model, version, state, artifact_sha256, artifact_path, classes, parent_version, job_id,
                  data_fingerprint, lineage, card, created_at, created_by)
                VALUES ($1, $2, 'candidate', $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                """, [d.model, next, d.artifactSHA256, d.artifactPath, JSONText.array(d.classes), d.parentVersion, d.jobID,
                      d.dataFingerprint, d.lineage, d.card, now, actor])
            try c.append(Event(ts: now, actor: actor, kind: "registry.registered", model: d.model, subject: "version/\(next)",
                               details: JSONText.object(["sha256": d.artifactSHA256, "parent": d.parentVersion.map { "v\($0)" } ?? "",
                                                         "job": d.jobID.map(String.init) ?? ""])))
            return try Self.version(c, model: d.model, version: Int(next))!
        }
    }

    public func modelVersions(model: String) throws -> [ModelVersion] {
        try driver.read { c in
            try c.query("SELECT * FROM model_versions WHERE model = $1 ORDER BY version", [model]).map(Self.version(row:))
        }
    }

    public func modelVersion(model: String, version: Int) throws -> ModelVersion? {
        try driver.read { c in try Self.version(c, model: model, version: version) }
    }

    public func updateVersion(model: String, version: Int, state: VersionState?, card: String, now: Int64, actor: String) throws {
        try driver.write { c in
            guard try c.execute("UPDATE model_versions SET card = $1, state = COALESCE($2, state) WHERE model = $3 AND version = $4",
                                [card, state?.rawValue, model, version]) == 1 else {
                throw StoreError("\(model) has no version \(version): see `vigil registry list --model \(model)`")
            }
            try c.append(Event(ts: now, actor: actor, kind: "registry.updated", model: model, subject: "version/\(version)",
                               details: JSONText.object(["state": state?.rawValue ?? ""])))
        }
    }

    public func aliases(model: String) throws -> [String: Int] {
        try driver.read { c in
            var out: [String: Int] = [:]
            for row in try c.query("SELECT alias, version FROM model_aliases WHERE model = $1", [model]) {
                out[try row.string("alias")] = Int(try row.int("version"))
            }
            return out
        }
    }

    public func moveAlias(_ r: AliasMoveRequest) throws -> AliasMove {
        try driver.write { c in
            try c.lock(Self.registryLock(r.model))
            guard try Self.version(c, model: r.model, version: r.version) != nil else {
                throw StoreError("\(r.model) has no version \(r.version): see `vigil registry list --model \(r.model)`")
            }
            let current = try c.one("SELECT version FROM model_aliases WHERE model = $1 AND alias = $2", [r.model, r.alias])
                .map { Int(try $0.int("version")) }
            if r.checkExpected && current != r.expected {
                throw RegistryConflict(model: r.model, alias: r.alias, expected: r.expected, actual: current)
            }
            let upsert = """
                INSERT INTO model_aliases(model, alias, version, updated_at) VALUES ($1, $2, $3, $4)
                ON CONFLICT (model, alias) DO UPDATE SET version = excluded.version, updated_at = excluded.updated_at
                """
            try c.execute(upsert, [r.model, r.alias, r.version, r.now])
            if r.alias == "champion" {
                try c.execute("UPDATE model_versions SET state = 'promoted' WHERE model = $1 AND version = $2", [r.model, r.version])
                if let current, current != r.version {
                    try c.execute("UPDATE model_versions SET state = 'archived' WHERE model = $1 AND version = $2", [r.model, current])
                    try c.execute(upsert, [r.model, "previous_champion", current, r.now])
                }
                try c.execute("DELETE FROM model_aliases WHERE model = $1 AND alias = 'challenger' AND version = $2", [r.model, r.version])
            }
            let id = try c.insert("""
                INSERT INTO alias_moves(model, alias, from_version, to_version, kind, actor, ts, verdict, reason)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id
                """, [r.model, r.alias, current, r.version, r.kind.rawValue, r.actor, r.now, r.verdict, r.reason])
            try c.append(Event(ts: r.now, actor: r.actor, kind: r.kind.eventKind, model: r.model, subject: "alias/\(r.alias)",
                               details: JSONText.object(["from": current.map { "v\($0)" } ?? "", "to": "v\(r.version)", "reason": r.reason ?? ""])))
            return AliasMove(id: id, model: r.model, alias: r.alias, fromVersion: current, toVersion: r.version, kind: r.kind, actor: r.actor,
                             ts: r.now, verdict: r.verdict, reason: r.reason)
        }
    }

    public func aliasHistory(model: String?, limit: Int) throws -> [AliasMove] {
        try driver.read { c in
            try c.query("SELECT * FROM alias_moves WHERE (CAST($1 AS TEXT) IS NULL OR model = $1) ORDER BY id DESC LIMIT $2", [model, limit]).map {
                AliasMove(id: try $0.int("id"), model: try $0.string("model"), alias: try $0.string("alias"),
                          fromVersion: try $0.optionalInt("from_version").map(Int.init), toVersion: Int(try $0.int("to_version")),
                          kind: AliasMoveKind(rawValue: try $0.string("kind")) ?? .set, actor: try $0.string("actor"), ts: try $0.int("ts"),
                          verdict: try $0.optionalString("verdict"), reason: try $0.optionalString("reason"))
            }
        }
    }

    public func latestEvaluation(model: String) throws -> (runID: Int64, createdAt: Int64, findings: [(rule: String, severity: String)])? {
        try driver.read { c in
            guard let row = try c.one("""
                SELECT r.id, r.created_at FROM evaluation_runs r JOIN models m ON m.id = r.model_id WHERE m.name = $1 ORDER BY r.id DESC LIMIT 1
                """, [model]) else { return nil }
            let id = try row.int("id")
            let findings = try c.query("SELECT rule, severity FROM findings WHERE run_id = $1 ORDER BY rule \(c.dialect.bytewise)", [id])
                .map { (rule: try $0.string("rule"), severity: try $0.string("severity")) }
            return (id, try row.int("created_at"), findings)
        }
    }

    static func registryLock(_ model: String) -> String { "vigil.registry/" + model }

    static func version(_ c: any SQLConnection, model: String, version: Int) throws -> ModelVersion? {
        try c.one("SELECT * FROM model_versions WHERE model = $1 AND version = $2", [model, version]).map(Self.version(row:))
    }

    static func version(row: any SQLRow) throws -> ModelVersion {
        let classes = (try? JSONSerialization.jsonObject(with: Data(try row.string("classes").utf8))) as? [String] ?? []
        return ModelVersion(model: try row.string("model"), version: Int(try row.int("version")),
                            state: VersionState(rawValue: try row.string("state")) ?? .candidate,
                            artifactSHA256: try row.string("artifact_sha256"), artifactPath: try row.string("artifact_path"), classes: classes,
                            parentVersion: try row.optionalInt("parent_version").map(Int.init), jobID: try row.optionalInt("job_id"),
                            dataFingerprint: try row.optionalString("data_fingerprint"), lineage: try row.string("lineage"),
                            card: try row.string("card"), createdAt: try row.int("created_at"), createdBy: try row.string("created_by"))
    }
}

extension AliasMoveKind {
    /// The event a move logs; the HTML report marks `registry.promot…`, `registry.rollback…`
    /// and `registry.alias` as promotions.
    var eventKind: String {
        switch self {
        case .promote: "registry.promoted"
        case .override: "registry.promoted.override"
        case .rollback: "registry.rollback"
        case .set: "registry.alias"
        }
    }
}
