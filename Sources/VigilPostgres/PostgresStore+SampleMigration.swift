import VigilStore

extension PostgresStore {
    /// `pg-v4-drift-sample`, as SQLite's `v9-drift-sample`: the stored drift sample
    /// (``PredictionSample``: predictions of level ≥ 5, keyed by level first) and the per-hour
    /// score sums, both filled from the stored predictions, and the retention mark.
    static let driftSample = """
        CREATE TABLE prediction_sample(
          model_id BIGINT NOT NULL,
          level BIGINT NOT NULL,
          ts BIGINT NOT NULL,
          seq BIGINT NOT NULL,
          score DOUBLE PRECISION,
          boxes TEXT,
          PRIMARY KEY (model_id, level, ts, seq));
        CREATE TABLE hourly_score_sums(
          model_id BIGINT NOT NULL,
          hour BIGINT NOT NULL,
          n BIGINT NOT NULL,
          total DOUBLE PRECISION NOT NULL,
          PRIMARY KEY (model_id, hour));
        CREATE TABLE retention_mark(
          id BIGINT PRIMARY KEY CHECK (id = 1),
          before BIGINT NOT NULL);
        INSERT INTO hourly_score_sums(model_id, hour, n, total)
          SELECT model_id, ts / 3600000, COUNT(*), SUM(score) FROM predictions WHERE score IS NOT NULL GROUP BY 1, 2;
        INSERT INTO prediction_sample(model_id, level, ts, seq, score, boxes)
          SELECT model_id, \(sampleLevelSQL("content_hash")), ts, seq, score, \(boxesSQL("payload")) FROM predictions
          WHERE \(inSampleSQL("content_hash"));
        """

    /// SQL for ``PredictionSample/level(contentHash:)``: leading zero bits of the hash, at most 63.
    static func sampleLevelSQL(_ hash: String) -> String {
        "LEAST(63, 64 - length(ltrim(\(hash)::bit(64)::text, '0')))"
    }

    /// SQL for ``PredictionSample/isStored(contentHash:)``.
    static func inSampleSQL(_ hash: String) -> String {
        "\(hash) >= 0 AND \(hash) < \(Int64(1) << (64 - PredictionSample.storedLevel))"
    }

    /// A payload's `boxes` array as text (NULL when absent or null), as SQLite's json_extract.
    static func boxesSQL(_ payload: String) -> String {
        "NULLIF((\(payload)::json -> 'boxes')::text, 'null')"
    }
}
