import NIOCore
import VigilCore
import VigilStore

/// The staging table a batch of predictions is copied into (`COPY … FROM STDIN`) before one
/// set-based statement merges it into the store.
///
/// A temporary table of the connection, emptied at every commit: each batch is one
/// transaction, so the table holds one batch at a time (an atomic ingest, one transaction for
/// every batch, empties it itself between batches). Its `seq` column takes the next
/// sequence number for each row as it is copied, so sequence numbers follow the lines, as on
/// SQLite, whatever order the ids are claimed in.
enum PredictionStage {
    static let table = "vigil_stage_predictions"
    static let columns = ["idx", "id", "model_id", "ts", "model_version", "label_idx", "score", "payload", "content_hash", "sample_level"]

    /// Creates the connection's staging table unless it has one (outside any transaction).
    static func create(_ s: PostgresSession) throws {
        try s.execute("""
            CREATE TEMP TABLE IF NOT EXISTS \(table)(
              idx BIGINT NOT NULL,
              id TEXT NOT NULL,
              model_id BIGINT NOT NULL,
              ts BIGINT NOT NULL,
              model_version TEXT,
              label_idx BIGINT,
              score DOUBLE PRECISION,
              payload TEXT,
              content_hash BIGINT NOT NULL,
              sample_level BIGINT,
              seq BIGINT NOT NULL DEFAULT nextval('prediction_seq')) ON COMMIT DELETE ROWS
            """)
    }

    /// The rows of `batch` to stage, in line order, as `COPY` text: those of a known model
    /// (`models[i]`) from the retention mark on; `idx` is the row's position in the batch.
    static func encode(_ batch: [PredictionRecord], models: [Int64?], mark: Int64) -> (data: ByteBuffer, rows: Int) {
        var out = CopyText(capacity: batch.count * 192)
        var rows = 0
        for (i, r) in batch.enumerated() {
            guard let model = models[i], r.timestampMillis >= mark else { continue }
            out.int(Int64(i))
            out.text(r.id)
            out.int(model)
            out.int(r.timestampMillis)
            out.text(r.modelVersion)
            out.int(r.labelIndex.map(Int64.init))
            out.double(r.score)
            out.text(r.payload)
            out.int(r.contentHash)
            out.int(PredictionSample.isStored(contentHash: r.contentHash) ? Int64(PredictionSample.level(contentHash: r.contentHash)) : nil)
            out.endRow()
            rows += 1
        }
        return (out.buffer, rows)
    }

    /// Claims the staged ids with `ON CONFLICT DO NOTHING`, in one order on every instance (id,
    /// then line), so two instances writing overlapping batches wait for each other instead of
    /// deadlocking and each id is stored once: by the first line that has it, unless it was
    /// stored before. Stores the rows whose id was claimed (`$1`: the ingest time) with their
    /// drift sample, and returns how many.
    static let merge = """
        WITH claimed AS (
          INSERT INTO prediction_ids(id, seq, model_id, ts, label_idx, content_hash)
          SELECT id, seq, model_id, ts, label_idx, content_hash FROM \(table) ORDER BY id COLLATE "C", idx
          ON CONFLICT (id) DO NOTHING
          RETURNING seq
        ), fresh AS (
          SELECT * FROM \(table) WHERE seq IN (SELECT seq FROM claimed)
        ), stored AS (
          INSERT INTO predictions(seq, id, model_id, ts, model_version, label_idx, score, payload, content_hash, ingested_at)
          SELECT seq, id, model_id, ts, model_version, label_idx, score, payload, content_hash, $1 FROM fresh
        ), sampled AS (
          INSERT INTO prediction_sample(model_id, level, ts, seq, score, boxes)
          SELECT model_id, sample_level, ts, seq, score, \(PostgresStore.boxesSQL("payload")) FROM fresh WHERE sample_level IS NOT NULL
          ON CONFLICT DO NOTHING
        )
        SELECT COUNT(*) FROM claimed
        """

    /// The staged rows that were not stored (their id was stored before, by anyone, or by an
    /// earlier line of the batch): position in the batch, and whether the stored content is the
    /// same (a duplicate) or not (a conflict). Run after ``merge``, in a statement of its own, so
    /// it sees the rows of other instances that the merge waited for.
    static let unclaimed = """
        SELECT s.idx, p.content_hash = s.content_hash FROM \(table) s LEFT JOIN prediction_ids p ON p.id = s.id
        WHERE p.seq IS DISTINCT FROM s.seq
        """
}
