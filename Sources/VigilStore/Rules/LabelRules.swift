import Foundation
import VigilCore

/// The ground truth a prediction has now, as a label write sees it.
public struct CurrentTruth: Sendable, Equatable {
    public var revision: Int64
    public var contentHash: Int64
    public var labelIndex: Int64?

    public init(revision: Int64, contentHash: Int64, labelIndex: Int64?) {
        self.revision = revision
        self.contentHash = contentHash
        self.labelIndex = labelIndex
    }
}

/// What one label record does to its prediction's ground truth.
public enum LabelDecision: Sendable, Equatable {
    /// Refused: nothing is written; `field` and `reason` go to the rejects file.
    case reject(field: String?, reason: String)
    /// The same content is stored already.
    case duplicate
    /// The first label (or the first after an undo withdrew one): a new current row at `revision`.
    case insert(labelIndex: Int64?, revision: Int64)
    /// A different label replaces the current one as a new revision (only when relabelling is allowed).
    case relabel(labelIndex: Int64?, revision: Int64, previousLabel: Int64?)

    /// The change to the per-hour confusion counts for a prediction whose model predicted
    /// `predicted`: (observed label, +1 or −1).
    public func confusionChanges(predicted: Int64?) -> [(label: Int64, count: Int64)] {
        guard predicted != nil else { return [] }
        var changes: [(label: Int64, count: Int64)] = []
        switch self {
        case .reject, .duplicate: break
        case .insert(let label, _):
            if let label { changes.append((label, 1)) }
        case .relabel(let label, _, let previous):
            if let previous { changes.append((previous, -1)) }
            if let label { changes.append((label, 1)) }
        }
        return changes
    }
}

/// The label rules every path to ground truth follows (`vigil ingest labels`, the HTTP API, a
/// review answer), written once for both backends; each backend only reads what they need and
/// writes what they decide.
public enum LabelRules {
    /// The refusal for a label whose prediction is not stored.
    public static let unknownPrediction = (field: "prediction_id", reason: "no prediction with this id is stored: ingest the predictions first")

    /// The decision for `record` on a prediction of a model with `schema`, given its current
    /// truth. `lastRevision` is asked only for a first label: revisions are append-only, so a
    /// label withdrawn by an undo left some behind and the new one continues after them.
    public static func decide(_ record: LabelRecord, schema: ModelSchema, current: CurrentTruth?, allowRelabel: Bool,
                              lastRevision: () throws -> Int64?) rethrows -> LabelDecision {
        var labelIndex: Int64?
        switch schema.task {
        case .classification:
            guard let label = record.label else {
                return .reject(field: "boxes", reason: "prediction of classification model '\(schema.name)': give 'label', not 'boxes'")
            }
            guard let k = schema.index(of: label) else { return .reject(field: "label", reason: "'\(label)' is not a class of model '\(schema.name)'") }
            labelIndex = Int64(k)
        case .detection:
            guard record.boxesJSON != nil else {
                return .reject(field: "label", reason: "prediction of detection model '\(schema.name)': give 'boxes', not 'label'")
            }
            if let bad = record.boxLabels.firstIndex(where: { schema.index(of: $0) == nil }) {
                return .reject(field: "boxes[\(bad)].label", reason: "'\(record.boxLabels[bad])' is not a class of model '\(schema.name)'")
            }
        }
        guard let current else { return .insert(labelIndex: labelIndex, revision: (try lastRevision() ?? 0) + 1) }
        if current.contentHash == record.contentHash { return .duplicate }
        guard allowRelabel else {
            return .reject(field: record.label != nil ? "label" : "boxes",
                           reason: "conflict: this prediction already has a different label (revision \(current.revision)); pass --relabel to record a new revision")
        }
        return .relabel(labelIndex: labelIndex, revision: current.revision + 1, previousLabel: current.labelIndex)
    }

    /// The event a relabel logs.
    public static func relabelEvent(_ record: LabelRecord, model: String, revision: Int64, options: IngestOptions) -> Event {
        Event(ts: options.now, actor: record.reviewer ?? options.actor, kind: "label.relabel", model: model, subject: record.predictionID,
              details: "{\"revision\":\(revision),\"line\":\(record.line)}")
    }
}
