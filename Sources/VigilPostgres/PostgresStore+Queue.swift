import Foundation
import VigilCore
import VigilStore

extension PostgresStore {
    public func forEachSamplingCandidate(model: String, window: TimeWindow, passes: Int, attribute: String?,
                                         _ body: (Int, SamplingCandidate) throws -> Void) throws {
        // One snapshot for every pass: the rows are read once and walked `passes` times.
        let rows = try read { s in
            let (modelID, _) = try s.sql.requireModel(model)
            return try s.query("""
                SELECT p.seq, p.label_idx, p.score, p.payload, CASE WHEN $4::text IS NULL THEN NULL ELSE p.payload::json #>> ARRAY['input', 'attributes', $4::text] END
                FROM predictions p
                WHERE p.model_id = $1 AND p.ts >= $2 AND p.ts < $3
                  AND NOT EXISTS (SELECT 1 FROM ground_truth g WHERE g.prediction_seq = p.seq)
                  AND NOT EXISTS (SELECT 1 FROM review_items r WHERE r.prediction_seq = p.seq)
                ORDER BY p.ts, p.seq
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

    /// Expires stale leases inside the caller's transaction.
    static func expire(_ s: PostgresSession, now: Int64) throws -> Int {
        try s.sql.expireReviewLeases(now: now)
    }

    public func claim(model: String?, reviewer: String, now: Int64, leaseMillis: Int64, limit: Int) throws -> [ReviewClaim] {
        try pool.withSession { s in
            _ = try s.transaction { try Self.expire(s, now: now) }
            return try s.transaction {
                var modelID: Int64?
                if let model { modelID = try s.sql.requireModel(model).id }
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
        try Self.reviewClaim(s.sql, assignment: assignment)
    }

    public func writeLabels(_ c: any SQLConnection, _ batch: [LabelRecord], models: [Int64: ModelSchema], options: IngestOptions,
                            outcome: inout IngestOutcome) throws {
        guard let p = c as? PostgresSQLConnection else { throw StoreError("a PostgreSQL store was handed another engine's connection") }
        _ = try Self.writeLabels(p.session, batch, models: models, options: options, outcome: &outcome, report: { _ in })
    }
}
