/// The schema change behind "one ground truth, one queue", the same SQL on both backends
/// (SQLite's `v12-review-truth`, PostgreSQL's `pg-v6-review-truth`):
///
/// - `review_items.closed_by`: what closed a done item — `review`, or the `source` of ground
///   truth that arrived by another path (`import`, …) and closed it before anyone answered;
/// - `review_items.stratum`: the predicted class the sampler filed the item under, so the daily
///   budget counts each class's stratified items over the last 24 hours;
/// - `review_items.on_disagreement`: the policy's rule for an answer that disagrees with
///   existing ground truth, recorded when the item is sampled;
/// - `review_assignments.agrees_with_truth`: 1 or 0 for an answer given where ground truth
///   already existed, NULL otherwise.
///
/// Open items whose prediction already has ground truth from outside the review are closed,
/// as the new rule would have closed them when that truth arrived.
public enum ReviewTruthMigration {
    public static let sql = """
        ALTER TABLE review_items ADD COLUMN closed_by TEXT;
        ALTER TABLE review_items ADD COLUMN stratum BIGINT;
        ALTER TABLE review_items ADD COLUMN on_disagreement TEXT NOT NULL DEFAULT 'keep_truth';
        ALTER TABLE review_assignments ADD COLUMN agrees_with_truth BIGINT;
        UPDATE review_items SET stratum = (SELECT p.label_idx FROM prediction_ids p WHERE p.seq = review_items.prediction_seq);
        UPDATE review_items SET closed_by = 'review' WHERE state = 'done';
        UPDATE review_items SET state = 'done',
          closed_by = (SELECT g.source FROM ground_truth g WHERE g.prediction_seq = review_items.prediction_seq)
        WHERE state = 'open' AND gold_label_idx IS NULL
          AND EXISTS (SELECT 1 FROM ground_truth g WHERE g.prediction_seq = review_items.prediction_seq AND g.source <> 'review');
        """
}
