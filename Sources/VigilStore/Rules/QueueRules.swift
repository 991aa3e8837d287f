import Foundation
import VigilCore

/// The review queue's bookkeeping, written once over the driver: enqueueing sampled items,
/// leases (renew, release, expiry), the queue's status and listings, and what the estimators
/// read. Claiming stays with each backend (`BEGIN IMMEDIATE` against `SKIP LOCKED`), as does
/// the sampler's scan of candidates.
extension SQLStore {
    public func forEachGoldCandidate(model: String, window: TimeWindow, _ body: (Int64, Int) throws -> Void) throws {
        try driver.read { c in
            let (modelID, _) = try c.requireModel(model)
            try c.forEachRow("""
                SELECT g.prediction_seq, g.label_idx FROM ground_truth g
                WHERE g.model_id = $1 AND g.ts >= $2 AND g.ts < $3 AND g.label_idx IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM review_items r WHERE r.prediction_seq = g.prediction_seq)
                ORDER BY g.prediction_seq
                """, [modelID, window.from, window.to]) { row in
                try body(try row.int("prediction_seq"), Int(try row.int("label_idx")))
            }
        }
    }

    public func attributeValues(model: String, window: TimeWindow, attribute: String) throws -> Set<String> {
        try driver.read { c in
            let (modelID, _) = try c.requireModel(model)
            let value = c.dialect.inputAttribute("payload", "$4")
            return Set(try c.query("""
                SELECT DISTINCT \(value) AS value FROM predictions
                WHERE model_id = $1 AND ts >= $2 AND ts < $3 AND \(value) IS NOT NULL
                """, [modelID, window.from, window.to, attribute]).map { try $0.string("value") })
        }
    }

    public func enqueue(_ items: [ReviewItemDraft], model: String, sampleRun: String, now: Int64, actor: String) throws -> Int {
        try driver.write { c in
            let (modelID, _) = try c.requireModel(model)
            var queued = 0
            var byStrategy: [String: Int] = [:]
            for item in items {
                let n = try c.execute("""
                    INSERT INTO review_items(prediction_seq, model_id, strategy, inclusion_probability, sampled_at, sample_run, reviews_required,
                                             gold_label_idx, stratum, on_disagreement)
                    SELECT $1, $2, $3, $4, $5, $6, $7, $8, $9, $10
                    WHERE $3 = 'gold' OR NOT EXISTS (SELECT 1 FROM ground_truth WHERE prediction_seq = $1)
                    ON CONFLICT (prediction_seq) DO NOTHING
                    """, [item.predictionSeq, modelID, item.strategy.rawValue, item.inclusionProbability, now, sampleRun, item.reviewsRequired,
                          item.goldLabelIndex, item.stratum, item.onDisagreement.rawValue])
                if n == 1 { queued += 1; byStrategy[item.strategy.rawValue, default: 0] += 1 }
            }
            var details = byStrategy.mapValues(String.init)
            details["queued"] = String(queued)
            try c.append(Event(ts: now, actor: actor, kind: "sample.run", model: model, subject: sampleRun, details: JSONText.object(details)))
            return queued
        }
    }

    public func queuedCounts(model: String, since: Int64) throws -> QueuedCounts {
        try driver.read { c in
            var counts = QueuedCounts()
            guard let (modelID, _) = try c.modelSchema(named: model) else { return counts }
            for row in try c.query("""
                SELECT strategy, stratum, COUNT(*) AS n FROM review_items WHERE model_id = $1 AND sampled_at > $2 AND strategy != 'gold'
                GROUP BY strategy, stratum
                """, [modelID, since]) {
                guard let strategy = SamplingStrategy(rawValue: try row.string("strategy")) else { continue }
                counts.add(strategy, stratum: try row.optionalInt("stratum").map(Int.init), count: Int(try row.int("n")))
            }
            return counts
        }
    }

    public func renew(assignment: Int64, reviewer: String, now: Int64, leaseMillis: Int64) throws -> ReviewClaim {
        try driver.write { c in
            _ = try Self.liveClaim(c, assignment: assignment, reviewer: reviewer, now: now)
            try c.execute("UPDATE review_assignments SET lease_until = $1 WHERE id = $2", [now + leaseMillis, assignment])
            return try Self.reviewClaim(c, assignment: assignment)
        }
    }

    public func release(assignment: Int64, reviewer: String, now: Int64) throws {
        try driver.write { c in
            _ = try Self.liveClaim(c, assignment: assignment, reviewer: reviewer, now: now)
            try c.execute("UPDATE review_assignments SET state = 'released', finished_at = $1 WHERE id = $2", [now, assignment])
        }
    }

    public func expireLeases(now: Int64) throws -> Int {
        try driver.write { c in try c.expireReviewLeases(now: now) }
    }

    public func releaseAll(reviewer: String?, model: String?, now: Int64) throws -> Int {
        try driver.write { c in
            try c.execute("""
                UPDATE review_assignments SET state = 'released', finished_at = $1
                WHERE state = 'claimed' AND (CAST($2 AS TEXT) IS NULL OR reviewer = $2)
                  AND (CAST($3 AS TEXT) IS NULL OR item_id IN (SELECT i.id FROM review_items i JOIN models m ON m.id = i.model_id WHERE m.name = $3))
                """, [now, reviewer, model])
        }
    }

    public func queueStatus(model: String?, now: Int64) throws -> QueueStatus {
        try driver.read { c in
            var status = QueueStatus()
            let filter = "(CAST($1 AS TEXT) IS NULL OR i.model_id = (SELECT id FROM models WHERE name = $1))"
            for row in try c.query("SELECT i.state, COUNT(*) AS n FROM review_items i WHERE \(filter) GROUP BY i.state", [model]) {
                let n = Int(try row.int("n"))
                switch try row.string("state") {
                case "open": status.open = n
                case "done": status.done = n
                default: status.flagged = n
                }
            }
            status.closedByLabels = Int(try c.one("""
                SELECT COUNT(*) AS n FROM review_items i WHERE \(filter) AND i.state = 'done' AND i.closed_by <> 'review'
                """, [model])!.int("n"))
            for row in try c.query("SELECT i.strategy, COUNT(*) AS n FROM review_items i WHERE \(filter) GROUP BY i.strategy", [model]) {
                status.byStrategy[try row.string("strategy")] = Int(try row.int("n"))
            }
            for row in try c.query("""
                SELECT CASE WHEN a.state = 'claimed' AND a.lease_until <= $2 THEN 'expired' ELSE a.state END AS st, COUNT(*) AS n
                FROM review_assignments a JOIN review_items i ON i.id = a.item_id WHERE \(filter) GROUP BY st
                """, [model, now]) {
                let n = Int(try row.int("n"))
                switch try row.string("st") {
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
        try driver.read { c in
            try c.query("""
                SELECT i.id, m.name, p.id AS pid, i.strategy, i.inclusion_probability, i.reviews_required, i.gold_label_idx, i.state, i.sampled_at,
                  (SELECT \(c.dialect.stringAggregate("a.reviewer", ",")) FROM review_assignments a WHERE a.item_id = i.id AND a.state = 'claimed') AS holders
                FROM review_items i JOIN models m ON m.id = i.model_id JOIN prediction_ids p ON p.seq = i.prediction_seq
                WHERE (CAST($1 AS TEXT) IS NULL OR m.name = $1) AND (CAST($2 AS TEXT) IS NULL OR i.state = $2)
                ORDER BY i.id DESC LIMIT $3
                """, [model, state, limit]).map {
                ReviewItem(id: try $0.int("id"), model: try $0.string("name"), predictionID: try $0.string("pid"), strategy: try $0.string("strategy"),
                           inclusionProbability: try $0.double("inclusion_probability"), reviewsRequired: Int(try $0.int("reviews_required")),
                           isGold: try $0.optionalInt("gold_label_idx") != nil, state: try $0.string("state"), sampledAt: try $0.int("sampled_at"),
                           claimedBy: (try $0.optionalString("holders") ?? "").split(separator: ",").map(String.init))
            }
        }
    }

    public func finishedAssignments(model: String) throws -> [FinishedAssignment] {
        try driver.read { c in
            try c.query("""
                SELECT a.item_id, a.reviewer, a.state, a.label_idx, i.gold_label_idx, a.claimed_at, a.finished_at, a.agrees_with_truth
                FROM review_assignments a JOIN review_items i ON i.id = a.item_id JOIN models m ON m.id = i.model_id
                WHERE m.name = $1 AND a.state IN ('labeled', 'skipped', 'flagged') ORDER BY a.id
                """, [model]).map {
                FinishedAssignment(item: try $0.int("item_id"), reviewer: try $0.string("reviewer"), state: try $0.string("state"),
                                   labelIndex: try $0.optionalInt("label_idx").map(Int.init),
                                   goldLabelIndex: try $0.optionalInt("gold_label_idx").map(Int.init),
                                   claimedAt: try $0.int("claimed_at"), finishedAt: try $0.int("finished_at"),
                                   agreesWithTruth: try $0.optionalInt("agrees_with_truth").map { $0 != 0 })
            }
        }
    }

    public func weightedReviews(model: String, window: TimeWindow) throws -> [WeightedReview] {
        try driver.read { c in
            let (modelID, _) = try c.requireModel(model)
            return try c.query("""
                SELECT g.label_idx, g.predicted_idx, i.inclusion_probability FROM review_items i
                JOIN ground_truth g ON g.prediction_seq = i.prediction_seq
                WHERE i.model_id = $1 AND g.ts >= $2 AND g.ts < $3 AND i.strategy != 'gold'
                  AND g.label_idx IS NOT NULL AND g.predicted_idx IS NOT NULL
                """, [modelID, window.from, window.to]).map {
                WeightedReview(observed: Int(try $0.int("label_idx")), predicted: Int(try $0.int("predicted_idx")),
                               inclusionProbability: try $0.double("inclusion_probability"))
            }
        }
    }

    public func liveClaims(reviewer: String, model: String?, now: Int64) throws -> [ReviewClaim] {
        try driver.read { c in
            try c.query("""
                SELECT a.id FROM review_assignments a JOIN review_items i ON i.id = a.item_id
                WHERE a.reviewer = $1 AND a.state = 'claimed' AND a.lease_until > $2
                  AND (CAST($3 AS TEXT) IS NULL OR i.model_id = (SELECT id FROM models WHERE name = $3))
                ORDER BY a.id
                """, [reviewer, now, model]).map { try Self.reviewClaim(c, assignment: try $0.int("id")) }
        }
    }

    public func labeledItemCount(model: String?, since: Int64) throws -> Int {
        try driver.read { c in
            Int(try c.one("""
                SELECT COUNT(DISTINCT a.item_id) AS n FROM review_assignments a JOIN review_items i ON i.id = a.item_id
                WHERE a.state = 'labeled' AND a.finished_at >= $1
                  AND (CAST($2 AS TEXT) IS NULL OR i.model_id = (SELECT id FROM models WHERE name = $2))
                """, [since, model])!.int("n"))
        }
    }

    // MARK: Claims

    /// The claim of `assignment` as a reviewer sees it: the item, its prediction and the model's guess.
    public static func reviewClaim(_ c: any SQLConnection, assignment: Int64) throws -> ReviewClaim {
        guard let row = try c.one("""
            SELECT a.id, a.item_id, a.reviewer, a.lease_until, i.gold_label_idx, m.name, p.id AS pid, p.label_idx, p.score, p.payload
            FROM review_assignments a JOIN review_items i ON i.id = a.item_id JOIN prediction_ids pi ON pi.seq = i.prediction_seq
            JOIN predictions p ON p.seq = pi.seq AND p.ts = pi.ts
            JOIN models m ON m.id = i.model_id WHERE a.id = $1
            """, [assignment]) else { throw QueueError.unknownAssignment(assignment) }
        var predicted: String?
        if let k = try row.optionalInt("label_idx"), let (_, schema) = try c.modelSchema(named: try row.string("name")), k >= 0, Int(k) < schema.classes.count {
            predicted = schema.classes[Int(k)]
        }
        return ReviewClaim(assignment: try row.int("id"), item: try row.int("item_id"), model: try row.string("name"),
                           predictionID: try row.string("pid"), predictedClass: predicted, score: try row.optionalDouble("score"),
                           payload: try row.optionalString("payload"), reviewer: try row.string("reviewer"), leaseUntil: try row.int("lease_until"),
                           isGold: try row.optionalInt("gold_label_idx") != nil)
    }

    /// The live claim `assignment` of `reviewer` (locked), or the refusal that says why not.
    static func liveClaim(_ c: any SQLConnection, assignment: Int64, reviewer: String, now: Int64) throws -> LiveClaim {
        guard let row = try c.one("""
            SELECT a.item_id, a.reviewer, a.state, a.lease_until, i.prediction_seq, i.gold_label_idx, i.reviews_required, i.model_id, i.on_disagreement
            FROM review_assignments a JOIN review_items i ON i.id = a.item_id WHERE a.id = $1 \(c.dialect.lockRows)
            """, [assignment]) else { throw QueueError.unknownAssignment(assignment) }
        let holder = try row.string("reviewer")
        guard holder == reviewer else { throw QueueError.notYours(assignment: assignment, holder: holder) }
        let state = try row.string("state"), leaseUntil = try row.int("lease_until"), item = try row.int("item_id")
        if state == "expired" || (state == "claimed" && leaseUntil <= now) {
            let others = try c.query("""
                SELECT reviewer FROM review_assignments WHERE item_id = $1 AND id > $2 AND state IN ('claimed', 'labeled', 'flagged', 'skipped') ORDER BY id
                """, [item, assignment]).map { try $0.string("reviewer") }
            let passed = others.isEmpty ? "it is back in the queue" : "it has since gone to \(others.joined(separator: ", "))"
            throw QueueError.leaseLost("your claim \(assignment) on item \(item) expired at \(Timestamp.format(millis: leaseUntil)) and \(passed); your answer was not recorded. Claim the item again to review it.")
        }
        guard state == "claimed" else { throw QueueError.finished(assignment: assignment, state: state) }
        return LiveClaim(item: item, seq: try row.int("prediction_seq"), gold: try row.optionalInt("gold_label_idx"),
                         required: try row.int("reviews_required"), modelID: try row.int("model_id"),
                         onDisagreement: DisagreementRule(rawValue: try row.string("on_disagreement")) ?? .keepTruth)
    }
}

/// A claim that may still be answered: its item, prediction, gold label, reviews needed and model.
struct LiveClaim {
    var item: Int64
    var seq: Int64
    var gold: Int64?
    var required: Int64
    var modelID: Int64
    var onDisagreement: DisagreementRule
}

extension SQLConnection {
    /// Closes the open, non-gold review items of `seqs`, whose ground truth just arrived by a
    /// path other than the review (`source`: the label's source, recorded as `closed_by`), so
    /// nobody is served an item that already has its answer. Items with a live claim close
    /// too; the reviewer's answer then meets existing truth (see `DisagreementRule`).
    func closeReviewItems(predictionSeqs seqs: [Int64], closedBy source: String) throws {
        guard !seqs.isEmpty else { return }
        try execute("""
            UPDATE review_items SET state = 'done', closed_by = $1
            WHERE state = 'open' AND gold_label_idx IS NULL AND prediction_seq IN \(dialect.integerList("$2"))
            """, [source, seqs])
    }

    /// Expires stale review leases inside this transaction; returns how many.
    public func expireReviewLeases(now: Int64) throws -> Int {
        try execute("UPDATE review_assignments SET state = 'expired', finished_at = lease_until WHERE state = 'claimed' AND lease_until <= $1", [now])
    }
}
