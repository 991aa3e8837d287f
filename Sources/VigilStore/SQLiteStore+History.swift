import Foundation
import GRDB

extension SQLiteStore: EvaluationHistoryStore {
    public func evaluationHistory(model: String, since: Int64, limit: Int) throws -> [StoredEvaluationRun] {
        try queue.read { db in
            // The newest run per window (a window re-evaluated keeps only its last run).
            try Row.fetchAll(db, sql: """
                SELECT r.id, r.created_at, r.window_from, r.window_to, r.report FROM evaluation_runs r
                JOIN models m ON m.id = r.model_id
                WHERE m.name = ? AND r.window_to >= ? AND r.id = (
                  SELECT MAX(o.id) FROM evaluation_runs o
                  WHERE o.model_id = r.model_id AND o.window_from = r.window_from AND o.window_to = r.window_to)
                ORDER BY r.window_to DESC, r.window_from DESC LIMIT ?
                """, arguments: [model, since, max(0, limit)]).reversed().map {
                StoredEvaluationRun(id: $0["id"], createdAt: $0["created_at"],
                                    window: TimeWindow(from: $0["window_from"], to: $0["window_to"]), report: $0["report"])
            }
        }
    }
}
