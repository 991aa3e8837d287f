import Foundation
import NIOCore
import PostgresNIO
import VigilCore
import VigilStore

/// Writes batches of predictions with `COPY`, for ``PostgresStore/ingestPredictions(options:nextBatch:progress:)``.
///
/// Every batch is one transaction (or, atomic, all of them one), written one of two ways:
///
/// - **Direct** (a batch whose ids are all new, the common case): the ids are copied straight
///   into `prediction_ids` (sorted by id, bytewise, as on every instance) and the rows into
///   `predictions`; an id stored before, or being stored by another instance at the same time,
///   makes the copy fail with a unique violation, and the batch is written again the staged way
///   (in a new transaction: nothing of the failed one remains).
/// - **Staged** (ids repeated in the batch, a batch after such a failure, every batch of an
///   atomic ingest): the rows are copied into a temporary staging table, then one statement
///   claims the ids with `INSERT … ON CONFLICT DO NOTHING` in the same order and stores the rows
///   whose id it claimed; when not all were, a second statement tells the rest apart (stored
///   with the same content: a duplicate; else a conflict).
///
/// Either way the per-hour aggregates and the drift sample of the stored rows follow in one
/// statement of fixed shape, each table's keys in order (``PredictionDelta``), and the calling
/// thread waits once for a batch's statements (``PostgresSession/run(_:)``). Sequence numbers
/// come from `prediction_seq`, taken ahead in blocks and handed out in line order.
final class PredictionWriter {
    let s: PostgresSession
    let options: IngestOptions
    let modelIDs: [String: Int64]
    let mark: Int64
    /// Sequence numbers taken and not used yet.
    private var seqs: [Int64] = []
    private var seqHead = 0
    /// False once a direct copy met a stored id: the rest of this call is written staged
    /// (a re-sent file is then not copied twice per batch).
    private var direct = true
    private var stageCreated = false
    /// An atomic ingest writes every batch in one transaction: the stage is emptied between them.
    private var stageHoldsRows = false

    static let seqBlock = 4096

    init(_ s: PostgresSession, options: IngestOptions, modelIDs: [String: Int64], mark: Int64) {
        self.s = s
        self.options = options
        self.modelIDs = modelIDs
        self.mark = mark
    }

    /// One batch, ready to write: the rows to store (a known model, not before the retention
    /// mark), in line order, with their model and sequence number, and their order by id.
    struct Batch {
        var records: [PredictionRecord]
        /// Batch positions of the rows to store, in line order.
        var known: [Int] = []
        var models: [Int64] = []
        var seqs: [Int64] = []
        /// Positions in `known`, by id (bytewise), then line.
        var byID: [Int] = []
        /// Some id appears on more than one line.
        var repeated = false
    }

    func prepare(_ records: [PredictionRecord]) throws -> Batch {
        var b = Batch(records: records)
        b.known.reserveCapacity(records.count)
        b.models.reserveCapacity(records.count)
        var lastModel: (name: String, id: Int64)?
        for (i, r) in records.enumerated() where r.timestampMillis >= mark {
            let model: Int64
            if let last = lastModel, last.name == r.model {
                model = last.id
            } else if let id = modelIDs[r.model] {
                model = id
                lastModel = (r.model, id)
            } else {
                continue
            }
            b.known.append(i)
            b.models.append(model)
        }
        b.seqs = try takeSeqs(b.known.count)
        // By id: most comparisons are settled by the first eight bytes.
        var keys = b.known.indices.map { (prefix: Self.prefix(records[b.known[$0]].id), k: $0) }
        keys.sort { x, y in
            if x.prefix != y.prefix { return x.prefix < y.prefix }
            let c = Self.compareBytes(records[b.known[x.k]].id, records[b.known[y.k]].id)
            return c != 0 ? c < 0 : x.k < y.k
        }
        b.byID = keys.map(\.k)
        for k in keys.indices.dropFirst() where keys[k - 1].prefix == keys[k].prefix
            && Self.compareBytes(records[b.known[keys[k - 1].k]].id, records[b.known[keys[k].k]].id) == 0 {
            b.repeated = true
            break
        }
        return b
    }

    /// The next `n` sequence numbers, increasing (taken from `prediction_seq` in blocks).
    private func takeSeqs(_ n: Int) throws -> [Int64] {
        if seqs.count - seqHead < n { try accept(try s.run([refill(n - (seqs.count - seqHead))]).first ?? []) }
        guard seqs.count - seqHead >= n else { throw StoreError("PostgreSQL handed out fewer sequence numbers than asked for") }
        defer { seqHead += n }
        return Array(seqs[seqHead..<(seqHead + n)])
    }

    /// A step that takes at least `n` more sequence numbers (its rows go to ``accept(_:)``).
    private func refill(_ n: Int) -> PostgresStep {
        .prepared(NextSequenceNumbers(count: Int64(max(n, Self.seqBlock))))
    }

    /// Adds the sequence numbers a ``refill(_:)`` step read to those not used yet.
    private func accept(_ rows: [PostgresRow]) throws {
        var fresh = Array(seqs[seqHead...])
        for row in rows { fresh += try PostgresArrays.integers(row).sorted() }
        seqs = fresh
        seqHead = 0
    }

    /// Whether fewer than `n` sequence numbers are left.
    private func running(low n: Int) -> Bool { seqs.count - seqHead < n }

    /// Writes `batch` (its rows of unknown models or before the mark are refused, in line order
    /// with the others); inside the caller's transaction when `inTransaction` (atomic), else in
    /// one of its own, committed here. `report` gets the refusals. Throws a PostgreSQL error
    /// with the transaction left open for the caller to roll back.
    func write(_ batch: Batch, inTransaction: Bool, outcome: inout IngestOutcome, report: (RecordError) -> Void) throws {
        // Writing directly needs a transaction of its own: a unique violation aborts it.
        if direct && !inTransaction && !batch.repeated && !batch.known.isEmpty {
            do {
                try writeDirect(batch, outcome: &outcome, report: report)
                return
            } catch let e as PostgresStoreError where e.isUniqueViolation {
                _ = try? s.execute("ROLLBACK")
                direct = false
            }
        }
        try writeStaged(batch, inTransaction: inTransaction, outcome: &outcome, report: report)
    }

    private func writeDirect(_ b: Batch, outcome: inout IngestOutcome, report: (RecordError) -> Void) throws {
        // Nothing below throws until `finish()`, which every pipeline needs.
        let begin = try PostgresStep.sql("BEGIN"), commit = try PostgresStep.sql("COMMIT")
        // The server stores the ids while the rows are being encoded.
        let pipeline = StepPipeline(s)
        // The next batch's sequence numbers, taken with this one's statements (before its
        // transaction: a failure then leaves nothing to undo).
        let refilling = running(low: b.records.count)
        if refilling { pipeline.send(refill(b.records.count)) }
        pipeline.send(begin)
        var ids = CopyText(capacity: b.known.count * 48)
        for k in b.byID {
            let i = b.known[k]
            ids.text(b.records[i].id); ids.int(b.seqs[k]); ids.int(b.models[k]); ids.int(b.records[i].timestampMillis)
            ids.int(b.records[i].labelIndex.map(Int64.init)); ids.int(b.records[i].contentHash); ids.endRow()
        }
        pipeline.send(.copy(table: "prediction_ids", columns: ["id", "seq", "model_id", "ts", "label_idx", "content_hash"], data: ids.finish()))
        var rows = CopyText(capacity: b.known.count * 128)
        var delta = PredictionDelta()
        for k in b.known.indices {
            let i = b.known[k]
            rows.int(b.seqs[k]); rows.text(b.records[i].id); rows.int(b.models[k]); rows.int(b.records[i].timestampMillis)
            rows.text(b.records[i].modelVersion); rows.int(b.records[i].labelIndex.map(Int64.init)); rows.double(b.records[i].score)
            rows.text(b.records[i].payload); rows.int(b.records[i].contentHash); rows.int(options.now)
            rows.endRow()
            delta.add(model: b.models[k], record: b.records[i], seq: b.seqs[k])
        }
        pipeline.send(.copy(table: "predictions", columns: ["seq", "id", "model_id", "ts", "model_version", "label_idx", "score", "payload", "content_hash", "ingested_at"],
                            data: rows.finish()))
        pipeline.send(delta.step())
        pipeline.send(commit)
        let results = try pipeline.finish()
        if refilling { try accept(results.first ?? []) }
        count(b, identical: [:], outcome: &outcome, report: report)
    }

    private func writeStaged(_ b: Batch, inTransaction: Bool, outcome: inout IngestOutcome, report: (RecordError) -> Void) throws {
        // Nothing to store: no transaction needed.
        guard !b.known.isEmpty else { return count(b, identical: [:], outcome: &outcome, report: report) }
        var steps: [PostgresStep] = []
        if !stageCreated { steps.append(try .sql(Self.createStage)) }
        if !inTransaction { steps.append(try .sql("BEGIN")) }
        if stageHoldsRows { steps.append(try .sql("TRUNCATE \(Self.stage)")) }
        var out = CopyText(capacity: b.known.count * 160)
        for k in b.known.indices {
            let r = b.records[b.known[k]]
            out.int(Int64(k)); out.text(r.id); out.int(b.models[k]); out.int(r.timestampMillis); out.text(r.modelVersion)
            out.int(r.labelIndex.map(Int64.init)); out.double(r.score); out.text(r.payload); out.int(r.contentHash); out.int(b.seqs[k])
            out.endRow()
        }
        steps.append(.copy(table: Self.stage, columns: Self.stageColumns, data: out.finish()))
        steps.append(try .sql(Self.merge, [options.now]))
        let results = try s.run(steps)
        stageCreated = true
        stageHoldsRows = inTransaction  // a commit empties it
        let claimed = Int(try results.last!.first!.decode(Int64.self))
        var identical: [Int: Bool] = [:]  // position in `known` of a row not stored → same content as the stored one
        if claimed < b.known.count {
            try s.forEachRow(Self.unclaimed) { row in
                let (k, same) = try row.decode((Int64, Bool?).self)
                identical[Int(k)] = same ?? false
            }
        }
        var delta = PredictionDelta()
        for k in b.known.indices where identical[k] == nil {
            delta.add(model: b.models[k], record: b.records[b.known[k]], seq: b.seqs[k])
        }
        var tail: [PostgresStep] = []
        if !delta.isEmpty { tail.append(delta.step()) }
        if !inTransaction { tail.append(try .sql("COMMIT")) }
        if !tail.isEmpty { try s.run(tail) }
        count(b, identical: identical, outcome: &outcome, report: report)
    }

    /// Counts the batch in `outcome`, in line order: refusals (unknown model, before the mark,
    /// conflicting id), duplicates and stored rows.
    private func count(_ b: Batch, identical: [Int: Bool], outcome: inout IngestOutcome, report: (RecordError) -> Void) {
        var k = 0
        for (i, r) in b.records.enumerated() {
            if k < b.known.count && b.known[k] == i {
                defer { k += 1 }
                switch identical[k] {
                case nil: outcome.inserted += 1
                case true?: outcome.duplicates += 1
                case false?:
                    outcome.reject(RecordError(
                        line: r.line, field: "id",
                        reason: "conflict: a prediction with this id is already stored with different content; ids are immutable, send a corrected prediction under a new id",
                        id: r.id), report: report)
                }
            } else if modelIDs[r.model] == nil {
                outcome.reject(RecordError(line: r.line, field: "model", reason: "unknown model '\(r.model)'", id: r.id), report: report)
            } else {
                outcome.reject(.beforeRetention(r, mark: mark), report: report)
            }
        }
    }

    /// The first eight UTF-8 bytes of `id`, big-endian, zero-padded: ordered as the ids are
    /// bytewise whenever they differ (text in PostgreSQL holds no zero byte).
    @inline(__always) static func prefix(_ id: String) -> UInt64 {
        func pack(_ p: UnsafeBufferPointer<UInt8>) -> UInt64 {
            var v: UInt64 = 0
            for i in 0..<8 { v = v << 8 | (i < p.count ? UInt64(p[i]) : 0) }
            return v
        }
        if let v = id.utf8.withContiguousStorageIfAvailable(pack) { return v }
        return Array(id.utf8).withUnsafeBufferPointer(pack)
    }

    /// Compares the UTF-8 bytes of two strings, as PostgreSQL's `COLLATE "C"` does.
    @inline(__always) static func compareBytes(_ a: String, _ b: String) -> Int {
        let c: Int? = a.utf8.withContiguousStorageIfAvailable { x in
            b.utf8.withContiguousStorageIfAvailable { y in
                let n = min(x.count, y.count)
                let m = n == 0 ? 0 : Int(memcmp(x.baseAddress!, y.baseAddress!, n))
                return m != 0 ? m : x.count - y.count
            }
        } ?? nil
        if let c { return c }
        if a.utf8.elementsEqual(b.utf8) { return 0 }
        return a.utf8.lexicographicallyPrecedes(b.utf8) ? -1 : 1
    }

    // MARK: The staging table

    static let stage = "vigil_stage_predictions"
    static let stageColumns = ["idx", "id", "model_id", "ts", "model_version", "label_idx", "score", "payload", "content_hash", "seq"]

    /// A temporary table of the connection, emptied at every commit.
    static let createStage = """
        CREATE TEMP TABLE IF NOT EXISTS \(stage)(
          idx BIGINT NOT NULL,
          id TEXT NOT NULL,
          model_id BIGINT NOT NULL,
          ts BIGINT NOT NULL,
          model_version TEXT,
          label_idx BIGINT,
          score DOUBLE PRECISION,
          payload TEXT,
          content_hash BIGINT NOT NULL,
          seq BIGINT NOT NULL) ON COMMIT DELETE ROWS
        """

    /// Claims the staged ids with `ON CONFLICT DO NOTHING`, in one order on every instance (id,
    /// then line), so two instances writing overlapping batches wait for each other instead of
    /// deadlocking and each id is stored once: by the first line that has it, unless it was
    /// stored before. Stores the rows whose id was claimed (`$1`: the ingest time) and returns
    /// how many.
    static let merge = """
        WITH claimed AS (
          INSERT INTO prediction_ids(id, seq, model_id, ts, label_idx, content_hash)
          SELECT id, seq, model_id, ts, label_idx, content_hash FROM \(stage) ORDER BY id COLLATE "C", idx
          ON CONFLICT (id) DO NOTHING
          RETURNING seq
        ), stored AS (
          INSERT INTO predictions(seq, id, model_id, ts, model_version, label_idx, score, payload, content_hash, ingested_at)
          SELECT seq, id, model_id, ts, model_version, label_idx, score, payload, content_hash, $1 FROM \(stage)
          WHERE seq IN (SELECT seq FROM claimed)
        )
        SELECT COUNT(*) FROM claimed
        """

    /// The staged rows that were not stored (their id was stored before, by anyone, or by an
    /// earlier line of the batch): position among the staged rows, and whether the stored content is the
    /// same (a duplicate) or not (a conflict). A statement of its own after ``merge``, so that
    /// it sees the rows of other instances that the merge waited for.
    static let unclaimed = """
        SELECT s.idx, p.content_hash = s.content_hash FROM \(stage) s LEFT JOIN prediction_ids p ON p.id = s.id
        WHERE p.seq IS DISTINCT FROM s.seq
        """
}

/// `n` values of `prediction_seq`, as one `int8[]`.
struct NextSequenceNumbers: PostgresPreparedStatement {
    static let sql = "SELECT array_agg(nextval('prediction_seq')) FROM generate_series(1, $1::bigint)"
    var count: Int64
    func makeBindings() throws -> PostgresBindings {
        var b = PostgresBindings(capacity: 1)
        b.append(count)
        return b
    }
    func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
}

/// The per-hour aggregates and drift sample of one batch's new predictions, as
/// ``AggregateDelta`` (VigilStore) defines them for both backends, written with one
/// statement of always the same shape, so every instance takes the tables in the same order,
/// and each table's rows in key order: concurrent batches wait for each other instead of
/// deadlocking.
struct PredictionDelta {
    private var aggregates = AggregateDelta()

    var isEmpty: Bool { aggregates.isEmpty }

    /// Counts a newly stored prediction with sequence number `seq` (``AggregateDelta``: the one definition).
    mutating func add(model: Int64, record r: PredictionRecord, seq: Int64) {
        aggregates.add(model: model, record: r, seq: seq)
    }

    /// The statement that adds these counts (and stores the sample rows).
    func step() -> PostgresStep {
        var u = Upsert()
        let bins = Int64(AggregateDelta.bins)
        for (key, h) in aggregates.sortedHours() {
            for (i, n) in h.classes.enumerated() where n != 0 {
                u.classes.model.append(key.model); u.classes.hour.append(key.hour); u.classes.label.append(Int64(i - 1)); u.classes.n.append(n)
            }
            for (i, n) in h.bins.enumerated() where n != 0 {
                u.bins.model.append(key.model); u.bins.hour.append(key.hour); u.bins.label.append(Int64(i) / bins)
                u.bins.bin.append(Int64(i) % bins); u.bins.n.append(n)
            }
            if h.scoreCount > 0 {
                u.sums.model.append(key.model); u.sums.hour.append(key.hour); u.sums.n.append(h.scoreCount); u.sums.total.append(h.scoreSum)
            }
        }
        for row in aggregates.sample {
            u.sample.model.append(row.model)
            u.sample.level.append(Int64(row.level))
            u.sample.ts.append(row.ts)
            u.sample.seq.append(row.seq)
            u.sample.scored.append(row.score != nil)
            u.sample.score.append(row.score ?? 0)  // arrays without NULLs
            u.sample.payload.append(row.payload ?? "")
        }
        return .prepared(u)
    }

    /// ``upsert`` as a prepared statement: parsed and planned once per connection.
    struct Upsert: PostgresPreparedStatement {
        static let sql = PredictionDelta.upsert
        var classes: (model: [Int64], hour: [Int64], label: [Int64], n: [Int64]) = ([], [], [], [])
        var bins: (model: [Int64], hour: [Int64], label: [Int64], bin: [Int64], n: [Int64]) = ([], [], [], [], [])
        var sums: (model: [Int64], hour: [Int64], n: [Int64], total: [Double]) = ([], [], [], [])
        var sample: (model: [Int64], level: [Int64], ts: [Int64], seq: [Int64], scored: [Bool], score: [Double], payload: [String]) = ([], [], [], [], [], [], [])

        func makeBindings() throws -> PostgresBindings {
            var b = PostgresBindings(capacity: 20)
            try b.append(classes.model); try b.append(classes.hour); try b.append(classes.label); try b.append(classes.n)
            try b.append(bins.model); try b.append(bins.hour); try b.append(bins.label); try b.append(bins.bin); try b.append(bins.n)
            try b.append(sums.model); try b.append(sums.hour); try b.append(sums.n); try b.append(sums.total)
            try b.append(sample.model); try b.append(sample.level); try b.append(sample.ts); try b.append(sample.seq)
            try b.append(sample.scored); try b.append(sample.score); try b.append(sample.payload)
            return b
        }

        func decodeRow(_ row: PostgresRow) throws -> PostgresRow { row }
    }

    static let upsert = """
        WITH classes AS (
          INSERT INTO hourly_class_counts(model_id, hour, label_idx, n)
          SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[])
          ON CONFLICT (model_id, hour, label_idx) DO UPDATE SET n = hourly_class_counts.n + EXCLUDED.n
        ), bins AS (
          INSERT INTO hourly_score_bins(model_id, hour, label_idx, bin, n)
          SELECT * FROM unnest($5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])
          ON CONFLICT (model_id, hour, label_idx, bin) DO UPDATE SET n = hourly_score_bins.n + EXCLUDED.n
        ), sums AS (
          INSERT INTO hourly_score_sums(model_id, hour, n, total)
          SELECT * FROM unnest($10::bigint[], $11::bigint[], $12::bigint[], $13::float8[])
          ON CONFLICT (model_id, hour) DO UPDATE SET n = hourly_score_sums.n + EXCLUDED.n, total = hourly_score_sums.total + EXCLUDED.total
        )
        INSERT INTO prediction_sample(model_id, level, ts, seq, score, boxes)
        SELECT m, l, t, q, CASE WHEN h THEN v END, \(PostgresStore.boxesSQL("NULLIF(p, '')"))
        FROM unnest($14::bigint[], $15::bigint[], $16::bigint[], $17::bigint[], $18::bool[], $19::float8[], $20::text[]) AS u(m, l, t, q, h, v, p)
        ON CONFLICT DO NOTHING
        """
}
