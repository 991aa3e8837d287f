import Foundation
import Testing
import VigilCore
import VigilPostgres
@testable import VigilStore

/// Instants of the conformance data: the day 2026-10-01 (UTC) and hours after its midnight.
enum When {
    static let hour: Int64 = 3_600_000
    static let day: Int64 = 86_400_000
    /// 2026-10-01T00:00:00Z.
    static let t0: Int64 = Timestamp.parseMillis("2026-10-01T00:00:00Z")!

    /// `t0` plus `hours` hours and `minutes` minutes.
    static func at(_ hours: Int64, _ minutes: Int64 = 0) -> Int64 { t0 + hours * hour + minutes * 60_000 }

    static func iso(_ ms: Int64) -> String { Timestamp.format(millis: ms) }
}

/// One conformance case: a fresh, empty store of `backend` with the classifier `shelf`
/// (can, jar, box) and the detector `dock` (pallet, person), reached only through `any Store`.
struct Conformance {
    let backend: Backend
    let t: TestStore
    let catalog: ModelCatalog
    var store: any Store { t.store }

    init(_ backend: Backend) throws {
        self.backend = backend
        t = try backend.makeStore()
        catalog = try t.store.syncModels([classifierSchema, detectorSchema], now: 0)
    }

    /// Ingests NDJSON prediction lines (parsed with the real parser), in one batch.
    @discardableResult
    func ingest(_ lines: [String], now: Int64 = 0) throws -> IngestOutcome {
        try store.ingestPredictions(options: .init(now: now), nextBatch: batches([predictions(lines, catalog: catalog)]), progress: { _ in })
    }

    /// Ingests NDJSON label lines, in one batch.
    @discardableResult
    func label(_ lines: [String], now: Int64 = 0, relabel: Bool = false) throws -> IngestOutcome {
        try store.ingestLabels(options: .init(now: now, allowRelabel: relabel), nextBatch: batches([labels(lines)]), progress: { _ in })
    }

    /// The seq of each prediction of `model` that is neither queued nor labelled, by id (the
    /// lines of ``cls(_:_:score:at:attributes:embedding:)`` and ``det(_:at:boxes:)`` carry
    /// their id as `input.uri`).
    func seqs(_ model: String = "shelf") throws -> [String: Int64] {
        var out: [String: Int64] = [:]
        try store.forEachSamplingCandidate(model: model, window: TimeWindow(from: 0, to: Int64.max / 2), passes: 1, attribute: nil) { _, c in
            guard let payload = c.payload, let uri = Conformance.uri(String(decoding: payload, as: UTF8.self)) else { return }
            out[uri] = c.seq
        }
        return out
    }

    static func uri(_ payload: String) -> String? {
        guard let object = try? JSONSerialization.jsonObject(with: Data(payload.utf8)) as? [String: Any],
              let input = object["input"] as? [String: Any] else { return nil }
        return input["uri"] as? String
    }

    /// Queues the predictions `ids` of `model` (uniform, π = `probability`), returns their seqs.
    @discardableResult
    func queue(_ ids: [String], model: String = "shelf", probability: Double = 0.5, reviews: Int = 1, now: Int64 = When.t0,
               onDisagreement: DisagreementRule = .keepTruth) throws -> [Int64] {
        let all = try seqs(model)
        let picked = ids.map { all[$0]! }
        let drafts = picked.map {
            ReviewItemDraft(predictionSeq: $0, strategy: .uniform, inclusionProbability: probability, reviewsRequired: reviews, onDisagreement: onDisagreement)
        }
        _ = try store.enqueue(drafts, model: model, sampleRun: "setup", now: now, actor: "test")
        return picked
    }

    /// Every labelled prediction of `model`, by id: (label index, boxes, labelled at).
    func truth(_ model: String = "shelf") throws -> [String: ReviewedPrediction] {
        var out: [String: ReviewedPrediction] = [:]
        try store.forEachReviewedPrediction(model: model) { out[$0.id] = $0 }
        return out
    }

    /// The newest events of `kind` (any model).
    func events(_ kind: String, model: String? = nil) throws -> [Event] {
        try store.events(model: model, kind: kind, limit: 100)
    }

    /// The detail object of an event as strings.
    static func details(_ e: Event) -> [String: String] {
        guard let object = try? JSONSerialization.jsonObject(with: Data(e.details.utf8)) as? [String: Any] else { return [:] }
        return object.mapValues { "\($0)" }
    }
}

/// A classification prediction line of `shelf` (or `model`), with its id as `input.uri`.
func cls(_ id: String, _ label: String, score: Double? = 0.9, at ms: Int64, model: String = "shelf",
         attributes: [String: String] = [:], embedding: String? = nil) -> String {
    var input = "\"uri\":\"\(id)\""
    if !attributes.isEmpty {
        input += ",\"attributes\":{" + attributes.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\"\($0.value)\"" }.joined(separator: ",") + "}"
    }
    if let embedding { input += ",\"embedding\":\(embedding)" }
    let scoreField = score.map { ",\"score\":\($0)" } ?? ""
    return "{\"id\":\"\(id)\",\"ts\":\"\(When.iso(ms))\",\"model\":\"\(model)\",\"label\":\"\(label)\"\(scoreField),\"input\":{\(input)}}"
}

/// A detection prediction line of `dock` with `boxes` (label, score) at fixed positions.
func det(_ id: String, at ms: Int64, boxes: [(String, Double)]) -> String {
    let list = boxes.enumerated().map { i, b in "{\"label\":\"\(b.0)\",\"score\":\(b.1),\"bbox\":[\(i * 10),0,5,5]}" }.joined(separator: ",")
    return "{\"id\":\"\(id)\",\"ts\":\"\(When.iso(ms))\",\"model\":\"dock\",\"boxes\":[\(list)],\"input\":{\"uri\":\"\(id)\"}}"
}

/// A label line.
func truthLine(_ id: String, _ label: String, reviewer: String? = nil) -> String {
    "{\"prediction_id\":\"\(id)\",\"label\":\"\(label)\"" + (reviewer.map { ",\"reviewer\":\"\($0)\"" } ?? "") + "}"
}

/// A boxes label line for `dock`.
func boxesLine(_ id: String, _ labels: [String]) -> String {
    let list = labels.enumerated().map { i, l in "{\"label\":\"\(l)\",\"bbox\":[\(i * 10),0,5,5]}" }.joined(separator: ",")
    return "{\"prediction_id\":\"\(id)\",\"boxes\":[\(list)]}"
}

/// An evaluation run of `model` over `window` with `findings` (rule, severity).
func run(_ model: String = "shelf", at createdAt: Int64, window: TimeWindow, findings: [(String, Severity)] = [], report: String = "{}") -> EvaluationRunRecord {
    EvaluationRunRecord(model: model, createdAt: createdAt, window: window, status: .ok, labeled: 3,
                        findings: findings.map { Finding(rule: $0.0, metric: "accuracy", className: nil, severity: $0.1, value: 0.5, interval: nil,
                                                         warning: 0.8, critical: 0.6, evidence: 10, message: "\($0.0) is 0.5") },
                        reportJSON: report, actor: "tester")
}

/// The error `body` throws, or `nil`.
func thrown(_ body: () throws -> Void) -> (any Error)? {
    do { try body(); return nil } catch { return error }
}
