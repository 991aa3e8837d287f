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
            return try ingestBatches(s, options: options, nextBatch: nextBatch, progress: progress, prepare: { batch, inTransaction in
                try ensurePartitions(Set(batch.map { $0.timestampMillis / Self.dayMillis }), s, inTransaction: inTransaction)
            }) { batch, outcome, report in
                var known: [(index: Int, record: PredictionRecord, model: Int64)] = []
                for (i, r) in batch.enumerated() {
                    if let m = modelIDs[r.model] { known.append((i, r, m)) }
                }
                // Ids are claimed in one order (id, then line) on every instance, so two instances
                // writing overlapping batches wait for each other instead of deadlocking.
                // Sequence numbers follow the lines, as on SQLite, whatever order the ids are claimed in.
                let seqs = try s.query("SELECT nextval('prediction_seq') FROM generate_series(1, $1::bigint)", [known.count]).map { try $0.int(0) }.sorted()
                var seqOf: [Int: Int64] = [:]
                for (k, item) in known.enumerated() { seqOf[item.index] = seqs[k] }
                let ordered = known.sorted { ($0.record.id, $0.index) < ($1.record.id, $1.index) }
                var claimed: [String: Int64] = [:]
                for start in stride(from: 0, to: ordered.count, by: Self.insertChunk) {
                    let chunk = ordered[start..<min(start + Self.insertChunk, ordered.count)]
                    var values: [String] = []
                    var args: [any PostgresArgument] = []
                    for (k, item) in chunk.enumerated() {
                        let p = k * 6
                        values.append("($\(p + 1), $\(p + 2), $\(p + 3), $\(p + 4), $\(p + 5), $\(p + 6))")
                        args += [item.record.id, seqOf[item.index]!, item.model, item.record.timestampMillis, item.record.labelIndex.map(Int64.init),
                                 item.record.contentHash]
                    }
                    for row in try s.query("""
                        INSERT INTO prediction_ids(id, seq, model_id, ts, label_idx, content_hash) VALUES \(values.joined(separator: ", "))
                        ON CONFLICT (id) DO NOTHING RETURNING id, seq
                        """, args) {
                        claimed[try row.string(0)] = try row.int(1)
                    }
                }
                // Ids stored before (by this batch, an earlier one, or another instance).
                let others = Array(Set(known.map(\.record.id)).filter { claimed[$0] == nil })
                var stored: [String: Int64] = [:]
                if !others.isEmpty || claimed.count < known.count {
                    for row in try s.query("SELECT id, content_hash FROM prediction_ids WHERE id = ANY($1)", [Array(Set(known.map(\.record.id)))]) {
                        stored[try row.string(0)] = try row.int(1)
                    }
                }
                var fresh: [(seq: Int64, record: PredictionRecord, model: Int64)] = []
                for (i, r) in batch.enumerated() {
                    guard let model = modelIDs[r.model] else {
                        outcome.reject(RecordError(line: r.line, field: "model", reason: "unknown model '\(r.model)'", id: r.id), report: report)
                        continue
                    }
                    _ = i
                    if let seq = claimed.removeValue(forKey: r.id) {
                        fresh.append((seq, r, model))
                    } else if stored[r.id] == r.contentHash {
                        outcome.duplicates += 1
                    } else {
                        outcome.reject(RecordError(
                            line: r.line, field: "id",
                            reason: "conflict: a prediction with this id is already stored with different content; ids are immutable, send a corrected prediction under a new id",
                            id: r.id), report: report)
                    }
                }
                for start in stride(from: 0, to: fresh.count, by: Self.insertChunk) {
                    let chunk = fresh[start..<min(start + Self.insertChunk, fresh.count)]
                    var values: [String] = []
                    var args: [any PostgresArgument] = []
                    for (k, item) in chunk.enumerated() {
                        let p = k * 10
                        values.append("(" + (1...10).map { "$\(p + $0)" }.joined(separator: ", ") + ")")
                        let r = item.record
                        args += [item.seq, r.id, item.model, r.timestampMillis, r.modelVersion, r.labelIndex.map(Int64.init), r.score, r.payload,
                                 r.contentHash, options.now]
                    }
                    try s.execute("""
                        INSERT INTO predictions(seq, id, model_id, ts, model_version, label_idx, score, payload, content_hash, ingested_at)
                        VALUES \(values.joined(separator: ", "))
                        """, args)
                }
                var delta = HourlyDelta()
                for item in fresh { delta.add(model: item.model, record: item.record) }
                try delta.flush(s)
                outcome.inserted += fresh.count
                return batch.last?.line ?? 0
            }
        }
    }

    public func ingestLabels(options: IngestOptions, nextBatch: () throws -> [LabelRecord]?,
                             progress: (IngestProgress) -> Void) throws -> IngestOutcome {
        try pool.withSession { s in
            let models = try Self.allModels(s)
            return try ingestBatches(s, options: options, nextBatch: nextBatch, progress: progress, prepare: { _, _ in }) { batch, outcome, report in
                var delta = HourlyDelta()
                var lastLine = 0
                for r in batch {
                    lastLine = r.line
                    func reject(_ field: String?, _ reason: String) {
                        outcome.reject(RecordError(line: r.line, field: field, reason: reason, id: r.predictionID), report: report)
                    }
                    // The prediction's identity row is locked: label writers of one prediction take turns.
                    guard let prediction = try s.one("SELECT seq, model_id, ts, label_idx FROM prediction_ids WHERE id = $1 FOR UPDATE",
                                                     [r.predictionID]) else {
                        reject("prediction_id", "no prediction with this id is stored: ingest the predictions first")
                        continue
                    }
                    let seq = try prediction.int(0), modelID = try prediction.int(1), ts = try prediction.int(2)
                    let predicted = try prediction.optionalInt(3)
                    guard let schema = models[modelID] else { reject(nil, "the prediction's model is missing"); continue }
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
                    var revision: Int64 = 1
                    if let current = try s.one("SELECT revision, content_hash, label_idx FROM ground_truth WHERE prediction_seq = $1", [seq]) {
                        let rev = try current.int(0), hash = try current.int(1), oldLabel = try current.optionalInt(2)
                        if hash == r.contentHash { outcome.duplicates += 1; continue }
                        guard options.allowRelabel else {
                            reject(r.label != nil ? "label" : "boxes",
                                   "conflict: this prediction already has a different label (revision \(rev)); pass --relabel to record a new revision")
                            continue
                        }
                        revision = rev + 1
                        try s.execute("""
                            UPDATE ground_truth SET label_idx = $1, boxes = $2, revision = $3, content_hash = $4, source = $5, reviewer = $6, updated_at = $7
                            WHERE prediction_seq = $8
                            """, [labelIndex, r.boxesJSON, revision, r.contentHash, r.source, r.reviewer, options.now, seq])
                        if let predicted, let oldLabel { delta.addConfusion(model: modelID, ts: ts, label: oldLabel, predicted: predicted, count: -1) }
                        if let predicted, let labelIndex { delta.addConfusion(model: modelID, ts: ts, label: labelIndex, predicted: predicted, count: 1) }
                        outcome.relabeled += 1
                        try Self.append(s, Event(ts: options.now, actor: r.reviewer ?? options.actor, kind: "label.relabel", model: schema.name,
                                                 subject: r.predictionID, details: "{\"revision\":\(revision),\"line\":\(r.line)}"))
                    } else {
                        // A label withdrawn by an undo left its revisions behind (they are append-only): continue after them.
                        if let last = try s.one("SELECT MAX(revision) FROM ground_truth_revisions WHERE prediction_seq = $1", [seq])?.optionalInt(0) {
                            revision = last + 1
                        }
                        try s.execute("""
                            INSERT INTO ground_truth(prediction_seq, model_id, ts, predicted_idx, label_idx, boxes, revision, content_hash, source, reviewer, updated_at)
                            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
                            """, [seq, modelID, ts, predicted, labelIndex, r.boxesJSON, revision, r.contentHash, r.source, r.reviewer, options.now])
                        if let predicted, let labelIndex { delta.addConfusion(model: modelID, ts: ts, label: labelIndex, predicted: predicted, count: 1) }
                        outcome.inserted += 1
                    }
                    try s.execute("""
                        INSERT INTO ground_truth_revisions(prediction_seq, revision, label_idx, boxes, content_hash, source, reviewer, created_at)
                        VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
                        """, [seq, revision, labelIndex, r.boxesJSON, r.contentHash, r.source, r.reviewer, options.now])
                }
                try delta.flush(s)
                return lastLine
            }
        }
    }
}

/// Per-hour aggregate increments collected over one batch and written with one upsert per
/// table, in key order, in the batch's transaction (see `AggregateDelta` of the SQLite store:
/// the same keys, bins and meaning).
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

    static func bin(_ score: Double) -> Int64 { Int64(min(Double(bins - 1), (score * Double(bins)).rounded(.towardZero))) }
    static func hour(_ ts: Int64) -> Int64 { ts / 3_600_000 }

    mutating func add(model: Int64, record r: PredictionRecord) {
        let hour = Self.hour(r.timestampMillis)
        classes[ClassKey(model: model, hour: hour, label: -1), default: 0] += 1
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

    func flush(_ s: PostgresSession) throws {
        let c = classes.filter { $0.value != 0 }.sorted { $0.key < $1.key }
        if !c.isEmpty {
            try s.execute("""
                INSERT INTO hourly_class_counts(model_id, hour, label_idx, n)
                SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[])
                ON CONFLICT (model_id, hour, label_idx) DO UPDATE SET n = hourly_class_counts.n + EXCLUDED.n
                """, [c.map(\.key.model), c.map(\.key.hour), c.map(\.key.label), c.map(\.value)])
        }
        let b = bins.filter { $0.value != 0 }.sorted { $0.key < $1.key }
        if !b.isEmpty {
            try s.execute("""
                INSERT INTO hourly_score_bins(model_id, hour, label_idx, bin, n)
                SELECT * FROM unnest($1::bigint[], $2::bigint[], $3::bigint[], $4::bigint[], $5::bigint[])
                ON CONFLICT (model_id, hour, label_idx, bin) DO UPDATE SET n = hourly_score_bins.n + EXCLUDED.n
                """, [b.map(\.key.model), b.map(\.key.hour), b.map(\.key.label), b.map(\.key.bin), b.map(\.value)])
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
