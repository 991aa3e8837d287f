import Foundation
import VigilCore
import VigilStore

extension PostgresStore {
    static let dayMillis: Int64 = 86_400_000
    /// Rows per multi-row INSERT (10 parameters each, well under PostgreSQL's 65,535).
    static let insertChunk = 500

    /// Runs `body` for each batch in a transaction of its own (retried when PostgreSQL aborts it
    /// for a deadlock with another instance, or when a day's partition went missing), or in one
    /// transaction for everything when `options.atomic` (then committed only if
    /// `options.shouldCommit()` and nothing was refused). Refusals reach `options.onReject` once
    /// their batch is committed. With `bodyOwnsTransaction`, `body` begins and commits a batch's
    /// transaction itself when it is not inside one (`inTransaction` false), to send them with
    /// the batch's statements in one round trip.
    func ingestBatches<R>(_ s: PostgresSession, options: IngestOptions, nextBatch: () throws -> [R]?, progress: (IngestProgress) -> Void,
                          prepare: ([R], _ inTransaction: Bool) throws -> Void, bodyOwnsTransaction: Bool = false,
                          body: ([R], _ inTransaction: Bool, inout IngestOutcome, _ report: (RecordError) -> Void) throws -> Int) throws -> IngestOutcome {
        var outcome = IngestOutcome()
        var written = 0
        if options.atomic {
            try s.execute("BEGIN")
            do {
                while let batch = try nextBatch() {
                    try prepare(batch, true)
                    var rejects: [RecordError] = []
                    let line = try body(batch, true, &outcome) { rejects.append($0) }
                    rejects.forEach(options.onReject)
                    written += batch.count
                    progress(IngestProgress(recordsWritten: written, lastLine: line, outcome: outcome))
                }
                if options.shouldCommit() && outcome.rejectedCount == 0 {
                    try s.execute("COMMIT")
                } else {
                    try s.execute("ROLLBACK")
                    partitions.removeAll()
                    outcome.committed = false
                    outcome.inserted = 0
                    outcome.relabeled = 0
                }
            } catch {
                _ = try? s.execute("ROLLBACK")
                partitions.removeAll()
                throw error
            }
            return outcome
        }
        while let batch = try nextBatch() {
            try prepare(batch, false)
            var attempt = 0
            while true {
                attempt += 1
                var trial = outcome
                var rejects: [RecordError] = []
                if !bodyOwnsTransaction { try s.execute("BEGIN") }
                do {
                    let line = try body(batch, false, &trial) { rejects.append($0) }
                    if !bodyOwnsTransaction { try s.execute("COMMIT") }
                    outcome = trial
                    rejects.forEach(options.onReject)
                    written += batch.count
                    progress(IngestProgress(recordsWritten: written, lastLine: line, outcome: outcome))
                    break
                } catch {
                    _ = try? s.execute("ROLLBACK")
                    if attempt < 5, let e = error as? PostgresStoreError, e.sqlState == "23514" {
                        // A day's partition was dropped since this process saw it: make it again.
                        partitions.removeAll()
                        try prepare(batch, false)
                        continue
                    }
                    if attempt < 5, let e = error as? PostgresStoreError, e.isRetryable {
                        usleep(useconds_t(1000 * attempt * Int.random(in: 1...5)))
                        continue
                    }
                    throw error
                }
            }
        }
        return outcome
    }

    /// Creates the day partitions of `days` that this process has not seen yet. Outside a
    /// transaction it uses a short one of its own; creating a partition locks the parent table,
    /// so it never waits inside a batch's transaction that other instances may be waiting for.
    func ensurePartitions(_ days: Set<Int64>, _ s: PostgresSession, inTransaction: Bool) throws {
        var missing = days.filter { !partitions.contains($0) }.sorted()
        guard !missing.isEmpty else { return }
        // Made by another instance already? Then no lock on the parent table is needed.
        let existing = Set(try s.query("SELECT relname::text FROM pg_class WHERE relname = ANY($1::text[]) AND relkind = 'r'",
                                       [missing.map { "predictions_d\($0)" }]).map { try $0.string(0) })
        for day in missing where existing.contains("predictions_d\(day)") { partitions.insert(day) }
        missing.removeAll { existing.contains("predictions_d\($0)") }
        guard !missing.isEmpty else { return }
        func create() throws {
            try s.execute("SELECT pg_advisory_xact_lock($1)", [Self.migrationLock + 2])
            for day in missing {
                try s.execute("""
                    CREATE TABLE IF NOT EXISTS predictions_d\(day) PARTITION OF predictions
                    FOR VALUES FROM (\(day * Self.dayMillis)) TO (\((day + 1) * Self.dayMillis))
                    """)
            }
        }
        if inTransaction { try create() } else { try s.transaction { try create() } }
        for day in missing { partitions.insert(day) }
    }

    /// Writes each batch in a transaction of its own (retried when PostgreSQL aborts it for a
    /// deadlock with another instance, or when a day's partition went missing), or every batch
    /// in one transaction when `options.atomic` (then committed only if `options.shouldCommit()`
    /// and nothing was refused). Refusals reach `options.onReject` once their batch is committed.
    /// How a batch is written: ``PredictionWriter``.
    public func ingestPredictions(options: IngestOptions, nextBatch: () throws -> [PredictionRecord]?,
                                  progress: (IngestProgress) -> Void) throws -> IngestOutcome {
        try pool.withSession { s in
            var modelIDs: [String: Int64] = [:]
            for (id, schema) in try s.sql.allModels() { modelIDs[schema.name] = id }
            let mark = try s.sql.retentionMark() ?? 0
            let writer = PredictionWriter(s, options: options, modelIDs: modelIDs, mark: mark)
            func prepare(_ batch: [PredictionRecord], _ inTransaction: Bool) throws {
                try ensurePartitions(Set(batch.filter { $0.timestampMillis >= mark }.map { $0.timestampMillis / Self.dayMillis }), s, inTransaction: inTransaction)
            }
            return try ingestBatches(s, options: options, nextBatch: nextBatch, progress: progress, prepare: prepare,
                                     bodyOwnsTransaction: true) { records, inTransaction, outcome, report in
                try writer.write(try writer.prepare(records), inTransaction: inTransaction, outcome: &outcome, report: report)
                return records.last?.line ?? 0
            }
        }
    }

    /// The current ground truth of one prediction, as it will be written.
    struct TruthRow {
        var seq: Int64, model: Int64, ts: Int64, predicted: Int64?, label: Int64?, boxes: String?
        var revision: Int64, hash: Int64, source: String, reviewer: String?, updatedAt: Int64
    }

    public func ingestLabels(options: IngestOptions, nextBatch: () throws -> [LabelRecord]?,
                             progress: (IngestProgress) -> Void) throws -> IngestOutcome {
        try pool.withSession { s in
            let models = try s.sql.allModels()
            return try ingestBatches(s, options: options, nextBatch: nextBatch, progress: progress, prepare: { _, _ in }) { batch, _, outcome, report in
                try Self.writeLabels(s, batch, models: models, options: options, outcome: &outcome, report: report)
            }
        }
    }

    /// Writes `batch`'s labels inside the caller's transaction: the current labels, their
    /// revisions, the per-hour confusion counts and, for relabels, events. Rejected records are
    /// counted in `outcome`, passed to `report` and written nowhere. Returns the last record's line.
    static func writeLabels(_ s: PostgresSession, _ batch: [LabelRecord], models: [Int64: ModelSchema], options: IngestOptions,
                            outcome: inout IngestOutcome, report: (RecordError) -> Void) throws -> Int {
        // The batch's predictions are locked in id order (label writers of one prediction
        // take turns, instances never deadlock) and their current labels read at once.
        var predictions: [String: (seq: Int64, model: Int64, ts: Int64, predicted: Int64?)] = [:]
        for row in try s.query("SELECT id, seq, model_id, ts, label_idx FROM prediction_ids WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
                               [Array(Set(batch.map(\.predictionID))).sorted()]) {
            predictions[try row.string(0)] = (try row.int(1), try row.int(2), try row.int(3), try row.optionalInt(4))
        }
        let seqs = predictions.values.map(\.seq)
        var current: [Int64: TruthRow] = [:]
        var lastRevision: [Int64: Int64] = [:]
        if !seqs.isEmpty {
            for row in try s.query("""
                SELECT prediction_seq, model_id, ts, predicted_idx, label_idx, boxes, revision, content_hash, source, reviewer, updated_at
                FROM ground_truth WHERE prediction_seq = ANY($1::bigint[])
                """, [seqs]) {
                current[try row.int(0)] = TruthRow(seq: try row.int(0), model: try row.int(1), ts: try row.int(2), predicted: try row.optionalInt(3),
                                                   label: try row.optionalInt(4), boxes: try row.optionalString(5), revision: try row.int(6),
                                                   hash: try row.int(7), source: try row.string(8), reviewer: try row.optionalString(9),
                                                   updatedAt: try row.int(10))
            }
            for row in try s.query("SELECT prediction_seq, MAX(revision) FROM ground_truth_revisions WHERE prediction_seq = ANY($1::bigint[]) GROUP BY 1",
                                   [seqs]) {
                lastRevision[try row.int(0)] = try row.int(1)
            }
        }
        var inserted: Set<Int64> = []  // current rows that are new in this batch
        var updated: Set<Int64> = []
        var revisions: [TruthRow] = []
        var events: [Event] = []
        var delta = HourlyDelta()
        var closing = ReviewItemClosing()
        var lastLine = 0
        for r in batch {
            lastLine = r.line
            func reject(_ field: String?, _ reason: String) {
                outcome.reject(RecordError(line: r.line, field: field, reason: reason, id: r.predictionID), report: report)
            }
            guard let p = predictions[r.predictionID] else {
                reject(LabelRules.unknownPrediction.field, LabelRules.unknownPrediction.reason)
                continue
            }
            guard let schema = models[p.model] else { reject(nil, "the prediction's model is missing"); continue }
            let truth = current[p.seq].map { CurrentTruth(revision: $0.revision, contentHash: $0.hash, labelIndex: $0.label) }
            let decision = LabelRules.decide(r, schema: schema, current: truth, allowRelabel: options.allowRelabel) { lastRevision[p.seq] }
            var row = TruthRow(seq: p.seq, model: p.model, ts: p.ts, predicted: p.predicted, label: nil, boxes: r.boxesJSON, revision: 1,
                               hash: r.contentHash, source: r.source, reviewer: r.reviewer, updatedAt: options.now)
            switch decision {
            case .reject(let field, let reason): reject(field, reason); continue
            case .duplicate: outcome.duplicates += 1; continue
            case .relabel(let label, let revision, _):
                (row.label, row.revision) = (label, revision)
                if !inserted.contains(p.seq) { updated.insert(p.seq) }
                outcome.relabeled += 1
                events.append(LabelRules.relabelEvent(r, model: schema.name, revision: revision, options: options))
            case .insert(let label, let revision):
                (row.label, row.revision) = (label, revision)
                inserted.insert(p.seq)
                outcome.inserted += 1
            }
            for change in decision.confusionChanges(predicted: p.predicted) {
                delta.addConfusion(model: p.model, ts: p.ts, label: change.label, predicted: p.predicted!, count: change.count)
            }
            current[p.seq] = row
            lastRevision[p.seq] = row.revision
            revisions.append(row)
            closing.note(r, seq: p.seq)
        }
        try Self.writeTruth(s, rows: inserted.sorted().map { current[$0]! }, updates: updated.sorted().map { current[$0]! }, revisions: revisions)
        try closing.close(s.sql)
        for e in events { try s.sql.append(e) }
        try delta.flush(s)
        return lastLine
    }

    /// From this many new rows on, labels and revisions are written with `COPY`.
    static let copyRows = 32

    /// Writes a batch's new current labels, changed ones and revisions with a few statements.
    static func writeTruth(_ s: PostgresSession, rows: [TruthRow], updates: [TruthRow], revisions: [TruthRow]) throws {
        func chunks(_ all: [TruthRow], columns: Int, _ statement: (_ values: String, _ args: [any PostgresArgument]) throws -> Void,
                    _ values: (TruthRow) -> [any PostgresArgument], casts: [String]) throws {
            for start in stride(from: 0, to: all.count, by: insertChunk) {
                var tuples: [String] = []
                var args: [any PostgresArgument] = []
                for (k, row) in all[start..<min(start + insertChunk, all.count)].enumerated() {
                    tuples.append("(" + (0..<columns).map { "$\(k * columns + $0 + 1)\(casts[$0])" }.joined(separator: ", ") + ")")
                    args += values(row)
                }
                try statement(tuples.joined(separator: ", "), args)
            }
        }
        // Many new rows (a file of labels) are copied; a few (a review answer) inserted.
        if rows.count >= copyRows {
            var out = CopyText(capacity: rows.count * 64)
            for r in rows {
                out.int(r.seq); out.int(r.model); out.int(r.ts); out.int(r.predicted); out.int(r.label); out.text(r.boxes); out.int(r.revision)
                out.int(r.hash); out.text(r.source); out.text(r.reviewer); out.int(r.updatedAt); out.endRow()
            }
            try s.run([.copy(table: "ground_truth", columns: ["prediction_seq", "model_id", "ts", "predicted_idx", "label_idx", "boxes", "revision",
                                                              "content_hash", "source", "reviewer", "updated_at"], data: out.finish())])
        } else {
            try chunks(rows, columns: 11, { values, args in
                try s.execute("""
                    INSERT INTO ground_truth(prediction_seq, model_id, ts, predicted_idx, label_idx, boxes, revision, content_hash, source, reviewer, updated_at)
                    VALUES \(values)
                    """, args)
            }, { [$0.seq, $0.model, $0.ts, $0.predicted, $0.label, $0.boxes, $0.revision, $0.hash, $0.source, $0.reviewer, $0.updatedAt] },
            casts: ["", "", "", "::bigint", "::bigint", "::text", "", "", "", "::text", ""])
        }
        try chunks(updates, columns: 8, { values, args in
            try s.execute("""
                UPDATE ground_truth g SET label_idx = v.label, boxes = v.boxes, revision = v.revision, content_hash = v.hash, source = v.source,
                  reviewer = v.reviewer, updated_at = v.updated
                FROM (VALUES \(values)) AS v(seq, label, boxes, revision, hash, source, reviewer, updated)
                WHERE g.prediction_seq = v.seq
                """, args)
        }, { [$0.seq, $0.label, $0.boxes, $0.revision, $0.hash, $0.source, $0.reviewer, $0.updatedAt] },
        casts: ["::bigint", "::bigint", "::text", "::bigint", "::bigint", "::text", "::text", "::bigint"])
        if revisions.count >= copyRows {
            var out = CopyText(capacity: revisions.count * 48)
            for r in revisions {
                out.int(r.seq); out.int(r.revision); out.int(r.label); out.text(r.boxes); out.int(r.hash); out.text(r.source); out.text(r.reviewer)
                out.int(r.updatedAt); out.endRow()
            }
            try s.run([.copy(table: "ground_truth_revisions", columns: ["prediction_seq", "revision", "label_idx", "boxes", "content_hash", "source",
                                                                        "reviewer", "created_at"], data: out.finish())])
        } else {
            try chunks(revisions, columns: 8, { values, args in
                try s.execute("""
                    INSERT INTO ground_truth_revisions(prediction_seq, revision, label_idx, boxes, content_hash, source, reviewer, created_at)
                    VALUES \(values)
                    """, args)
            }, { [$0.seq, $0.revision, $0.label, $0.boxes, $0.hash, $0.source, $0.reviewer, $0.updatedAt] },
            casts: ["", "", "::bigint", "::text", "", "", "::text", ""])
        }
    }
}

/// Per-hour confusion increments of labels collected over one batch and written with one
/// upsert, in key order, in the batch's transaction (see `AggregateDelta` of the SQLite store:
/// the same keys and meaning). New predictions count with ``PredictionDelta``.
struct HourlyDelta {
    struct BinKey: Hashable, Comparable {
        var model: Int64, hour: Int64, label: Int64, bin: Int64
        static func < (a: Self, b: Self) -> Bool { (a.model, a.hour, a.label, a.bin) < (b.model, b.hour, b.label, b.bin) }
    }
    /// Keyed by (model, hour, observed label, predicted class in `bin`).
    var confusion: [BinKey: Int64] = [:]

    mutating func addConfusion(model: Int64, ts: Int64, label: Int64, predicted: Int64, count: Int64) {
        confusion[BinKey(model: model, hour: AggregateDelta.hour(ts), label: label, bin: predicted), default: 0] += count
    }

    func flush(_ s: PostgresSession) throws {
        let m = confusion.filter { $0.value != 0 }.sorted { $0.key < $1.key }
        if !m.isEmpty {
            try s.execute("""
                INSERT INTO hourly_confusion(model_id, hour, label_idx, predicted_idx, n)
                SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
                ON CONFLICT (model_id, hour, label_idx, predicted_idx) DO UPDATE SET n = hourly_confusion.n + EXCLUDED.n
                """, [m.map(\.key.model), m.map(\.key.hour), m.map(\.key.label), m.map(\.key.bin), m.map(\.value)])
        }
    }
}
