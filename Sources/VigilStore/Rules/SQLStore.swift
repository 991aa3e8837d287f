import Foundation
import VigilCore

/// A ``Store`` whose rules are written once, over a ``SQLDriver``: the review queue, labels and
/// their revisions, the registry and retraining jobs, alerts and the outbox, the scheduler,
/// tokens and the event log live in `extension SQLStore` (the files in `Rules/`). A backend
/// supplies its driver and writes only what truly differs: the bulk-ingest hot path, claim
/// locking, partitions and retention, migrations and `verify`.
public protocol SQLStore: Store {
    /// The database this store's rules run on.
    var driver: any SQLDriver { get }

    /// Writes labels inside the caller's transaction `c`, through this backend's label-ingest
    /// path (a review answer's ground truth goes the way ingested labels go). Refused records
    /// are counted in `outcome`.
    func writeLabels(_ c: any SQLConnection, _ batch: [LabelRecord], models: [Int64: ModelSchema], options: IngestOptions,
                     outcome: inout IngestOutcome) throws
}

extension SQLConnection {
    /// The stored id and schema of `model`, or `nil`.
    public func modelSchema(named name: String) throws -> (id: Int64, schema: ModelSchema)? {
        guard let row = try one("SELECT id, task FROM models WHERE name = $1", [name]) else { return nil }
        let id = try row.int("id")
        let classes = try query("SELECT name FROM model_classes WHERE model_id = $1 ORDER BY idx", [id]).map { try $0.string("name") }
        return (id, ModelSchema(name: name, task: ModelTask(rawValue: try row.string("task")) ?? .classification, classes: classes))
    }

    /// The stored id and schema of `model`; throws "unknown model" when there is none.
    public func requireModel(_ name: String) throws -> (id: Int64, schema: ModelSchema) {
        guard let found = try modelSchema(named: name) else {
            throw StoreError("unknown model '\(name)'")
        }
        return found
    }

    /// Every stored model by id.
    public func allModels() throws -> [Int64: ModelSchema] {
        var out: [Int64: ModelSchema] = [:]
        for name in try query("SELECT name FROM models", []).map({ try $0.string("name") }) {
            if let (id, schema) = try modelSchema(named: name) { out[id] = schema }
        }
        return out
    }

    /// Appends `event` to the log inside this transaction.
    public func append(_ e: Event) throws {
        try execute("INSERT INTO events(ts, actor, kind, model, subject, details) VALUES ($1, $2, $3, $4, $5, $6)",
                    [e.ts, e.actor, e.kind, e.model, e.subject, e.details])
    }
}
