import Foundation
import GRDB
import GRDBSQLite
import VigilCore

extension SQLiteStore: QueueStore {
    public func forEachSamplingCandidate(model: String, window: TimeWindow, passes: Int, attribute: String?,
                                         _ body: (Int, SamplingCandidate) throws -> Void) throws {
        try queue.read { db in
            guard let (modelID, _) = try Self.schema(db, name: model) else { throw StoreError("unknown model '\(model)'") }
            guard let conn = db.sqliteConnection else { throw StoreError("the database connection is closed") }
            let attributeColumn = attribute == nil ? "NULL" : "json_extract(p.payload, ?4)"
            // Labelled or queued predictions of the window, as a sorted array looked up by binary
            // search: cheaper per row than two correlated subqueries, and its size is the number
            // of reviewed items, not of predictions.
            let excluded = try Int64.fetchAll(db, sql: """
                SELECT prediction_seq FROM ground_truth WHERE model_id = ?1 AND ts >= ?2 AND ts < ?3
                UNION SELECT r.prediction_seq FROM review_items r JOIN predictions p ON p.seq = r.prediction_seq
                  WHERE r.model_id = ?1 AND p.ts >= ?2 AND p.ts < ?3
                ORDER BY 1
                """, arguments: [modelID, window.from, window.to])
            func isExcluded(_ seq: Int64) -> Bool {
                var lo = 0, hi = excluded.count
                while lo < hi {
                    let mid = (lo + hi) / 2
                    if excluded[mid] < seq { lo = mid + 1 } else { hi = mid }
                }
                return lo < excluded.count && excluded[lo] == seq
            }
            let rows = try RawStatement(conn, """
                SELECT p.seq, p.label_idx, p.score, p.payload, \(attributeColumn) FROM predictions p
                WHERE p.model_id = ?1 AND p.ts >= ?2 AND p.ts < ?3
                """)  // no ORDER BY: the index order is the same on every pass of one snapshot, and sorting payloads costs more than the scan
            for pass in 0..<passes {
                rows.bind(1, modelID); rows.bind(2, window.from); rows.bind(3, window.to)
                if let attribute { rows.bind(4, "$.input.attributes.\"\(attribute)\"") }
                while try rows.step() {
                    if !excluded.isEmpty && isExcluded(rows.int64(0)) { continue }
                    let h = rows.handle
                    var payload: UnsafeBufferPointer<UInt8>?
                    if let p = sqlite3_column_text(h, 3) {
                        payload = UnsafeBufferPointer(start: p, count: Int(sqlite3_column_bytes(h, 3)))
                    }
                    let candidate = SamplingCandidate(
                        seq: rows.int64(0), labelIndex: rows.isNull(1) ? nil : Int(rows.int64(1)),
                        score: rows.isNull(2) ? nil : rows.double(2), payload: payload,
                        attribute: attribute == nil ? nil : rows.text(4))
                    try body(pass, candidate)
                }
                rows.reset()
            }
        }
    }

    public func forEachGoldCandidate(model: String, window: TimeWindow, _ body: (Int64, Int) throws -> Void) throws {
        try queue.read { db in
            guard let (modelID, _) = try Self.schema(db, name: model) else { throw StoreError("unknown model '\(model)'") }
            let rows = try Row.fetchCursor(db, sql: """
                SELECT g.prediction_seq, g.label_idx FROM ground_truth g
                WHERE g.model_id = ? AND g.ts >= ? AND g.ts < ? AND g.label_idx IS NOT NULL
                  AND NOT EXISTS (SELECT 1 FROM review_items r WHERE r.prediction_seq = g.prediction_seq)
                ORDER BY g.prediction_seq
                """, arguments: [modelID, window.from, window.to])
            while let row = try rows.next() { try body(row[0], row[1]) }
        }
    }

    public func attributeValues(model: String, window: TimeWindow, attribute: String) throws -> Set<String> {
        try queue.read { db in
            guard let (modelID, _) = try Self.schema(db, name: model) else { throw StoreError("unknown model '\(model)'") }
            let values = try String.fetchAll(db, sql: """
                SELECT DISTINCT CAST(json_extract(payload, ?) AS TEXT) FROM predictions
                WHERE model_id = ? AND ts >= ? AND ts < ? AND json_extract(payload, ?) IS NOT NULL
                """, arguments: ["$.input.attributes.\"\(attribute)\"", modelID, window.from, window.to, "$.input.attributes.\"\(attribute)\""])
            return Set(values)
        }
    }

    public func enqueue(_ items: [ReviewItemDraft], model: String, sampleRun: String, now: Int64, actor: String) throws -> Int {
        try queue.write { db in
            guard let (modelID, _) = try Self.schema(db, name: model) else { throw StoreError("unknown model '\(model)'") }
            let insert = try db.makeStatement(sql: """
                INSERT INTO review_items(prediction_seq, model_id, strategy, inclusion_probability, sampled_at, sample_run, reviews_required, gold_label_idx)
                SELECT ?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8
                WHERE ?3 = 'gold' OR NOT EXISTS (SELECT 1 FROM ground_truth WHERE prediction_seq = ?1)
                ON CONFLICT(prediction_seq) DO NOTHING
                """)
            var queued = 0
            var byStrategy: [String: Int] = [:]
            for item in items {
                try insert.execute(arguments: [item.predictionSeq, modelID, item.strategy.rawValue, item.inclusionProbability, now,
                                               sampleRun, item.reviewsRequired, item.goldLabelIndex])
                if db.changesCount == 1 { queued += 1; byStrategy[item.strategy.rawValue, default: 0] += 1 }
            }
            var details = byStrategy.mapValues(String.init)
            details["queued"] = String(queued)
            try Self.append(db, Event(ts: now, actor: actor, kind: "sample.run", model: model, subject: sampleRun, details: Self.jsonObject(details)))
            return queued
        }
    }

    public func queuedCount(model: String, since: Int64) throws -> Int {
        try queue.read { db in
            guard let (modelID, _) = try Self.schema(db, name: model) else { return 0 }
            return try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM review_items WHERE model_id = ? AND sampled_at > ? AND strategy != 'gold'",
                                    arguments: [modelID, since]) ?? 0
        }
    }

    /// Expires stale leases inside the caller's transaction.
    static func expire(_ db: Database, now: Int64) throws -> Int {
        try db.cachedStatement(sql: "UPDATE review_assignments SET state = 'expired', finished_at = lease_until WHERE state = 'claimed' AND lease_until <= ?")
            .execute(arguments: [now])
        return db.changesCount
    }

    /// Runs `body` in a `BEGIN IMMEDIATE` transaction and returns its value.
    func immediate<T>(_ body: (Database) throws -> T) throws -> T {
        var result: T?
        try queue.writeWithoutTransaction { db in
            try db.inTransaction(.immediate) {
                result = try body(db)
                return .commit
            }
        }
        return result!
    }

    public func claim(model: String?, reviewer: String, now: Int64, leaseMillis: Int64, limit: Int) throws -> [ReviewClaim] {
        try immediate { db in
            _ = try Self.expire(db, now: now)
            var modelID: Int64?
            if let model {
                guard let (id, _) = try Self.schema(db, name: model) else { throw StoreError("unknown model '\(model)'") }
                modelID = id
            }
            let arguments: StatementArguments = if let modelID { [modelID, reviewer] } else { [reviewer] }
            let next = try db.cachedStatement(sql: Self.nextItemSQL(byModel: modelID != nil))
            let insert = try db.cachedStatement(sql: "INSERT INTO review_assignments(item_id, reviewer, state, claimed_at, lease_until) VALUES (?, ?, 'claimed', ?, ?)")
            var claims: [ReviewClaim] = []
            // Each claim makes its item the reviewer's, so the next lookup finds the next item.
            while claims.count < limit, let item = try Row.fetchOne(next, arguments: arguments) {
                let itemID: Int64 = item["id"]
                try insert.execute(arguments: [itemID, reviewer, now, now + leaseMillis])
                claims.append(try Self.claimRow(db, assignment: db.lastInsertedRowID))
            }
            return claims
        }
    }

    /// The next item a reviewer may claim: open, not had by this reviewer (skips and expiries
    /// excepted: those may come back), with fewer live claims and finished reviews than it needs.
    ///
    /// Written so that SQLite walks an index in id order and stops at the first match: the
    /// model filter is a plain equality (not `? IS NULL OR …`, which no index serves), and
    /// `+a.reviewer` keeps the reviewer's own (ever-growing) history out of the lookup, which
    /// goes by item instead.
    static func nextItemSQL(byModel: Bool) -> String {
        let (filter, reviewer) = byModel ? ("i.model_id = ?1 AND i.state = 'open'", "?2") : ("i.state = 'open'", "?1")
        return """
            SELECT i.id FROM review_items i
            WHERE \(filter)
              AND NOT EXISTS (SELECT 1 FROM review_assignments a WHERE a.item_id = i.id AND +a.reviewer = \(reviewer)
                              AND a.state IN ('claimed', 'labeled', 'flagged', 'skipped'))
              AND (SELECT COUNT(*) FROM review_assignments a WHERE a.item_id = i.id AND a.state IN ('claimed', 'labeled'))
                  < i.reviews_required
            ORDER BY i.id LIMIT 1
            """
    }

    static func claimRow(_ db: Database, assignment: Int64) throws -> ReviewClaim {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT a.id, a.item_id, a.reviewer, a.lease_until, i.gold_label_idx, m.name, p.id AS pid, p.label_idx, p.score, p.payload, i.model_id
            FROM review_assignments a JOIN review_items i ON i.id = a.item_id JOIN predictions p ON p.seq = i.prediction_seq
            JOIN models m ON m.id = i.model_id WHERE a.id = ?
            """), arguments: [assignment]) else { throw QueueError.unknownAssignment(assignment) }
        var predicted: String?
        if let k: Int = row["label_idx"], let (_, schema) = try schema(db, name: row["name"]), k < schema.classes.count { predicted = schema.classes[k] }
        return ReviewClaim(assignment: row["id"], item: row["item_id"], model: row["name"], predictionID: row["pid"], predictedClass: predicted,
                           score: row["score"], payload: row["payload"], reviewer: row["reviewer"], leaseUntil: row["lease_until"],
                           isGold: (row["gold_label_idx"] as Int?) != nil)
    }

    /// The live claim `assignment` of `reviewer`, or the refusal that says why not.
    static func liveClaim(_ db: Database, assignment: Int64, reviewer: String, now: Int64) throws -> Row {
        guard let row = try Row.fetchOne(db.cachedStatement(sql: """
            SELECT a.item_id, a.reviewer, a.state, a.lease_until, i.prediction_seq, i.gold_label_idx, i.reviews_required, i.model_id
            FROM review_assignments a JOIN review_items i ON i.id = a.item_id WHERE a.id = ?
            """), arguments: [assignment]) else { throw QueueError.unknownAssignment(assignment) }
        let holder: String = row["reviewer"]
        guard holder == reviewer else { throw QueueError.notYours(assignment: assignment, holder: holder) }
        let state: String = row["state"]
        let leaseUntil: Int64 = row["lease_until"]
        if state == "expired" || (state == "claimed" && leaseUntil <= now) {
            let item: Int64 = row["item_id"]
            let others = try String.fetchAll(db, sql: """
                SELECT reviewer FROM review_assignments WHERE item_id = ? AND id > ? AND state IN ('claimed', 'labeled', 'flagged', 'skipped')
                """, arguments: [item, assignment])
            let passed = others.isEmpty ? "it is back in the queue" : "it has since gone to \(others.joined(separator: ", "))"
            throw QueueError.leaseLost("your claim \(assignment) on item \(item) expired at \(Timestamp.format(millis: leaseUntil)) and \(passed); your answer was not recorded. Claim the item again to review it.")
        }
        guard state == "claimed" else { throw QueueError.finished(assignment: assignment, state: state) }
        return row
    }

    public func renew(assignment: Int64, reviewer: String, now: Int64, leaseMillis: Int64) throws -> ReviewClaim {
        try immediate { db in
            _ = try Self.liveClaim(db, assignment: assignment, reviewer: reviewer, now: now)
            try db.execute(sql: "UPDATE review_assignments SET lease_until = ? WHERE id = ?", arguments: [now + leaseMillis, assignment])
            return try Self.claimRow(db, assignment: assignment)
        }
    }

    public func release(assignment: Int64, reviewer: String, now: Int64) throws {
        try immediate { db in
            _ = try Self.liveClaim(db, assignment: assignment, reviewer: reviewer, now: now)
            try db.execute(sql: "UPDATE review_assignments SET state = 'released', finished_at = ? WHERE id = ?", arguments: [now, assignment])
        }
    }

    public func submit(_ answers: [ReviewSubmission], reviewer: String, now: Int64) throws {
        try immediate { db in
            for answer in answers { try Self.record(db, answer, reviewer: reviewer, now: now) }
        }
    }

    /// Records one answer and, for a label or boxes, its ground truth inside the caller's
    /// transaction: the assignment, the event, the label with its revision and confusion counts,
    /// and the revision the answer wrote (which undo checks) commit together or not at all. A
    /// refused label leaves the claim live, so the reviewer can answer again.
    static func record(_ db: Database, _ answer: ReviewSubmission, reviewer: String, now: Int64) throws {
        let (assignment, outcome) = (answer.assignment, answer.outcome)
        let row = try Self.liveClaim(db, assignment: assignment, reviewer: reviewer, now: now)
        let item: Int64 = row["item_id"]
        let modelID: Int64 = row["model_id"]
        guard let modelName = try String.fetchOne(db.cachedStatement(sql: "SELECT name FROM models WHERE id = ?"), arguments: [modelID]),
              let (_, schema) = try Self.schema(db, name: modelName) else { throw StoreError("the item's model is missing") }
        let predictionID = try String.fetchOne(db.cachedStatement(sql: "SELECT id FROM predictions WHERE seq = ?"), arguments: [row["prediction_seq"] as Int64]) ?? ""
        // A label or boxes finish the assignment; the item is done when it has all its reviews.
        func finishLabeled(labelIndex: Int?, boxes: String?) throws {
            try db.cachedStatement(sql: "UPDATE review_assignments SET state = 'labeled', finished_at = ?, label_idx = ?, boxes = ? WHERE id = ?")
                .execute(arguments: [now, labelIndex, boxes, assignment])
            let done = try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) FROM review_assignments WHERE item_id = ? AND state = 'labeled'"),
                                        arguments: [item]) ?? 0
            if done >= (row["reviews_required"] as Int) {
                try db.cachedStatement(sql: "UPDATE review_items SET state = 'done' WHERE id = ?").execute(arguments: [item])
            }
        }
        // Gold items already have their answer: the reviewer's answer scores the reviewer.
        let isGold = (row["gold_label_idx"] as Int?) != nil
        let labelRecord: LabelRecord?
        switch outcome {
        case .label(let label):
            let k = try ReviewAnswer.labelIndex(label, schema: schema, item: item, model: modelName)
            try finishLabeled(labelIndex: k, boxes: nil)
            try Self.append(db, Event(ts: now, actor: reviewer, kind: "review.label", model: modelName, subject: predictionID,
                                      details: Self.jsonObject(["label": label, "item": String(item)])))
            labelRecord = isGold ? nil : ReviewAnswer.labelRecord(predictionID: predictionID, label: label, reviewer: reviewer)
        case .boxes(let boxes):
            try ReviewAnswer.checkBoxes(boxes, schema: schema, item: item, model: modelName)
            try finishLabeled(labelIndex: nil, boxes: ReviewedBox.answerJSON(boxes))
            try Self.append(db, Event(ts: now, actor: reviewer, kind: "review.boxes", model: modelName, subject: predictionID,
                                      details: Self.jsonObject(ReviewAnswer.verdictCounts(boxes, item: item))))
            labelRecord = isGold ? nil : ReviewAnswer.boxesRecord(predictionID: predictionID, boxes: boxes, reviewer: reviewer)
        case .skip(let reason):
            try db.execute(sql: "UPDATE review_assignments SET state = 'skipped', finished_at = ?, reason = ? WHERE id = ?",
                           arguments: [now, reason, assignment])
            try Self.append(db, Event(ts: now, actor: reviewer, kind: "review.skip", model: modelName, subject: predictionID,
                                      details: Self.jsonObject(["reason": reason ?? "", "item": String(item)])))
            labelRecord = nil
        case .flag(let reason):
            try db.execute(sql: "UPDATE review_assignments SET state = 'flagged', finished_at = ?, reason = ? WHERE id = ?",
                           arguments: [now, reason, assignment])
            try db.execute(sql: "UPDATE review_items SET state = 'flagged', reason = ? WHERE id = ?", arguments: [reason, item])
            try Self.append(db, Event(ts: now, actor: reviewer, kind: "review.flag", model: modelName, subject: predictionID,
                                      details: Self.jsonObject(["reason": reason, "item": String(item)])))
            labelRecord = nil
        }
        guard let labelRecord else { return }
        // The label goes through the ground-truth path: a second reviewer's different answer
        // becomes a new revision, so history is kept.
        var labels = IngestOutcome()
        _ = try Self.writeLabels(db, [labelRecord], models: [modelID: schema],
                                 options: IngestOptions(now: now, allowRelabel: true, actor: reviewer), outcome: &labels)
        if let reject = labels.rejected.first { throw StoreError("the label was not stored: \(reject.reason)") }
        if labels.inserted + labels.relabeled > 0 {
            // The revision this answer wrote: undo reverts it only while it is still the current one.
            try db.cachedStatement(sql: """
                UPDATE review_assignments SET gt_revision = (SELECT revision FROM ground_truth WHERE prediction_seq = ?)
                WHERE id = ?
                """).execute(arguments: [row["prediction_seq"] as Int64, assignment])
        }
    }

    public func expireLeases(now: Int64) throws -> Int {
        try immediate { db in try Self.expire(db, now: now) }
    }

    public func releaseAll(reviewer: String?, model: String?, now: Int64) throws -> Int {
        try immediate { db in
            try db.execute(sql: """
                UPDATE review_assignments SET state = 'released', finished_at = ?1
                WHERE state = 'claimed' AND (?2 IS NULL OR reviewer = ?2)
                  AND (?3 IS NULL OR item_id IN (SELECT i.id FROM review_items i JOIN models m ON m.id = i.model_id WHERE m.name = ?3))
                """, arguments: [now, reviewer, model])
            return db.changesCount
        }
    }

    public func queueStatus(model: String?, now: Int64) throws -> QueueStatus {
        try queue.read { db in
            var s = QueueStatus()
            let filter = "(?1 IS NULL OR i.model_id = (SELECT id FROM models WHERE name = ?1))"
            for row in try Row.fetchAll(db, sql: "SELECT i.state, COUNT(*) AS n FROM review_items i WHERE \(filter) GROUP BY i.state", arguments: [model]) {
                let n: Int = row["n"]
                switch row["state"] as String {
                case "open": s.open = n
                case "done": s.done = n
                default: s.flagged = n
                }
            }
            for row in try Row.fetchAll(db, sql: "SELECT i.strategy, COUNT(*) AS n FROM review_items i WHERE \(filter) GROUP BY i.strategy", arguments: [model]) {
                s.byStrategy[row["strategy"]] = row["n"]
            }
            for row in try Row.fetchAll(db, sql: """
                SELECT CASE WHEN a.state = 'claimed' AND a.lease_until <= ?2 THEN 'expired' ELSE a.state END AS st, COUNT(*) AS n
                FROM review_assignments a JOIN review_items i ON i.id = a.item_id WHERE \(filter) GROUP BY st
                """, arguments: [model, now]) {
                let n: Int = row["n"]
                switch row["st"] as String {
                case "claimed": s.claimed = n
                case "expired": s.expired = n
                case "skipped": s.skipped = n
                default: break
                }
            }
            return s
        }
    }

    public func reviewItems(model: String?, state: String?, limit: Int) throws -> [ReviewItem] {
        try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT i.id, m.name, p.id AS pid, i.strategy, i.inclusion_probability, i.reviews_required, i.gold_label_idx, i.state, i.sampled_at,
                  (SELECT GROUP_CONCAT(a.reviewer, ',') FROM review_assignments a WHERE a.item_id = i.id AND a.state = 'claimed') AS holders
                FROM review_items i JOIN models m ON m.id = i.model_id JOIN predictions p ON p.seq = i.prediction_seq
                WHERE (?1 IS NULL OR m.name = ?1) AND (?2 IS NULL OR i.state = ?2)
                ORDER BY i.id DESC LIMIT ?3
                """, arguments: [model, state, limit]).map {
                ReviewItem(id: $0["id"], model: $0["name"], predictionID: $0["pid"], strategy: $0["strategy"],
                           inclusionProbability: $0["inclusion_probability"], reviewsRequired: $0["reviews_required"],
                           isGold: ($0["gold_label_idx"] as Int?) != nil, state: $0["state"], sampledAt: $0["sampled_at"],
                           claimedBy: (($0["holders"] as String?) ?? "").split(separator: ",").map(String.init))
            }
        }
    }

    public func finishedAssignments(model: String) throws -> [FinishedAssignment] {
        try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT a.item_id, a.reviewer, a.state, a.label_idx, i.gold_label_idx, a.claimed_at, a.finished_at
                FROM review_assignments a JOIN review_items i ON i.id = a.item_id JOIN models m ON m.id = i.model_id
                WHERE m.name = ? AND a.state IN ('labeled', 'skipped', 'flagged') ORDER BY a.id
                """, arguments: [model]).map {
                FinishedAssignment(item: $0["item_id"], reviewer: $0["reviewer"], state: $0["state"], labelIndex: $0["label_idx"],
                                   goldLabelIndex: $0["gold_label_idx"], claimedAt: $0["claimed_at"], finishedAt: $0["finished_at"])
            }
        }
    }

    public func weightedReviews(model: String, window: TimeWindow) throws -> [WeightedReview] {
        try queue.read { db in
            guard let (modelID, _) = try Self.schema(db, name: model) else { throw StoreError("unknown model '\(model)'") }
            return try Row.fetchAll(db, sql: """
                SELECT g.label_idx, g.predicted_idx, i.inclusion_probability FROM review_items i
                JOIN ground_truth g ON g.prediction_seq = i.prediction_seq
                WHERE i.model_id = ? AND g.ts >= ? AND g.ts < ? AND i.strategy != 'gold'
                  AND g.label_idx IS NOT NULL AND g.predicted_idx IS NOT NULL
                """, arguments: [modelID, window.from, window.to]).map {
                WeightedReview(observed: $0[0], predicted: $0[1], inclusionProbability: $0[2])
            }
        }
    }
}
