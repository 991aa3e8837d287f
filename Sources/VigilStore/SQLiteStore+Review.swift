import Foundation
import GRDB
import VigilCore

/// What `vigil review` needs beyond claims and answers: resuming live claims and undo.
extension SQLiteStore {
    public func liveClaims(reviewer: String, model: String?, now: Int64) throws -> [ReviewClaim] {
        try queue.read { db in
            let ids = try Int64.fetchAll(db, sql: """
                SELECT a.id FROM review_assignments a JOIN review_items i ON i.id = a.item_id
                WHERE a.reviewer = ?1 AND a.state = 'claimed' AND a.lease_until > ?2
                  AND (?3 IS NULL OR i.model_id = (SELECT id FROM models WHERE name = ?3))
                ORDER BY a.id
                """, arguments: [reviewer, now, model])
            return try ids.map { try Self.claimRow(db, assignment: $0) }
        }
    }

    public func labeledItemCount(model: String?, since: Int64) throws -> Int {
        try queue.read { db in
            try Int.fetchOne(db, sql: """
                SELECT COUNT(DISTINCT a.item_id) FROM review_assignments a JOIN review_items i ON i.id = a.item_id
                WHERE a.state = 'labeled' AND a.finished_at >= ?1 AND (?2 IS NULL OR i.model_id = (SELECT id FROM models WHERE name = ?2))
                """, arguments: [since, model]) ?? 0
        }
    }

    public func undoLast(reviewer: String, model: String?, now: Int64, leaseMillis: Int64) throws -> ReviewClaim {
        try immediate { db in
            _ = try Self.expire(db, now: now)
            guard let last = try Row.fetchOne(db, sql: """
                SELECT a.id, a.item_id, a.state, a.gt_revision, i.prediction_seq, i.model_id, m.name, p.id AS pid
                FROM review_assignments a JOIN review_items i ON i.id = a.item_id JOIN models m ON m.id = i.model_id
                JOIN predictions p ON p.seq = i.prediction_seq
                WHERE a.reviewer = ?1 AND a.state IN ('labeled', 'skipped', 'flagged') AND (?2 IS NULL OR m.name = ?2)
                ORDER BY a.finished_at DESC, a.id DESC LIMIT 1
                """, arguments: [reviewer, model]) else {
                throw QueueError.cannotUndo("nothing to undo: you have no answers in this queue yet")
            }
            let assignment: Int64 = last["id"], item: Int64 = last["item_id"], seq: Int64 = last["prediction_seq"]
            // Used elsewhere: another reviewer has answered or claimed the item since.
            let others = try String.fetchAll(db, sql: """
                SELECT DISTINCT reviewer FROM review_assignments
                WHERE item_id = ? AND id > ? AND reviewer != ? AND state IN ('claimed', 'labeled', 'skipped', 'flagged')
                """, arguments: [item, assignment, reviewer])
            guard others.isEmpty else {
                throw QueueError.cannotUndo("cannot undo your answer on item \(item): \(others.joined(separator: ", ")) has reviewed or claimed it since; flag the item instead, or relabel it with `vigil ingest labels --relabel`")
            }
            if let written: Int64 = last["gt_revision"] {
                try Self.revertGroundTruth(db, seq: seq, revision: written, item: item, now: now, reviewer: reviewer)
            }
            try db.execute(sql: "UPDATE review_assignments SET state = 'undone', finished_at = ? WHERE id = ?", arguments: [now, assignment])
            try db.execute(sql: "UPDATE review_items SET state = 'open', reason = NULL WHERE id = ?", arguments: [item])
            try db.execute(sql: "INSERT INTO review_assignments(item_id, reviewer, state, claimed_at, lease_until) VALUES (?, ?, 'claimed', ?, ?)",
                           arguments: [item, reviewer, now, now + leaseMillis])
            let claim = try Self.claimRow(db, assignment: db.lastInsertedRowID)
            try Self.append(db, Event(ts: now, actor: reviewer, kind: "review.undo", model: last["name"], subject: last["pid"],
                                      details: Self.jsonObject(["item": String(item), "undone": (last["state"] as String)])))
            return claim
        }
    }

    /// Puts the ground truth of `seq` back to what it was before revision `revision`, which must
    /// still be the current one. Revisions are append-only, so the reversal is a new revision:
    /// the earlier content again, or a withdrawal (no label, no boxes, source `undo`) when the
    /// undone answer was the first label, in which case the current row is removed.
    static func revertGroundTruth(_ db: Database, seq: Int64, revision: Int64, item: Int64, now: Int64, reviewer: String) throws {
        guard let current = try Row.fetchOne(db, sql: """
            SELECT revision, label_idx, predicted_idx, ts, model_id FROM ground_truth WHERE prediction_seq = ?
            """, arguments: [seq]) else {
            throw QueueError.cannotUndo("cannot undo your answer on item \(item): its label has been removed since")
        }
        let currentRevision: Int64 = current["revision"]
        guard currentRevision == revision else {
            throw QueueError.cannotUndo("cannot undo your answer on item \(item): its ground truth has a later revision (\(currentRevision)); relabel it with `vigil ingest labels --relabel` instead")
        }
        let modelID: Int64 = current["model_id"], ts: Int64 = current["ts"]
        let predicted: Int64? = current["predicted_idx"], oldLabel: Int64? = current["label_idx"]
        func confusion(_ label: Int64?, _ count: Int64) throws {
            guard let label, let predicted else { return }
            try db.execute(sql: AggregateDelta.confusionUpsert, arguments: [modelID, ts / 3_600_000, label, predicted, count])
        }
        try confusion(oldLabel, -1)
        let next = revision + 1
        let previous = try Row.fetchOne(db, sql: """
            SELECT label_idx, boxes, content_hash, source, reviewer FROM ground_truth_revisions WHERE prediction_seq = ? AND revision = ?
            """, arguments: [seq, revision - 1])
        if let previous, (previous["label_idx"] as Int64?) != nil || (previous["boxes"] as String?) != nil {
            let label: Int64? = previous["label_idx"], boxes: String? = previous["boxes"], hash: Int64 = previous["content_hash"]
            let source: String = previous["source"], who: String? = previous["reviewer"]
            try db.execute(sql: """
                UPDATE ground_truth SET label_idx = ?, boxes = ?, revision = ?, content_hash = ?, source = ?, reviewer = ?, updated_at = ?
                WHERE prediction_seq = ?
                """, arguments: [label, boxes, next, hash, source, who, now, seq])
            try db.execute(sql: """
                INSERT INTO ground_truth_revisions(prediction_seq, revision, label_idx, boxes, content_hash, source, reviewer, created_at)
                VALUES (?, ?, ?, ?, ?, ?, ?, ?)
                """, arguments: [seq, next, label, boxes, hash, source, who, now])
            try confusion(label, 1)
        } else {
            try db.execute(sql: "DELETE FROM ground_truth WHERE prediction_seq = ?", arguments: [seq])
            try db.execute(sql: """
                INSERT INTO ground_truth_revisions(prediction_seq, revision, label_idx, boxes, content_hash, source, reviewer, created_at)
                VALUES (?, ?, NULL, NULL, 0, 'undo', ?, ?)
                """, arguments: [seq, next, reviewer, now])
        }
    }
}
