import Foundation
import VigilCore
import VigilStore

extension PostgresStore {
    public func forEachSamplingCandidate(model: String, window: TimeWindow, passes: Int, attribute: String?,
                                         _ body: (Int, SamplingCandidate) throws -> Void) throws {
        // One snapshot for every pass: the rows are read once and walked `passes` times.
        let rows = try read { s in
            let (modelID, _) = try Self.requireSchema(s, name: model)
            return try s.query("""
                SELECT p.seq, p.label_idx, p.score, p.payload, CASE WHEN $4::text IS NULL THEN NULL ELSE p.payload::json #>> ARRAY['input', 'attributes', $4::text] END
                FROM predictions p
                WHERE p.model_id = $1 AND p.ts >= $2 AND p.ts < $3
                  AND NOT EXISTS (SELECT 1 FROM ground_truth g WHERE g.prediction_seq = p.seq)
                  AND NOT EXISTS (SELECT 1 FROM review_items r WHERE r.prediction_seq = p.seq)
                ORDER BY p.seq
                """, [modelID, window.from, window.to, attribute])
        }
        for pass in 0..<passes {
            for row in rows {
                func candidate(_ buffer: UnsafeBufferPointer<UInt8>?) throws {
                    try body(pass, SamplingCandidate(seq: try row.int(0), labelIndex: try row.optionalInt(1).map(Int.init), score: try row.optionalDouble(2),
                                                     payload: buffer, attribute: try row.optionalString(4)))
                }
                if var payload = try row.optionalString(3) {
                    try payload.withUTF8 { try candidate($0) }
                } else {
                    try candidate(nil)
                }
            }
        }
    }

    public func forEachGoldCandidate(model: String, window: TimeWindow, _ body: (Int64, Int) throws -> Void) throws {
        let rows = try read { s in
            let (modelID, _) = try Self.requireSchema(s, name: model)
            return try s.query("""
                SELECT g.prediction_seq, g.label_idx FROM ground_truth g
                WHERE g.model_id = $1 AND g.ts >= $2 AND g.ts < $3 AND g.label_idx IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM review_items r WHERE r.prediction_seq = g.prediction_seq)
                ORDER BY g.prediction_seq
                """, [modelID, window.from, window.to])
        }
        for row in rows { try body(try row.int(0), Int(try row.int(1))) }
    }

    public func attributeValues(model: String, window: TimeWindow, attribute: String) throws -> Set<String> {
        try read { s in
            let (modelID, _) = try Self.requireSchema(s, name: model)
            return Set(try s.query("""
                SELECT DISTINCT payload::json #>> ARRAY['input', 'attributes', $4::text] FROM predictions
                WHERE model_id = $1 AND ts >= $2 AND ts < $3 AND payload::json #>> ARRAY['input', 'attributes', $4::text] IS NOT NULL
                """, [modelID, window.from, window.to, attribute]).map { try $0.string(0) })
        }
    }

    public func enqueue(_ items: [ReviewItemDraft], model: String, sampleRun: String, now: Int64, actor: String) throws -> Int {
        try write { s in
            let (modelID, _) = try Self.requireSchema(s, name: model)
            var queued = 0
            var byStrategy: [String: Int] = [:]
            for item in items {
                let n = try s.execute("""
                    INSERT INTO review_items(prediction_seq, model_id, strategy, inclusion_probability, sampled_at, sample_run, reviews_required, gold_label_idx)
                    SELECT $1, $2, $3, $4, $5, $6, $7, $8
                    WHERE $3 = 'gold' OR NOT EXISTS (SELECT 1 FROM ground_truth WHERE prediction_seq = $1)
                    ON CONFLICT (prediction_seq) DO NOTHING
                    """, [item.predictionSeq, modelID, item.strategy.rawValue, item.inclusionProbability, now, sampleRun, item.reviewsRequired,
                          item.goldLabelIndex.map(Int64.init)])
                if n == 1 { queued += 1; byStrategy[item.strategy.rawValue, default: 0] += 1 }
            }
            var details = byStrategy.mapValues(String.init)
            details["queued"] = String(queued)
            try Self.append(s, Event(ts: now, actor: actor, kind: "sample.run", model: model, subject: sampleRun, details: Self.jsonObject(details)))
            return queued
        }
    }

    public func queuedCount(model: String, since: Int64) throws -> Int {
        try pool.withSession { s in
            guard let (modelID, _) = try Self.schema(s, name: model) else { return 0 }
            return Int(try s.one("SELECT COUNT(*) FROM review_items WHERE model_id = $1 AND sampled_at > $2 AND strategy != 'gold'",
                                 [modelID, since])!.int(0))
        }
    }

    /// Expires stale leases inside the caller's transaction.
    static func expire(_ s: PostgresSession, now: Int64) throws -> Int {
        try s.execute("UPDATE review_assignments SET state = 'expired', finished_at = lease_until WHERE state = 'claimed' AND lease_until <= $1", [now])
    }

    public func claim(model: String?, reviewer: String, now: Int64, leaseMillis: Int64, limit: Int) throws -> [ReviewClaim] {
        try pool.withSession { s in
            _ = try s.transaction { try Self.expire(s, now: now) }
            return try s.transaction {
                var modelID: Int64?
                if let model { modelID = try Self.requireSchema(s, name: model).id }
                var tried: [Int64] = []
                var claims: [ReviewClaim] = []
                // Each claim makes its item the reviewer's, so the next pick finds the next item.
                while claims.count < limit {
                    // An open item this reviewer has not had (skips and expiries excepted), whose
                    // live claims and finished reviews are fewer than it needs, locked. Items other
                    // reviewers are claiming right now are skipped; only when every candidate is
                    // being claimed does this wait for them (one may still need a second review).
                    func pick(_ lock: String) throws -> Int64? {
                        try s.one("""
                            SELECT i.id FROM review_items i
                            WHERE i.state = 'open' AND ($1::bigint IS NULL OR i.model_id = $1) AND NOT (i.id = ANY($3::bigint[]))
                              AND NOT EXISTS (SELECT 1 FROM review_assignments a WHERE a.item_id = i.id AND a.reviewer = $2
                                              AND a.state IN ('claimed', 'labeled', 'flagged', 'skipped'))
                              AND (SELECT COUNT(*) FROM review_assignments a WHERE a.item_id = i.id AND a.state IN ('claimed', 'labeled'))
                                  < i.reviews_required
                            ORDER BY i.id LIMIT 1 \(lock)
                            """, [modelID, reviewer, tried])?.int(0)
                    }
                    guard let itemID = try pick("FOR UPDATE OF i SKIP LOCKED") ?? pick("FOR UPDATE OF i") else { break }
                    // The lock is held now; a claim committed by someone else after this
                    // statement's snapshot was taken shows in a new statement: check again.
                    let stillOpen = try s.one("""
                        SELECT i.state = 'open'
                          AND NOT EXISTS (SELECT 1 FROM review_assignments a WHERE a.item_id = i.id AND a.reviewer = $2
                                          AND a.state IN ('claimed', 'labeled', 'flagged', 'skipped'))
                          AND (SELECT COUNT(*) FROM review_assignments a WHERE a.item_id = i.id AND a.state IN ('claimed', 'labeled')) < i.reviews_required
                        FROM review_items i WHERE i.id = $1
                        """, [itemID, reviewer])?.bool(0) ?? false
                    guard stillOpen else { tried.append(itemID); continue }
                    let assignment = try s.one("""
                        INSERT INTO review_assignments(item_id, reviewer, state, claimed_at, lease_until) VALUES ($1, $2, 'claimed', $3, $4) RETURNING id
                        """, [itemID, reviewer, now, now + leaseMillis])!.int(0)
                    claims.append(try Self.claimRow(s, assignment: assignment))
                }
                return claims
            }
        }
    }

    static func claimRow(_ s: PostgresSession, assignment: Int64) throws -> ReviewClaim {
        guard let row = try s.one("""
            SELECT a.id, a.item_id, a.reviewer, a.lease_until, i.gold_label_idx, m.name, p.id, p.label_idx, p.score, p.payload
            FROM review_assignments a JOIN review_items i ON i.id = a.item_id JOIN prediction_ids pi ON pi.seq = i.prediction_seq
            JOIN predictions p ON p.seq = pi.seq AND p.ts = pi.ts
            JOIN models m ON m.id = i.model_id WHERE a.id = $1
            """, [assignment]) else { throw QueueError.unknownAssignment(assignment) }
        var predicted: String?
        if let k = try row.optionalInt(7), let (_, schema) = try schema(s, name: try row.string(5)), k >= 0, Int(k) < schema.classes.count {
            predicted = schema.classes[Int(k)]
        }
        return ReviewClaim(assignment: try row.int(0), item: try row.int(1), model: try row.string(5), predictionID: try row.string(6),
                           predictedClass: predicted, score: try row.optionalDouble(8), payload: try row.optionalString(9),
                           reviewer: try row.string(2), leaseUntil: try row.int(3), isGold: try row.optionalInt(4) != nil)
    }

    /// The live claim `assignment` of `reviewer` (locked), or the refusal that says why not:
    /// (item, state, prediction seq, gold label, reviews required, model id).
    static func liveClaim(_ s: PostgresSession, assignment: Int64, reviewer: String, now: Int64)
        throws -> (item: Int64, seq: Int64, gold: Int64?, required: Int64, modelID: Int64) {
        guard let row = try s.one("""
            SELECT a.item_id, a.reviewer, a.state, a.lease_until, i.prediction_seq, i.gold_label_idx, i.reviews_required, i.model_id
            FROM review_assignments a JOIN review_items i ON i.id = a.item_id WHERE a.id = $1 FOR UPDATE OF a
            """, [assignment]) else { throw QueueError.unknownAssignment(assignment) }
        let holder = try row.string(1)
        guard holder == reviewer else { throw QueueError.notYours(assignment: assignment, holder: holder) }
        let state = try row.string(2), leaseUntil = try row.int(3), item = try row.int(0)
        if state == "expired" || (state == "claimed" && leaseUntil <= now) {
            let others = try s.query("""
                SELECT reviewer FROM review_assignments WHERE item_id = $1 AND id > $2 AND state IN ('claimed', 'labeled', 'flagged', 'skipped') ORDER BY id
                """, [item, assignment]).map { try $0.string(0) }
            let passed = others.isEmpty ? "it is back in the queue" : "it has since gone to \(others.joined(separator: ", "))"
            throw QueueError.leaseLost("your claim \(assignment) on item \(item) expired at \(Timestamp.format(millis: leaseUntil)) and \(passed); your answer was not recorded. Claim the item again to review it.")
        }
        guard state == "claimed" else { throw QueueError.finished(assignment: assignment, state: state) }
        return (item, try row.int(4), try row.optionalInt(5), try row.int(6), try row.int(7))
    }

    public func renew(assignment: Int64, reviewer: String, now: Int64, leaseMillis: Int64) throws -> ReviewClaim {
        try write { s in
            _ = try Self.liveClaim(s, assignment: assignment, reviewer: reviewer, now: now)
            try s.execute("UPDATE review_assignments SET lease_until = $1 WHERE id = $2", [now + leaseMillis, assignment])
            return try Self.claimRow(s, assignment: assignment)
        }
    }

    public func release(assignment: Int64, reviewer: String, now: Int64) throws {
        try write { s in
            _ = try Self.liveClaim(s, assignment: assignment, reviewer: reviewer, now: now)
            try s.execute("UPDATE review_assignments SET state = 'released', finished_at = $1 WHERE id = $2", [now, assignment])
        }
    }

    public func submit(_ answers: [ReviewSubmission], reviewer: String, now: Int64) throws {
        try write { s in
            for answer in answers { try Self.record(s, answer, reviewer: reviewer, now: now) }
        }
    }

    /// Records one answer and, for a label or boxes, its ground truth inside the caller's
    /// transaction (see `SQLiteStore.record`): a refused label leaves the claim live.
    static func record(_ s: PostgresSession, _ answer: ReviewSubmission, reviewer: String, now: Int64) throws {
        let (assignment, outcome) = (answer.assignment, answer.outcome)
        let claim = try Self.liveClaim(s, assignment: assignment, reviewer: reviewer, now: now)
        let item = claim.item
        // The item is locked: of two reviewers answering a double-reviewed item at once, the
        // second counts the first's answer and marks the item done.
        try s.execute("SELECT 1 FROM review_items WHERE id = $1 FOR UPDATE", [item])
        guard let modelName = try s.one("SELECT name FROM models WHERE id = $1", [claim.modelID])?.string(0),
              let (_, schema) = try Self.schema(s, name: modelName) else { throw StoreError("the item's model is missing") }
        let predictionID = try s.one("SELECT id FROM prediction_ids WHERE seq = $1", [claim.seq])?.string(0) ?? ""
        // A label or boxes finish the assignment; the item is done when it has all its reviews.
        func finishLabeled(labelIndex: Int?, boxes: String?) throws {
            try s.execute("UPDATE review_assignments SET state = 'labeled', finished_at = $1, label_idx = $2, boxes = $3 WHERE id = $4",
                          [now, labelIndex.map(Int64.init), boxes, assignment])
            let done = try s.one("SELECT COUNT(*) FROM review_assignments WHERE item_id = $1 AND state = 'labeled'", [item])!.int(0)
            if done >= claim.required {
                try s.execute("UPDATE review_items SET state = 'done' WHERE id = $1", [item])
            }
        }
        // Gold items already have their answer: the reviewer's answer scores the reviewer.
        let labelRecord: LabelRecord?
        switch outcome {
        case .label(let label):
            let k = try ReviewAnswer.labelIndex(label, schema: schema, item: item, model: modelName)
            try finishLabeled(labelIndex: k, boxes: nil)
            try Self.append(s, Event(ts: now, actor: reviewer, kind: "review.label", model: modelName, subject: predictionID,
                                     details: Self.jsonObject(["label": label, "item": String(item)])))
            labelRecord = claim.gold != nil ? nil : ReviewAnswer.labelRecord(predictionID: predictionID, label: label, reviewer: reviewer)
        case .boxes(let boxes):
            try ReviewAnswer.checkBoxes(boxes, schema: schema, item: item, model: modelName)
            try finishLabeled(labelIndex: nil, boxes: ReviewedBox.answerJSON(boxes))
            try Self.append(s, Event(ts: now, actor: reviewer, kind: "review.boxes", model: modelName, subject: predictionID,
                                     details: Self.jsonObject(ReviewAnswer.verdictCounts(boxes, item: item))))
            labelRecord = claim.gold != nil ? nil : ReviewAnswer.boxesRecord(predictionID: predictionID, boxes: boxes, reviewer: reviewer)
        case .skip(let reason):
            try s.execute("UPDATE review_assignments SET state = 'skipped', finished_at = $1, reason = $2 WHERE id = $3", [now, reason, assignment])
            try Self.append(s, Event(ts: now, actor: reviewer, kind: "review.skip", model: modelName, subject: predictionID,
                                     details: Self.jsonObject(["reason": reason ?? "", "item": String(item)])))
            labelRecord = nil
        case .flag(let reason):
            try s.execute("UPDATE review_assignments SET state = 'flagged', finished_at = $1, reason = $2 WHERE id = $3", [now, reason, assignment])
            try s.execute("UPDATE review_items SET state = 'flagged', reason = $1 WHERE id = $2", [reason, item])
            try Self.append(s, Event(ts: now, actor: reviewer, kind: "review.flag", model: modelName, subject: predictionID,
                                     details: Self.jsonObject(["reason": reason, "item": String(item)])))
            labelRecord = nil
        }
        guard let labelRecord else { return }
        // The label goes through the ground-truth path: a second reviewer's different answer
        // becomes a new revision, so history is kept.
        var labels = IngestOutcome()
        _ = try Self.writeLabels(s, [labelRecord], models: [claim.modelID: schema],
                                 options: IngestOptions(now: now, allowRelabel: true, actor: reviewer), outcome: &labels, report: { _ in })
        if let reject = labels.rejected.first { throw StoreError("the label was not stored: \(reject.reason)") }
        if labels.inserted + labels.relabeled > 0 {
            // The revision this answer wrote: undo reverts it only while it is still the current one.
            try s.execute("UPDATE review_assignments SET gt_revision = (SELECT revision FROM ground_truth WHERE prediction_seq = $1) WHERE id = $2",
                          [claim.seq, assignment])
        }
    }

    public func expireLeases(now: Int64) throws -> Int {
        try write { s in try Self.expire(s, now: now) }
    }

    public func releaseAll(reviewer: String?, model: String?, now: Int64) throws -> Int {
        try write { s in
            try s.execute("""
                UPDATE review_assignments SET state = 'released', finished_at = $1
                WHERE state = 'claimed' AND ($2::text IS NULL OR reviewer = $2)
                  AND ($3::text IS NULL OR item_id IN (SELECT i.id FROM review_items i JOIN models m ON m.id = i.model_id WHERE m.name = $3))
                """, [now, reviewer, model])
        }
    }

    public func queueStatus(model: String?, now: Int64) throws -> QueueStatus {
        try read { s in
            var status = QueueStatus()
            let filter = "($1::text IS NULL OR i.model_id = (SELECT id FROM models WHERE name = $1))"
            for row in try s.query("SELECT i.state, COUNT(*) FROM review_items i WHERE \(filter) GROUP BY i.state", [model]) {
                let n = Int(try row.int(1))
                switch try row.string(0) {
                case "open": status.open = n
                case "done": status.done = n
                default: status.flagged = n
                }
            }
            for row in try s.query("SELECT i.strategy, COUNT(*) FROM review_items i WHERE \(filter) GROUP BY i.strategy", [model]) {
                status.byStrategy[try row.string(0)] = Int(try row.int(1))
            }
            for row in try s.query("""
                SELECT CASE WHEN a.state = 'claimed' AND a.lease_until <= $2 THEN 'expired' ELSE a.state END AS st, COUNT(*)
                FROM review_assignments a JOIN review_items i ON i.id = a.item_id WHERE \(filter) GROUP BY st
                """, [model, now]) {
                let n = Int(try row.int(1))
                switch try row.string(0) {
                case "claimed": status.claimed = n
                case "expired": status.expired = n
                case "skipped": status.skipped = n
                default: break
                }
            }
            return status
        }
    }

    public func reviewItems(model: String?, state: String?, limit: Int) throws -> [ReviewItem] {
        try read { s in
            try s.query("""
                SELECT i.id, m.name, p.id, i.strategy, i.inclusion_probability, i.reviews_required, i.gold_label_idx, i.state, i.sampled_at,
                  (SELECT string_agg(a.reviewer, ',' ORDER BY a.id) FROM review_assignments a WHERE a.item_id = i.id AND a.state = 'claimed')
                FROM review_items i JOIN models m ON m.id = i.model_id JOIN prediction_ids p ON p.seq = i.prediction_seq
                WHERE ($1::text IS NULL OR m.name = $1) AND ($2::text IS NULL OR i.state = $2)
                ORDER BY i.id DESC LIMIT $3
                """, [model, state, limit]).map {
                ReviewItem(id: try $0.int(0), model: try $0.string(1), predictionID: try $0.string(2), strategy: try $0.string(3),
                           inclusionProbability: try $0.double(4), reviewsRequired: Int(try $0.int(5)), isGold: try $0.optionalInt(6) != nil,
                           state: try $0.string(7), sampledAt: try $0.int(8),
                           claimedBy: (try $0.optionalString(9) ?? "").split(separator: ",").map(String.init))
            }
        }
    }

    public func finishedAssignments(model: String) throws -> [FinishedAssignment] {
        try read { s in
            try s.query("""
                SELECT a.item_id, a.reviewer, a.state, a.label_idx, i.gold_label_idx, a.claimed_at, a.finished_at
                FROM review_assignments a JOIN review_items i ON i.id = a.item_id JOIN models m ON m.id = i.model_id
                WHERE m.name = $1 AND a.state IN ('labeled', 'skipped', 'flagged') ORDER BY a.id
                """, [model]).map {
                FinishedAssignment(item: try $0.int(0), reviewer: try $0.string(1), state: try $0.string(2), labelIndex: try $0.optionalInt(3).map(Int.init),
                                   goldLabelIndex: try $0.optionalInt(4).map(Int.init), claimedAt: try $0.int(5), finishedAt: try $0.int(6))
            }
        }
    }

    public func weightedReviews(model: String, window: TimeWindow) throws -> [WeightedReview] {
        try read { s in
            let (modelID, _) = try Self.requireSchema(s, name: model)
            return try s.query("""
                SELECT g.label_idx, g.predicted_idx, i.inclusion_probability FROM review_items i
                JOIN ground_truth g ON g.prediction_seq = i.prediction_seq
                WHERE i.model_id = $1 AND g.ts >= $2 AND g.ts < $3 AND i.strategy != 'gold'
                  AND g.label_idx IS NOT NULL AND g.predicted_idx IS NOT NULL
                """, [modelID, window.from, window.to]).map {
                WeightedReview(observed: Int(try $0.int(0)), predicted: Int(try $0.int(1)), inclusionProbability: try $0.double(2))
            }
        }
    }

    // MARK: Resuming and undo

    public func liveClaims(reviewer: String, model: String?, now: Int64) throws -> [ReviewClaim] {
        try read { s in
            try s.query("""
                SELECT a.id FROM review_assignments a JOIN review_items i ON i.id = a.item_id
                WHERE a.reviewer = $1 AND a.state = 'claimed' AND a.lease_until > $2
                  AND ($3::text IS NULL OR i.model_id = (SELECT id FROM models WHERE name = $3))
                ORDER BY a.id
                """, [reviewer, now, model]).map { try Self.claimRow(s, assignment: try $0.int(0)) }
        }
    }

    public func labeledItemCount(model: String?, since: Int64) throws -> Int {
        try pool.withSession { s in
            Int(try s.one("""
                SELECT COUNT(DISTINCT a.item_id) FROM review_assignments a JOIN review_items i ON i.id = a.item_id
                WHERE a.state = 'labeled' AND a.finished_at >= $1 AND ($2::text IS NULL OR i.model_id = (SELECT id FROM models WHERE name = $2))
                """, [since, model])!.int(0))
        }
    }

    public func undoLast(reviewer: String, model: String?, now: Int64, leaseMillis: Int64) throws -> ReviewClaim {
        try write { s in
            _ = try Self.expire(s, now: now)
            guard let last = try s.one("""
                SELECT a.id, a.item_id, a.state, a.gt_revision, i.prediction_seq, m.name, p.id
                FROM review_assignments a JOIN review_items i ON i.id = a.item_id JOIN models m ON m.id = i.model_id
                JOIN prediction_ids p ON p.seq = i.prediction_seq
                WHERE a.reviewer = $1 AND a.state IN ('labeled', 'skipped', 'flagged') AND ($2::text IS NULL OR m.name = $2)
                ORDER BY a.finished_at DESC, a.id DESC LIMIT 1
                """, [reviewer, model]) else {
                throw QueueError.cannotUndo("nothing to undo: you have no answers in this queue yet")
            }
            let assignment = try last.int(0), item = try last.int(1), seq = try last.int(4)
            // The item is locked: no one claims it while its answer is taken back.
            try s.execute("SELECT 1 FROM review_items WHERE id = $1 FOR UPDATE", [item])
            let others = try s.query("""
                SELECT DISTINCT reviewer FROM review_assignments
                WHERE item_id = $1 AND id > $2 AND reviewer != $3 AND state IN ('claimed', 'labeled', 'skipped', 'flagged')
                """, [item, assignment, reviewer]).map { try $0.string(0) }
            guard others.isEmpty else {
                throw QueueError.cannotUndo("cannot undo your answer on item \(item): \(others.joined(separator: ", ")) has reviewed or claimed it since; flag the item instead, or relabel it with `vigil ingest labels --relabel`")
            }
            if let written = try last.optionalInt(3) {
                try Self.revertGroundTruth(s, seq: seq, revision: written, item: item, now: now, reviewer: reviewer)
            }
            try s.execute("UPDATE review_assignments SET state = 'undone', finished_at = $1 WHERE id = $2", [now, assignment])
            try s.execute("UPDATE review_items SET state = 'open', reason = NULL WHERE id = $1", [item])
            let fresh = try s.one("INSERT INTO review_assignments(item_id, reviewer, state, claimed_at, lease_until) VALUES ($1, $2, 'claimed', $3, $4) RETURNING id",
                                  [item, reviewer, now, now + leaseMillis])!.int(0)
            let claim = try Self.claimRow(s, assignment: fresh)
            try Self.append(s, Event(ts: now, actor: reviewer, kind: "review.undo", model: try last.string(5), subject: try last.string(6),
                                     details: Self.jsonObject(["item": String(item), "undone": try last.string(2)])))
            return claim
        }
    }

    /// Puts the ground truth of `seq` back to what it was before revision `revision`, which must
    /// still be the current one (see ``SQLiteStore``: the reversal is a new revision, or a
    /// withdrawal when the undone answer was the first label).
    static func revertGroundTruth(_ s: PostgresSession, seq: Int64, revision: Int64, item: Int64, now: Int64, reviewer: String) throws {
        guard let current = try s.one("""
            SELECT revision, label_idx, predicted_idx, ts, model_id FROM ground_truth WHERE prediction_seq = $1 FOR UPDATE
            """, [seq]) else {
            throw QueueError.cannotUndo("cannot undo your answer on item \(item): its label has been removed since")
        }
        let currentRevision = try current.int(0)
        guard currentRevision == revision else {
            throw QueueError.cannotUndo("cannot undo your answer on item \(item): its ground truth has a later revision (\(currentRevision)); relabel it with `vigil ingest labels --relabel` instead")
        }
        let modelID = try current.int(4), ts = try current.int(3)
        let predicted = try current.optionalInt(2), oldLabel = try current.optionalInt(1)
        var delta = HourlyDelta()
        if let oldLabel, let predicted { delta.addConfusion(model: modelID, ts: ts, label: oldLabel, predicted: predicted, count: -1) }
        let next = revision + 1
        let previous = try s.one("""
            SELECT label_idx, boxes, content_hash, source, reviewer FROM ground_truth_revisions WHERE prediction_seq = $1 AND revision = $2
            """, [seq, revision - 1])
        if let previous, try previous.optionalInt(0) != nil || previous.optionalString(1) != nil {
            let label = try previous.optionalInt(0), boxes = try previous.optionalString(1), hash = try previous.int(2)
            let source = try previous.string(3), who = try previous.optionalString(4)
            try s.execute("""
                UPDATE ground_truth SET label_idx = $1, boxes = $2, revision = $3, content_hash = $4, source = $5, reviewer = $6, updated_at = $7
                WHERE prediction_seq = $8
                """, [label, boxes, next, hash, source, who, now, seq])
            try s.execute("""
                INSERT INTO ground_truth_revisions(prediction_seq, revision, label_idx, boxes, content_hash, source, reviewer, created_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                """, [seq, next, label, boxes, hash, source, who, now])
            if let label, let predicted { delta.addConfusion(model: modelID, ts: ts, label: label, predicted: predicted, count: 1) }
        } else {
            try s.execute("DELETE FROM ground_truth WHERE prediction_seq = $1", [seq])
            try s.execute("""
                INSERT INTO ground_truth_revisions(prediction_seq, revision, label_idx, boxes, content_hash, source, reviewer, created_at)
                VALUES ($1, $2, NULL, NULL, 0, 'undo', $3, $4)
                """, [seq, next, reviewer, now])
        }
        try delta.flush(s)
    }
}
