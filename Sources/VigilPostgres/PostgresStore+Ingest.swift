import Foundation
import VigilCore
import VigilStore

extension PostgresStore {
    static let dayMillis: Int64 = 86_400_000
    /// Rows per multi-row INSERT (10 parameters each, well under PostgreSQL's 65,535).
    static let insertChunk = 500

    /// Runs `body` for each batch in a transaction of its own (retried when PostgreSQL aborts it
    /// for a deadlock with another instance), or in one transaction for everything when
    /// `options.atomic` (then committed only if `options.shouldCommit()` and nothing was refused).
    /// Refusals reach `options.onReject` once their batch is committed.
    func ingestBatches<R>(_ s: PostgresSession, options: IngestOptions, nextBatch: () throws -> [R]?, progress: (IngestProgress) -> Void,
                          prepare: ([R], _ inTransaction: Bool) throws -> Void,
                          body: ([R], inout IngestOutcome, _ report: (RecordError) -> Void) throws -> Int) throws -> IngestOutcome {
        var outcome = IngestOutcome()
        var written = 0
        if options.atomic {
            try s.execute("BEGIN")
            do {
                while let batch = try nextBatch() {
                    try prepare(batch, true)
                    var rejects: [RecordError] = []
                    let line = try body(batch, &outcome) { rejects.append($0) }
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
                try s.execute("BEGIN")
                do {
                    let line = try body(batch, &trial) { rejects.append($0) }
                    try s.execute("COMMIT")
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

    public func ingestPredictions(options: IngestOptions, nextBatch: () throws -> [PredictionRecord]?,
                                  progress: (IngestProgress) -> Void) throws -> IngestOutcome {
        try pool.withSession { s in
            var modelIDs: [String: Int64] = [:]
            for (id, schema) in try Self.allModels(s) { modelIDs[schema.name] = id }
            let mark = try Self.retentionMark(s) ?? 0
            try PredictionStage.create(s)
            // In an atomic ingest every batch shares one transaction: the stage is emptied between them.
            var stageHoldsRows = false
            return try ingestBatches(s, options: options, nextBatch: nextBatch, progress: progress, prepare: { batch, inTransaction in
                try ensurePartitions(Set(batch.filter { $0.timestampMillis >= mark }.map { $0.timestampMillis / Self.dayMillis }), s, inTransaction: inTransaction)
            }) { batch, outcome, report in
                if options.atomic && stageHoldsRows { try s.execute("TRUNCATE \(PredictionStage.table)") }
                let models = batch.map { modelIDs[$0.model] }
                let stage = PredictionStage.encode(batch, models: models, mark: mark)
                if stage.rows > 0 {
                    try s.copy(into: PredictionStage.table, columns: PredictionStage.columns, data: stage.data)
                    stageHoldsRows = options.atomic
                }
                // Claims the ids, stores the rows whose id this batch claimed, with their drift
                // sample, and tells the rest: stored before (by anyone, or earlier in the batch).
                let claimed = stage.rows == 0 ? 0 : try s.one(PredictionStage.merge, [options.now])!.int(0)
                var identical: [Int: Bool] = [:]  // batch index of a row not stored → same content as the stored one
                if claimed < stage.rows {
                    for row in try s.query(PredictionStage.unclaimed) {
                        identical[Int(try row.int(0))] = try row.optionalBool(1) ?? false
                    }
                }
                var delta = HourlyDelta()
                for (i, r) in batch.enumerated() {
                    guard let model = models[i] else {
                        outcome.reject(RecordError(line: r.line, field: "model", reason: "unknown model '\(r.model)'", id: r.id), report: report)
                        continue
                    }
                    if r.timestampMillis < mark {
                        outcome.reject(.beforeRetention(r, mark: mark), report: report)
                        continue
                    }
                    if let same = identical[i] {
                        if same {
                            outcome.duplicates += 1
                        } else {
                            outcome.reject(RecordError(
                                line: r.line, field: "id",
                                reason: "conflict: a prediction with this id is already stored with different content; ids are immutable, send a corrected prediction under a new id",
                                id: r.id), report: report)
                        }
                        continue
                    }
                    delta.add(model: model, record: r)
                    outcome.inserted += 1
                }
                try delta.flush(s)
                return batch.last?.line ?? 0
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
            let models = try Self.allModels(s)
            return try ingestBatches(s, options: options, nextBatch: nextBatch, progress: progress, prepare: { _, _ in }) { batch, outcome, report in
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
        var lastLine = 0
        for r in batch {
            lastLine = r.line
            func reject(_ field: String?, _ reason: String) {
                outcome.reject(RecordError(line: r.line, field: field, reason: reason, id: r.predictionID), report: report)
            }
            guard let p = predictions[r.predictionID] else {
                reject("prediction_id", "no prediction with this id is stored: ingest the predictions first")
                continue
            }
            guard let schema = models[p.model] else { reject(nil, "the prediction's model is missing"); continue }
            var labelIndex: Int64?
            switch schema.task {
            case .classification:
                guard let label = r.label else { reject("boxes", "prediction of classification model '\(schema.name)': give 'label', not 'boxes'"); continue }
                guard let k = schema.index(of: label) else { reject("label", "'\(label)' is not a class of model '\(schema.name)'"); continue }
                labelIndex = Int64(k)
            case .detection:
                guard r.boxesJSON != nil else { reject("label", "prediction of detection model '\(schema.name)': give 'boxes', not 'label'"); continue }
                if let bad = r.boxLabels.firstIndex(where: { schema.index(of: $0) == nil }) {
                    reject("boxes[\(bad)].label", "'\(r.boxLabels[bad])' is not a class of model '\(schema.name)'"); continue
                }
            }
            var row = TruthRow(seq: p.seq, model: p.model, ts: p.ts, predicted: p.predicted, label: labelIndex, boxes: r.boxesJSON, revision: 1,
                               hash: r.contentHash, source: r.source, reviewer: r.reviewer, updatedAt: options.now)
            if let old = current[p.seq] {
                if old.hash == r.contentHash { outcome.duplicates += 1; continue }
                guard options.allowRelabel else {
                    reject(r.label != nil ? "label" : "boxes",
                           "conflict: this prediction already has a different label (revision \(old.revision)); pass --relabel to record a new revision")
                    continue
                }
                row.revision = old.revision + 1
                if !inserted.contains(p.seq) { updated.insert(p.seq) }
                if let predicted = p.predicted, let oldLabel = old.label { delta.addConfusion(model: p.model, ts: p.ts, label: oldLabel, predicted: predicted, count: -1) }
                if let predicted = p.predicted, let labelIndex { delta.addConfusion(model: p.model, ts: p.ts, label: labelIndex, predicted: predicted, count: 1) }
                outcome.relabeled += 1
                events.append(Event(ts: options.now, actor: r.reviewer ?? options.actor, kind: "label.relabel", model: schema.name,
                                    subject: r.predictionID, details: "{\"revision\":\(row.revision),\"line\":\(r.line)}"))
            } else {
                // A label withdrawn by an undo left its revisions behind (they are append-only): continue after them.
                row.revision = (lastRevision[p.seq] ?? 0) + 1
                inserted.insert(p.seq)
                if let predicted = p.predicted, let labelIndex { delta.addConfusion(model: p.model, ts: p.ts, label: labelIndex, predicted: predicted, count: 1) }
                outcome.inserted += 1
            }
            current[p.seq] = row
            lastRevision[p.seq] = row.revision
            revisions.append(row)
        }
        try Self.writeTruth(s, rows: inserted.sorted().map { current[$0]! }, updates: updated.sorted().map { current[$0]! }, revisions: revisions)
        for e in events { try Self.append(s, e) }
        try delta.flush(s)
        return lastLine
    }

    /// Writes a batch's new current labels, changed ones and revisions with a few multi-row statements.
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
        try chunks(rows, columns: 11, { values, args in
            try s.execute("""
                INSERT INTO ground_truth(prediction_seq, model_id, ts, predicted_idx, label_idx, boxes, revision, content_hash, source, reviewer, updated_at)
                VALUES \(values)
                """, args)
        }, { [$0.seq, $0.model, $0.ts, $0.predicted, $0.label, $0.boxes, $0.revision, $0.hash, $0.source, $0.reviewer, $0.updatedAt] },
        casts: ["", "", "", "::bigint", "::bigint", "::text", "", "", "", "::text", ""])
        try chunks(updates, columns: 8, { values, args in
            try s.execute("""
                UPDATE ground_truth g SET label_idx = v.label, boxes = v.boxes, revision = v.revision, content_hash = v.hash, source = v.source,
                  reviewer = v.reviewer, updated_at = v.updated
                FROM (VALUES \(values)) AS v(seq, label, boxes, revision, hash, source, reviewer, updated)
                WHERE g.prediction_seq = v.seq
                """, args)
        }, { [$0.seq, $0.label, $0.boxes, $0.revision, $0.hash, $0.source, $0.reviewer, $0.updatedAt] },
        casts: ["::bigint", "::bigint", "::text", "::bigint", "::bigint", "::text", "::text", "::bigint"])
        try chunks(revisions, columns: 8, { values, args in
            try s.execute("""
                INSERT INTO ground_truth_revisions(prediction_seq, revision, label_idx, boxes, content_hash, source, reviewer, created_at)
                VALUES \(values)
                """, args)
        }, { [$0.seq, $0.revision, $0.label, $0.boxes, $0.hash, $0.source, $0.reviewer, $0.updatedAt] },
        casts: ["", "", "::bigint", "::text", "", "", "::text", ""])
    }
}

/// Per-hour aggregate increments collected over one batch and written in the batch's
/// transaction, each table's keys in order (see `AggregateDelta` of the SQLite store: the same
/// keys, bins and meaning, and the per-hour score sums). The drift sample of new predictions is
/// written with the rows themselves (``PredictionStage/merge``).
struct HourlyDelta {
    static let bins: Int64 = 20
    struct ClassKey: Hashable, Comparable {
        var model: Int64, hour: Int64, label: Int64
        static func < (a: Self, b: Self) -> Bool { (a.model, a.hour, a.label) < (b.model, b.hour, b.label) }
    }
    struct BinKey: Hashable, Comparable {
        var model: Int64, hour: Int64, label: Int64, bin: Int64
        static func < (a: Self, b: Self) -> Bool { (a.model, a.hour, a.label, a.bin) < (b.model, b.hour, b.label, b.bin) }
    }
    var classes: [ClassKey: Int64] = [:]
    var bins: [BinKey: Int64] = [:]
    /// Keyed by (model, hour, observed label, predicted class in `bin`).
    var confusion: [BinKey: Int64] = [:]
    /// Per (model, hour; label unused): count and sum of top-1 scores.
    var sums: [ClassKey: (n: Int64, total: Double)] = [:]

    static func bin(_ score: Double) -> Int64 { Int64(min(Double(bins - 1), (score * Double(bins)).rounded(.towardZero))) }
    static func hour(_ ts: Int64) -> Int64 { ts / 3_600_000 }

    /// Counts a newly stored prediction.
    mutating func add(model: Int64, record r: PredictionRecord) {
        let hour = Self.hour(r.timestampMillis)
        classes[ClassKey(model: model, hour: hour, label: -1), default: 0] += 1
        if let score = r.score {
            let key = ClassKey(model: model, hour: hour, label: 0)
            let old = sums[key] ?? (0, 0)
            sums[key] = (old.n + 1, old.total + score)
        }
        func add(_ label: Int64, _ score: Double?) {
            classes[ClassKey(model: model, hour: hour, label: label), default: 0] += 1
            if let score { bins[BinKey(model: model, hour: hour, label: label, bin: Self.bin(score)), default: 0] += 1 }
        }
        if let label = r.labelIndex { add(Int64(label), r.score) }
        for box in r.boxes { add(Int64(box.labelIndex), box.score) }
    }

    mutating func addConfusion(model: Int64, ts: Int64, label: Int64, predicted: Int64, count: Int64) {
        confusion[BinKey(model: model, hour: Self.hour(ts), label: label, bin: predicted), default: 0] += count
    }

    /// The class counts, score bins and score sums in one statement of always the same shape
    /// (so every instance takes the tables in the same order), each table's rows in key order:
    /// concurrent batches wait for each other instead of deadlocking.
    static let predictionUpsert = """
        WITH classes AS (
          INSERT INTO hourly_class_counts(model_id, hour, label_idx, n)
          SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[])
          ON CONFLICT (model_id, hour, label_idx) DO UPDATE SET n = hourly_class_counts.n + EXCLUDED.n
        ), bins AS (
          INSERT INTO hourly_score_bins(model_id, hour, label_idx, bin, n)
          SELECT * FROM unnest($5::bigint[], $6::bigint[], $7::bigint[], $8::bigint[], $9::bigint[])
          ON CONFLICT (model_id, hour, label_idx, bin) DO UPDATE SET n = hourly_score_bins.n + EXCLUDED.n
        )
        INSERT INTO hourly_score_sums(model_id, hour, n, total)
        SELECT * FROM unnest($10::bigint[], $11::bigint[], $12::bigint[], $13::float8[])
        ON CONFLICT (model_id, hour) DO UPDATE SET n = hourly_score_sums.n + EXCLUDED.n, total = hourly_score_sums.total + EXCLUDED.total
        """

    func flush(_ s: PostgresSession) throws {
        let c = classes.filter { $0.value != 0 }.sorted { $0.key < $1.key }
        let b = bins.filter { $0.value != 0 }.sorted { $0.key < $1.key }
        let t = sums.sorted { $0.key < $1.key }
        if !c.isEmpty || !b.isEmpty || !t.isEmpty {
            try s.execute(Self.predictionUpsert, [
                c.map(\.key.model), c.map(\.key.hour), c.map(\.key.label), c.map(\.value),
                b.map(\.key.model), b.map(\.key.hour), b.map(\.key.label), b.map(\.key.bin), b.map(\.value),
                t.map(\.key.model), t.map(\.key.hour), t.map(\.value.n), t.map(\.value.total),
            ])
        }
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
