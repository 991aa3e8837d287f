import Foundation
import VigilCore

/// Review answers and their undo, written once over the driver: an answer, its event, its
/// ground truth (with revision and confusion counts) and the revision it wrote commit together
/// or not at all; undo takes an answer back while nobody else has touched the item since.
extension SQLStore {
    @discardableResult
    public func submit(_ answers: [ReviewSubmission], reviewer: String, now: Int64) throws -> [AnswerEffect] {
        try driver.write { c in
            try answers.map { try record(c, $0, reviewer: reviewer, now: now) }
        }
    }

    /// Records one answer and, for a label or boxes, its ground truth inside the caller's
    /// transaction. A refused label leaves the claim live, so the reviewer can answer again.
    func record(_ c: any SQLConnection, _ answer: ReviewSubmission, reviewer: String, now: Int64) throws -> AnswerEffect {
        let (assignment, outcome) = (answer.assignment, answer.outcome)
        let claim = try Self.liveClaim(c, assignment: assignment, reviewer: reviewer, now: now)
        let item = claim.item
        // The item is locked: of two reviewers answering a double-reviewed item at once, the
        // second counts the first's answer and marks the item done.
        try c.execute("SELECT 1 FROM review_items WHERE id = $1 \(c.dialect.lockRows)", [item])
        guard let modelName = try c.one("SELECT name FROM models WHERE id = $1", [claim.modelID])?.string("name"),
              let (_, schema) = try c.modelSchema(named: modelName) else { throw StoreError("the item's model is missing") }
        let predictionID = try c.one("SELECT id FROM prediction_ids WHERE seq = $1", [claim.seq])?.string("id") ?? ""
        // A label or boxes finish the assignment; the item is done when it has all its reviews.
        func finishLabeled(labelIndex: Int?, boxes: String?) throws {
            try c.execute("UPDATE review_assignments SET state = 'labeled', finished_at = $1, label_idx = $2, boxes = $3 WHERE id = $4",
                          [now, labelIndex, boxes, assignment])
            let done = try c.one("SELECT COUNT(*) AS n FROM review_assignments WHERE item_id = $1 AND state = 'labeled'", [item])!.int("n")
            if done >= claim.required {
                try c.execute("UPDATE review_items SET state = 'done', closed_by = COALESCE(closed_by, $1) WHERE id = $2", [ReviewAnswer.source, item])
            }
        }
        func finishUnlabeled(_ state: String, reason: String?) throws {
            try c.execute("UPDATE review_assignments SET state = $1, finished_at = $2, reason = $3 WHERE id = $4", [state, now, reason, assignment])
        }
        func log(_ kind: String, _ details: [String: String?]) throws {
            try c.append(Event(ts: now, actor: reviewer, kind: kind, model: modelName, subject: predictionID, details: JSONText.object(details)))
        }
        // Gold items already have their answer: the reviewer's answer scores the reviewer.
        let labelRecord: LabelRecord?
        switch outcome {
        case .label(let label):
            let k = try ReviewAnswer.labelIndex(label, schema: schema, item: item, model: modelName)
            try finishLabeled(labelIndex: k, boxes: nil)
            try log("review.label", ["label": label, "item": String(item)])
            labelRecord = claim.gold != nil ? nil : ReviewAnswer.labelRecord(predictionID: predictionID, label: label, reviewer: reviewer)
        case .boxes(let boxes):
            try ReviewAnswer.checkBoxes(boxes, schema: schema, item: item, model: modelName)
            try finishLabeled(labelIndex: nil, boxes: ReviewedBox.answerJSON(boxes))
            try log("review.boxes", ReviewAnswer.verdictCounts(boxes, item: item).mapValues { Optional($0) })
            labelRecord = claim.gold != nil ? nil : ReviewAnswer.boxesRecord(predictionID: predictionID, boxes: boxes, reviewer: reviewer)
        case .skip(let reason):
            try finishUnlabeled("skipped", reason: reason)
            try log("review.skip", ["reason": reason ?? "", "item": String(item)])
            labelRecord = nil
        case .flag(let reason):
            try finishUnlabeled("flagged", reason: reason)
            try c.execute("UPDATE review_items SET state = 'flagged', reason = $1 WHERE id = $2", [reason, item])
            try log("review.flag", ["reason": reason, "item": String(item)])
            labelRecord = nil
        }
        guard let labelRecord else { return .recorded }
        var effect = AnswerEffect.recorded
        // Ground truth that is already there (imported while the item was claimed, or a first
        // reviewer's answer on a double-reviewed item) is not overwritten silently: the answer
        // is recorded as agreeing or not, and a disagreement becomes the truth only under the
        // item's rule.
        if let truth = try c.one("SELECT label_idx, content_hash, source FROM ground_truth WHERE prediction_seq = $1", [claim.seq]) {
            let existing = try truth.optionalInt("label_idx").flatMap { schema.classes.indices.contains(Int($0)) ? schema.classes[Int($0)] : nil }
            let agrees = schema.task == .classification
                ? existing == labelRecord.label
                : try truth.int("content_hash") == labelRecord.contentHash
            let source = try truth.string("source")
            try c.execute("UPDATE review_assignments SET agrees_with_truth = $1 WHERE id = $2", [agrees ? 1 : 0, assignment])
            if agrees { return .agreesWithTruth(source: source) }
            try log("review.disagreement", [
                "item": String(item), "answer": labelRecord.label ?? "boxes", "truth": existing ?? "boxes",
                "truth_source": source, "rule": claim.onDisagreement.rawValue,
                "truth_now": claim.onDisagreement == .keepTruth ? "existing" : "answer",
            ])
            effect = .disagrees(truth: existing ?? "boxes", source: source, kept: claim.onDisagreement == .keepTruth)
            guard claim.onDisagreement == .reviewWins else { return effect }
        }
        // The label goes through the ground-truth path: a revision keeps the history.
        var labels = IngestOutcome()
        try writeLabels(c, [labelRecord], models: [claim.modelID: schema],
                        options: IngestOptions(now: now, allowRelabel: true, actor: reviewer), outcome: &labels)
        if let reject = labels.rejected.first { throw StoreError("the label was not stored: \(reject.reason)") }
        if labels.inserted + labels.relabeled > 0 {
            // The revision this answer wrote: undo reverts it only while it is still the current one.
            try c.execute("UPDATE review_assignments SET gt_revision = (SELECT revision FROM ground_truth WHERE prediction_seq = $1) WHERE id = $2",
                          [claim.seq, assignment])
        }
        return effect
    }

    public func undoLast(reviewer: String, model: String?, now: Int64, leaseMillis: Int64) throws -> ReviewClaim {
        try driver.write { c in
            _ = try c.expireReviewLeases(now: now)
            guard let last = try c.one("""
                SELECT a.id, a.item_id, a.state, a.gt_revision, i.prediction_seq, m.name, p.id AS pid
                FROM review_assignments a JOIN review_items i ON i.id = a.item_id JOIN models m ON m.id = i.model_id
                JOIN prediction_ids p ON p.seq = i.prediction_seq
                WHERE a.reviewer = $1 AND a.state IN ('labeled', 'skipped', 'flagged') AND (CAST($2 AS TEXT) IS NULL OR m.name = $2)
                ORDER BY a.finished_at DESC, a.id DESC LIMIT 1
                """, [reviewer, model]) else {
                throw QueueError.cannotUndo("nothing to undo: you have no answers in this queue yet")
            }
            let assignment = try last.int("id"), item = try last.int("item_id"), seq = try last.int("prediction_seq")
            // The item is locked: no one claims it while its answer is taken back.
            try c.execute("SELECT 1 FROM review_items WHERE id = $1 \(c.dialect.lockRows)", [item])
            // Used elsewhere: another reviewer has answered or claimed the item since.
            let others = try c.query("""
                SELECT DISTINCT reviewer FROM review_assignments
                WHERE item_id = $1 AND id > $2 AND reviewer != $3 AND state IN ('claimed', 'labeled', 'skipped', 'flagged')
                """, [item, assignment, reviewer]).map { try $0.string("reviewer") }
            guard others.isEmpty else {
                throw QueueError.cannotUndo("cannot undo your answer on item \(item): \(others.joined(separator: ", ")) has reviewed or claimed it since; flag the item instead, or relabel it with `vigil ingest labels --relabel`")
            }
            if let written = try last.optionalInt("gt_revision") {
                try Self.revertGroundTruth(c, seq: seq, revision: written, item: item, now: now, reviewer: reviewer)
            }
            try c.execute("UPDATE review_assignments SET state = 'undone', finished_at = $1 WHERE id = $2", [now, assignment])
            // An item that ground truth from elsewhere closed stays closed: only this reviewer's claim comes back.
            try c.execute("""
                UPDATE review_items SET state = CASE WHEN closed_by IS NOT NULL AND closed_by <> $1 THEN 'done' ELSE 'open' END,
                  closed_by = CASE WHEN closed_by = $1 THEN NULL ELSE closed_by END, reason = NULL
                WHERE id = $2
                """, [ReviewAnswer.source, item])
            let fresh = try c.insert("""
                INSERT INTO review_assignments(item_id, reviewer, state, claimed_at, lease_until) VALUES ($1, $2, 'claimed', $3, $4) RETURNING id
                """, [item, reviewer, now, now + leaseMillis])
            let claim = try Self.reviewClaim(c, assignment: fresh)
            try c.append(Event(ts: now, actor: reviewer, kind: "review.undo", model: try last.string("name"), subject: try last.string("pid"),
                               details: JSONText.object(["item": String(item), "undone": try last.string("state")])))
            return claim
        }
    }

    /// Puts the ground truth of `seq` back to what it was before revision `revision`, which must
    /// still be the current one. Revisions are append-only, so the reversal is a new revision:
    /// the earlier content again, or a withdrawal (no label, no boxes, source `undo`) when the
    /// undone answer was the first label, in which case the current row is removed.
    static func revertGroundTruth(_ c: any SQLConnection, seq: Int64, revision: Int64, item: Int64, now: Int64, reviewer: String) throws {
        guard let current = try c.one("""
            SELECT revision, label_idx, predicted_idx, ts, model_id FROM ground_truth WHERE prediction_seq = $1 \(c.dialect.lockRows)
            """, [seq]) else {
            throw QueueError.cannotUndo("cannot undo your answer on item \(item): its label has been removed since")
        }
        let currentRevision = try current.int("revision")
        guard currentRevision == revision else {
            throw QueueError.cannotUndo("cannot undo your answer on item \(item): its ground truth has a later revision (\(currentRevision)); relabel it with `vigil ingest labels --relabel` instead")
        }
        let modelID = try current.int("model_id"), ts = try current.int("ts")
        let predicted = try current.optionalInt("predicted_idx"), oldLabel = try current.optionalInt("label_idx")
        func confusion(_ label: Int64?, _ count: Int64) throws {
            guard let label, let predicted else { return }
            try c.execute("""
                INSERT INTO hourly_confusion(model_id, hour, label_idx, predicted_idx, n) VALUES ($1, $2, $3, $4, $5)
                ON CONFLICT (model_id, hour, label_idx, predicted_idx) DO UPDATE SET n = hourly_confusion.n + excluded.n
                """, [modelID, ts / 3_600_000, label, predicted, count])
        }
        try confusion(oldLabel, -1)
        let next = revision + 1
        let previous = try c.one("""
            SELECT label_idx, boxes, content_hash, source, reviewer FROM ground_truth_revisions WHERE prediction_seq = $1 AND revision = $2
            """, [seq, revision - 1])
        if let previous, try previous.optionalInt("label_idx") != nil || previous.optionalString("boxes") != nil {
            let label = try previous.optionalInt("label_idx"), boxes = try previous.optionalString("boxes"), hash = try previous.int("content_hash")
            let source = try previous.string("source"), who = try previous.optionalString("reviewer")
            try c.execute("""
                UPDATE ground_truth SET label_idx = $1, boxes = $2, revision = $3, content_hash = $4, source = $5, reviewer = $6, updated_at = $7
                WHERE prediction_seq = $8
                """, [label, boxes, next, hash, source, who, now, seq])
            try c.execute("""
                INSERT INTO ground_truth_revisions(prediction_seq, revision, label_idx, boxes, content_hash, source, reviewer, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, [seq, next, label, boxes, hash, source, who, now])
            try confusion(label, 1)
        } else {
            try c.execute("DELETE FROM ground_truth WHERE prediction_seq = $1", [seq])
            try c.execute("""
                INSERT INTO ground_truth_revisions(prediction_seq, revision, label_idx, boxes, content_hash, source, reviewer, created_at)
                VALUES ($1, $2, NULL, NULL, 0, 'undo', $3, $4)
                """, [seq, next, reviewer, now])
        }
    }
}
