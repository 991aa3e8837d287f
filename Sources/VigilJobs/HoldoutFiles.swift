import Foundation
import VigilCore
import VigilRegistry

/// Reads a job's holdout files back into the gate's input: the truth, the candidate's
/// predictions (the trainer's `predictions.ndjson`) and the champion's, aligned by id.
///
/// The champion's are its own run on the holdout (`{champion_predictions}`, written by the
/// trainer) when that file exists; otherwise the predictions served in production on those
/// items (the export's `champion-predictions.ndjson`), and the gate says so.
public enum HoldoutFiles {
    /// A job's holdout, and what its champion predictions are.
    public struct Loaded: Sendable {
        public var holdout: GateHoldout
        public var championBasis: ChampionBasis
    }

    /// One line of a predictions or truth file: `{"id","label"}` or `{"id","boxes"}`.
    struct Entry {
        var label: Int
        var boxes: [DetectionBox]
    }

    static func read(_ path: String, schema: ModelSchema, what: String) throws -> [String: Entry] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw JobError("cannot read \(what) \(path)") }
        var out: [String: Entry] = [:]
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: true).enumerated() {
            guard let object = try? JSONSerialization.jsonObject(with: Data(raw.utf8)) as? [String: Any], let id = object["id"] as? String else {
                throw JobError("\(path):\(n + 1): not a JSON object with an \"id\" (see docs/registry.md, \"Trainer contract\")")
            }
            var entry = Entry(label: -1, boxes: [])
            if let name = object["label"] as? String { entry.label = schema.index(of: name) ?? -1 }
            if let boxes = object["boxes"] {
                let json = String(decoding: try JSONSerialization.data(withJSONObject: boxes), as: UTF8.self)
                do { entry.boxes = try DetectionBox.parse(json: json, schema: schema) } catch {
                    throw JobError("\(path):\(n + 1): boxes: \(error)")
                }
            }
            out[id] = entry
        }
        return out
    }

    /// The holdout of the job folder `directory`, with the candidate's predictions at
    /// `candidatePredictions` and the champion's run on the holdout at `championHoldoutPredictions`
    /// (`nil` or a missing file: the served predictions are used instead).
    public static func load(directory: String, candidatePredictions: String, championHoldoutPredictions: String?, schema: ModelSchema) throws -> Loaded {
        let export = RetrainExport(directory: directory, task: schema.task)
        guard let text = try? String(contentsOfFile: export.holdoutTruth, encoding: .utf8) else {
            throw JobError("cannot read the holdout of \(directory): the job folder is incomplete")
        }
        let ids = text.split(separator: "\n").compactMap { (try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String }
        let truth = try read(export.holdoutTruth, schema: schema, what: "the holdout truth")
        let candidate = try read(candidatePredictions, schema: schema, what: "the candidate's holdout predictions")
        let ran = championHoldoutPredictions.flatMap { FileManager.default.fileExists(atPath: $0) ? $0 : nil }
        let champion = try ran.map { try read($0, schema: schema, what: "the champion's holdout predictions ({champion_predictions})") }
            ?? read(export.servedChampionPredictions, schema: schema, what: "the champion's served predictions")
        let basis: ChampionBasis = ran == nil ? .servedPredictions : .holdoutRun
        if schema.task == .detection {
            return Loaded(holdout: .detection(truth: ids.map { truth[$0]?.boxes ?? [] }, candidate: ids.map { candidate[$0]?.boxes ?? [] },
                                              champion: ids.map { champion[$0]?.boxes ?? [] }), championBasis: basis)
        }
        return Loaded(holdout: .classification(truth: ids.map { truth[$0]?.label ?? -1 }, candidate: ids.map { candidate[$0]?.label ?? -1 },
                                                champion: ids.map { champion[$0]?.label ?? -1 }), championBasis: basis)
    }
}
