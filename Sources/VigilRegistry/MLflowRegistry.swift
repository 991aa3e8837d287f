import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VigilCore
import VigilStore

/// The MLflow backend: MLflow's Model Registry REST API 2.0 (`/api/2.0/mlflow/`).
///
/// | Vigil | MLflow |
/// | --- | --- |
/// | model | registered model (same name) |
/// | version | model version, `source` = `vigil-artifact://sha256/<hex>` |
/// | artifact hash, classes, state, parent, job, data fingerprint, lineage, card | version tags `vigil.sha256`, `vigil.classes`, `vigil.state`, `vigil.parent_version`, `vigil.job`, `vigil.data_fingerprint`, `vigil.lineage`, `vigil.card` |
/// | gate verdict | version tags `vigil.gate.passed`, `vigil.gate.metric`, `vigil.gate.candidate_value`, `vigil.gate.champion_value`, `vigil.gate.improvement`, `vigil.gate.p_value`, `vigil.gate.champion`, `vigil.gate.champion_basis`, `vigil.gate.reasons`, `vigil.gate.verdict` (JSON) |
/// | aliases `champion`, `challenger`, `previous_champion` | aliases of the same names |
/// | alias history | registered-model tags `vigil.move.<n>` (JSON) |
///
/// MLflow has no compare-and-set on aliases: the expected champion is checked just before the
/// move, so two promotions racing through MLflow within milliseconds are not serialised the
/// way the embedded registry's transaction serialises them.
///
/// ```swift
/// let registry = try MLflowRegistry(baseURL: "http://127.0.0.1:5000")
/// ```
public final class MLflowRegistry: ModelRegistry {
    public let baseURL: URL
    let session: URLSession
    let token: String?
    let timeout: Double

    /// `baseURL`: the tracking server (`http://host:port`); `token`: sent as `Authorization: Bearer`.
    public init(baseURL: String, token: String? = nil, timeout: Double = 30) throws {
        guard let url = URL(string: baseURL), url.scheme == "http" || url.scheme == "https" else {
            throw RegistryError(.invalidRequest, "vigil.yaml: registry.url: '\(baseURL)' is not an http(s) URL such as http://127.0.0.1:5000")
        }
        self.baseURL = url
        self.token = token
        self.timeout = timeout
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        session = URLSession(configuration: config)
    }

    /// An MLflow error answer.
    public struct APIError: Error, CustomStringConvertible {
        public var status: Int
        public var code: String
        public var message: String
        public var endpoint: String
        public var description: String { "MLflow \(endpoint): HTTP \(status) \(code): \(message)" }
    }

    // MARK: HTTP

    /// Calls `endpoint` (relative to `/api/2.0/mlflow/`) and returns the decoded JSON object.
    public func call(_ method: String, _ endpoint: String, query: [String: String] = [:], body: [String: Any]? = nil) throws -> [String: Any] {
        var components = URLComponents(url: baseURL.appendingPathComponent("api/2.0/mlflow/" + endpoint), resolvingAgainstBaseURL: false)!
        if !query.isEmpty { components.queryItems = query.sorted { $0.key < $1.key }.map { URLQueryItem(name: $0.key, value: $0.value) } }
        var request = URLRequest(url: components.url!)
        request.httpMethod = method
        request.timeoutInterval = timeout
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let body {
            request.httpBody = try JSONSerialization.data(withJSONObject: body)
            request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        }
        let slot = Slot()
        session.dataTask(with: request) { data, response, error in
            slot.fill(data, (response as? HTTPURLResponse)?.statusCode, error)
        }.resume()
        let (data, status, error) = slot.wait()
        if let error { throw RegistryError(.unavailable, "MLflow at \(baseURL.absoluteString) (\(endpoint)): \(error.localizedDescription). Is the server running? Check registry.url in vigil.yaml.") }
        let object = data.flatMap { try? JSONSerialization.jsonObject(with: $0) as? [String: Any] } ?? [:]
        guard let status, (200..<300).contains(status) else {
            throw APIError(status: status ?? 0, code: object["error_code"] as? String ?? "", message: object["message"] as? String
                           ?? String(decoding: data ?? Data(), as: UTF8.self), endpoint: endpoint)
        }
        return object
    }

    private final class Slot: @unchecked Sendable {
        private let done = DispatchSemaphore(value: 0)
        private var value: (Data?, Int?, (any Error)?) = (nil, nil, nil)
        func fill(_ d: Data?, _ s: Int?, _ e: (any Error)?) { value = (d, s, e); done.signal() }
        func wait() -> (Data?, Int?, (any Error)?) { done.wait(); return value }
    }

    /// Asks the server for one registered model: throws when it does not answer, refuses the
    /// token, or is not an MLflow tracking server (`vigil check`'s reachability probe).
    public func probe() throws {
        _ = try call("GET", "registered-models/search", query: ["max_results": "1"])
    }

    // MARK: ModelRegistry

    static func tags(_ pairs: [String: String]) -> [[String: String]] {
        pairs.sorted { $0.key < $1.key }.map { ["key": $0.key, "value": $0.value] }
    }

    func ensureModel(_ name: String) throws {
        do { _ = try call("POST", "registered-models/create", body: ["name": name]) } catch let e as APIError where e.code == "RESOURCE_ALREADY_EXISTS" {}
    }

    public func register(_ d: ModelVersionDraft, actor: String, now: Int64) throws -> ModelVersion {
        try ensureModel(d.model)
        var tags = ["vigil.sha256": d.artifactSHA256, "vigil.artifact_path": d.artifactPath, "vigil.classes": JSONText.array(d.classes),
                    "vigil.state": VersionState.candidate.rawValue, "vigil.lineage": d.lineage, "vigil.card": d.card,
                    "vigil.created_by": actor, "vigil.created_at": String(now)]
        if let p = d.parentVersion { tags["vigil.parent_version"] = String(p) }
        if let j = d.jobID { tags["vigil.job"] = String(j) }
        if let f = d.dataFingerprint { tags["vigil.data_fingerprint"] = f }
        let answer = try call("POST", "model-versions/create", body: [
            "name": d.model, "source": "vigil-artifact://sha256/\(d.artifactSHA256)", "tags": Self.tags(tags),
            "description": "registered by Vigil (\(actor))",
        ])
        guard let mv = answer["model_version"] as? [String: Any], let v = try parse(mv) else {
            throw RegistryError(.unavailable, "MLflow model-versions/create answered without a model version: \(answer)")
        }
        return v
    }

    func parse(_ mv: [String: Any]) throws -> ModelVersion? {
        guard let name = mv["name"] as? String, let number = (mv["version"] as? String).flatMap(Int.init) else { return nil }
        var tags: [String: String] = [:]
        for t in mv["tags"] as? [[String: Any]] ?? [] { if let k = t["key"] as? String { tags[k] = t["value"] as? String ?? "" } }
        let classes = (tags["vigil.classes"].flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String] }) ?? []
        let created = tags["vigil.created_at"].flatMap(Int64.init) ?? (mv["creation_timestamp"] as? Int64 ?? (mv["creation_timestamp"] as? NSNumber)?.int64Value ?? 0)
        return ModelVersion(model: name, version: number, state: VersionState(rawValue: tags["vigil.state"] ?? "") ?? .candidate,
                            artifactSHA256: tags["vigil.sha256"] ?? "", artifactPath: tags["vigil.artifact_path"] ?? (mv["source"] as? String ?? ""),
                            classes: classes, parentVersion: tags["vigil.parent_version"].flatMap(Int.init), jobID: tags["vigil.job"].flatMap(Int64.init),
                            dataFingerprint: tags["vigil.data_fingerprint"], lineage: tags["vigil.lineage"] ?? "{}", card: tags["vigil.card"] ?? "{}",
                            createdAt: created, createdBy: tags["vigil.created_by"] ?? "")
    }

    public func versions(model: String) throws -> [ModelVersion] {
        let answer = try call("GET", "model-versions/search", query: ["filter": "name='\(model.replacingOccurrences(of: "'", with: "\\'"))'"])
        return try (answer["model_versions"] as? [[String: Any]] ?? []).compactMap(parse).sorted { $0.version < $1.version }
    }

    public func version(model: String, version: Int) throws -> ModelVersion? {
        do {
            let answer = try call("GET", "model-versions/get", query: ["name": model, "version": String(version)])
            return try (answer["model_version"] as? [String: Any]).flatMap(parse)
        } catch let e as APIError where e.code == "RESOURCE_DOES_NOT_EXIST" { return nil }
    }

    func setTag(model: String, version: Int, _ key: String, _ value: String) throws {
        _ = try call("POST", "model-versions/set-tag", body: ["name": model, "version": String(version), "key": key, "value": value])
    }

    public func recordVerdict(_ v: GateVerdict, card: String, state: VersionState?, actor: String, now: Int64) throws {
        func number(_ x: Double?) -> String { x.map { String(format: "%.6f", $0) } ?? "" }
        let tags: [String: String] = [
            "vigil.gate.passed": v.passed ? "true" : "false", "vigil.gate.metric": v.metric,
            "vigil.gate.candidate_value": number(v.candidateValue), "vigil.gate.champion_value": number(v.championValue),
            "vigil.gate.improvement": number(v.improvement), "vigil.gate.p_value": number(v.pValue),
            "vigil.gate.champion": v.champion.map(String.init) ?? "", "vigil.gate.champion_basis": v.championBasis?.rawValue ?? "", "vigil.gate.reasons": v.reasons.joined(separator: "; "),
            "vigil.gate.verdict": v.json, "vigil.card": card,
        ]
        for (k, value) in tags.sorted(by: { $0.key < $1.key }) { try setTag(model: v.model, version: v.candidate, k, value) }
        if let state { try setTag(model: v.model, version: v.candidate, "vigil.state", state.rawValue) }
    }

    public func alias(_ name: String, model: String) throws -> Int? {
        do {
            let answer = try call("GET", "registered-models/alias", query: ["name": model, "alias": name])
            return ((answer["model_version"] as? [String: Any])?["version"] as? String).flatMap(Int.init)
        } catch let e as APIError where e.code == "INVALID_PARAMETER_VALUE" || e.code == "RESOURCE_DOES_NOT_EXIST" {
            return nil  // MLflow answers 400 "alias … not found"
        }
    }

    public func moveAlias(_ r: AliasMoveRequest) throws -> AliasMove {
        guard try version(model: r.model, version: r.version) != nil else {
            throw RegistryError(.notFound, "\(r.model) has no version \(r.version) in MLflow: see `vigil registry list --model \(r.model)`")
        }
        let current = try alias(r.alias, model: r.model)
        if r.checkExpected && current != r.expected {
            throw RegistryConflict(model: r.model, alias: r.alias, expected: r.expected, actual: current)
        }
        _ = try call("POST", "registered-models/alias", body: ["name": r.model, "alias": r.alias, "version": String(r.version)])
        if r.alias == "champion" {
            try setTag(model: r.model, version: r.version, "vigil.state", VersionState.promoted.rawValue)
            if let current, current != r.version {
                try setTag(model: r.model, version: current, "vigil.state", VersionState.archived.rawValue)
                _ = try call("POST", "registered-models/alias", body: ["name": r.model, "alias": "previous_champion", "version": String(current)])
            }
            if try alias("challenger", model: r.model) == r.version {
                _ = try call("DELETE", "registered-models/alias", body: ["name": r.model, "alias": "challenger"])
            }
        }
        let id = Int64((try history(model: r.model, limit: 1_000_000).first?.id ?? 0) + 1)
        let move = AliasMove(id: id, model: r.model, alias: r.alias, fromVersion: current, toVersion: r.version, kind: r.kind, actor: r.actor,
                             ts: r.now, verdict: r.verdict, reason: r.reason)
        _ = try call("POST", "registered-models/set-tag", body: ["name": r.model, "key": String(format: "vigil.move.%08lld", id),
                                                                 "value": compactJSON(move)])
        return move
    }

    public func history(model: String?, limit: Int) throws -> [AliasMove] {
        guard let model else { throw RegistryError(.invalidRequest, "the MLflow backend lists history per model: pass --model") }
        let answer: [String: Any]
        do { answer = try call("GET", "registered-models/get", query: ["name": model]) } catch let e as APIError where e.code == "RESOURCE_DOES_NOT_EXIST" { return [] }
        let tags = (answer["registered_model"] as? [String: Any])?["tags"] as? [[String: Any]] ?? []
        let moves = tags.compactMap { t -> AliasMove? in
            guard let k = t["key"] as? String, k.hasPrefix("vigil.move."), let v = t["value"] as? String else { return nil }
            return try? JSONDecoder().decode(AliasMove.self, from: Data(v.utf8))
        }
        return Array(moves.sorted { $0.id > $1.id }.prefix(limit))
    }
}
