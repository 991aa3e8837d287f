import Foundation
import GRDB
import GRDBSQLite
import VigilCore

extension SQLiteStore {
    public func forEachSamplingCandidate(model: String, window: TimeWindow, passes: Int, attribute: String?,
                                         _ body: (Int, SamplingCandidate) throws -> Void) throws {
        try queue.read { db in
            guard let (modelID, _) = try db.sql.modelSchema(named: model) else { throw StoreError("unknown model '\(model)'") }
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
                ORDER BY p.ts, p.seq
                """)  // the (model_id, ts) index holds rows in this order (rowid last): SQLite walks it without sorting
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

    public func claim(model: String?, reviewer: String, now: Int64, leaseMillis: Int64, limit: Int) throws -> [ReviewClaim] {
        try GRDBDriver(queue: queue).immediate { db in
            _ = try db.sql.expireReviewLeases(now: now)
            var modelID: Int64?
            if let model {
                guard let (id, _) = try db.sql.modelSchema(named: model) else { throw StoreError("unknown model '\(model)'") }
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
                claims.append(try Self.reviewClaim(db.sql, assignment: db.lastInsertedRowID))
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

    public func writeLabels(_ c: any SQLConnection, _ batch: [LabelRecord], models: [Int64: ModelSchema], options: IngestOptions,
                            outcome: inout IngestOutcome) throws {
        guard let g = c as? GRDBConnection else { throw StoreError("a SQLite store was handed another engine's connection") }
        _ = try Self.writeLabels(g.db, batch, models: models, options: options, outcome: &outcome)
    }
}
