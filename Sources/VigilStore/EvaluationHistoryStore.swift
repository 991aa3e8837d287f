import Foundation
import VigilCore

/// Reading back stored evaluation runs over time, for reports and trend lines.
public protocol EvaluationHistoryStore {
    /// The newest stored run of each evaluated window of `model` whose window ends at or after
    /// `since` (ms), oldest window first, at most the `limit` newest windows.
    func evaluationHistory(model: String, since: Int64, limit: Int) throws -> [StoredEvaluationRun]
    /// The stored run `id` of `model` (also one a later run of its window superseded, or an
    /// ad-hoc one), or `nil` when `model` has no run with that id.
    func evaluationRun(model: String, id: Int64) throws -> StoredEvaluationRun?
}

