import Foundation
import GRDB
import VigilCore

extension SQLiteStore {
    /// Runs `body` for each batch, in one transaction per batch, or in one transaction for
    /// everything when `options.atomic` (then committed only if `options.shouldCommit()`).
    func ingestBatches<R>(_ db: Database, options: IngestOptions, nextBatch: () throws -> [R]?,
                          progress: (IngestProgress) -> Void, outcome: inout IngestOutcome,
                          body: ([R], inout IngestOutcome) throws -> Int) throws {
        var written = 0
        var open = false
        // The writer never checkpoints mid-ingest (each checkpoint syncs the file); a second
        // connection copies committed pages in the background, overlapping that I/O with the
        // work, and one passive checkpoint at the end copies the rest. The WAL keeps every
        // committed batch safe from a crash meanwhile.
        // A larger page cache while writing keeps the indexes' hot pages in memory.
        let checkpointer = options.bulk ? BackgroundCheckpointer(path: path) : nil
        if let checkpointer {
            try db.execute(sql: "PRAGMA wal_autocheckpoint = 0; PRAGMA cache_size = -65536")
            checkpointer.start()
        }
        defer {
            if let checkpointer {
                checkpointer.stop()
                try? db.execute(sql: "PRAGMA wal_autocheckpoint = 1000; PRAGMA cache_size = -2000")
                _ = try? db.checkpoint(.passive)
            }
        }
        do {
            if options.atomic { try db.beginTransaction(.immediate); open = true }
            while let batch = try nextBatch() {
                if !options.atomic { try db.beginTransaction(.immediate); open = true }
                let line = try body(batch, &outcome)
                if !options.atomic { try db.commit(); open = false }
                written += batch.count
                progress(IngestProgress(recordsWritten: written, lastLine: line, outcome: outcome))
            }
            if options.atomic {
                if options.shouldCommit() && outcome.rejectedCount == 0 {
                    try db.commit()
                } else {
                    try db.rollback()
                    outcome.committed = false
                    outcome.inserted = 0
                    outcome.relabeled = 0
                }
                open = false
            }
        } catch {
            if open { try? db.rollback() }
            throw error
        }
    }

    /// Rows per multi-row insert statement on the fast path.
    static let insertGroup = 32
    static let predictionColumns: Int32 = 9

    static func predictionInsert(rows: Int, verb: String = "INSERT", onConflict: String) -> String {
        verb + " INTO predictions(id, model_id, ts, model_version, label_idx, score, payload, content_hash, ingested_at) VALUES "
            + Array(repeating: "(?, ?, ?, ?, ?, ?, ?, ?, ?)", count: rows).joined(separator: ", ") + " " + onConflict
    }

    /// Binds a row with its text in `arena` (appended), so SQLite needs no copy of its own.
    @inline(__always) static func bind(_ s: RawStatement, at p: Int32, _ r: PredictionRecord, modelID: Int64, now: Int64, arena: TextArena) {
        s.bindStatic(p, arena.append(r.id))
        s.bind(p + 1, modelID)
        s.bind(p + 2, r.timestampMillis)
        if let v = r.modelVersion { s.bindStatic(p + 3, arena.append(v)) } else { s.bindNull(p + 3) }
        s.bind(p + 4, r.labelIndex.map(Int64.init))
        s.bind(p + 5, r.score)
        if let payload = r.payload { s.bindStatic(p + 6, arena.append(payload)) } else { s.bindNull(p + 6) }
        s.bind(p + 7, r.contentHash)
        s.bind(p + 8, now)
    }

    static func conflict(_ r: PredictionRecord) -> VigilCore.RecordError {
        RecordError(line: r.line, field: "id",
                    reason: "conflict: a prediction with this id is already stored with different content; ids are immutable, send a corrected prediction under a new id",
                    id: r.id)
    }

    public func ingestPredictions(options: IngestOptions, nextBatch: () throws -> [PredictionRecord]?,
                                  progress: (IngestProgress) -> Void) throws -> IngestOutcome {
        try queue.writeWithoutTransaction { db in
            guard let conn = db.sqliteConnection else { throw StoreError("the database connection is closed") }
            var modelIDs: [String: Int64] = [:]
            for (id, s) in try db.sql.allModels() { modelIDs[s.name] = id }
            // Rows of one file are nearly always of one model: remember the last lookup.
            var lastModel: (name: String, id: Int64)?
            func modelID(_ name: String) -> Int64? {
                if let last = lastModel, last.name == name { return last.id }
                guard let id = modelIDs[name] else { return nil }
                lastModel = (name, id)
                return id
            }
            let insert = try RawStatement(conn, Self.predictionInsert(rows: 1, onConflict: "ON CONFLICT (id) DO NOTHING"))
            // OR IGNORE: a stored id skips its row instead of failing the statement, so SQLite
            // needs no statement journal to undo a half-done group (a copy of every page the
            // group touches); the NOT NULL columns are always bound, so only the id can skip a row.
            let insertGroup = try RawStatement(conn, Self.predictionInsert(rows: Self.insertGroup, verb: "INSERT OR IGNORE", onConflict: ""))
            let lookup = try RawStatement(conn, "SELECT content_hash, seq FROM predictions WHERE id = ?")
            let maxSeqQuery = try RawStatement(conn, "SELECT COALESCE(MAX(seq), 0) FROM predictions")
            let classUpsert = try RawStatement(conn, AggregateDelta.classUpsert)
            let binUpsert = try RawStatement(conn, AggregateDelta.binUpsert)
            let sumUpsert = try RawStatement(conn, AggregateDelta.sumUpsert)
            let sampleInsert = try RawStatement(conn, AggregateDelta.sampleInsert)
            var delta = AggregateDelta()
            var outcome = IngestOutcome()
            let arena = TextArena()
            let mark = try db.sql.retentionMark() ?? 0
            try ingestBatches(db, options: options, nextBatch: nextBatch, progress: progress, outcome: &outcome) { batch, outcome in
                // Rows get seq = largest + 1, so the rows a statement adds are the ones above `maxSeq`.
                _ = try maxSeqQuery.step()
                var maxSeq = maxSeqQuery.int64(0)
                maxSeqQuery.reset()
                var start = 0
                while start < batch.count {
                    let end = min(start + Self.insertGroup, batch.count)
                    // Fast path: a whole group of rows in one statement; when it added fewer rows
                    // than it has, each row's id tells whether it was added, a duplicate or a conflict.
                    if end - start == Self.insertGroup, batch[start..<end].allSatisfy({ modelID($0.model) != nil && $0.timestampMillis >= mark }) {
                        var p: Int32 = 1
                        arena.reset()
                        for r in batch[start..<end] {
                            Self.bind(insertGroup, at: p, r, modelID: modelID(r.model)!, now: options.now, arena: arena)
                            p += Self.predictionColumns
                        }
                        try insertGroup.step()
                        let added = Int(insertGroup.changes)
                        insertGroup.reset()
                        if added == end - start {
                            // One statement's rows get consecutive seq values, in row order.
                            let first = insertGroup.lastInsertRowID - Int64(added) + 1
                            for (k, r) in batch[start..<end].enumerated() { delta.add(model: modelID(r.model)!, record: r, seq: first + Int64(k)) }
                            outcome.inserted += added
                            maxSeq = insertGroup.lastInsertRowID
                            start = end
                            continue
                        }
                        // Some ids were stored already, or repeat within the group: a row was added
                        // when its id's seq is new and no earlier row of the group claimed it.
                        var claimed: [Int64] = []
                        for r in batch[start..<end] {
                            lookup.bind(1, r.id)
                            guard try lookup.step() else {
                                lookup.reset()
                                throw StoreError("prediction '\(r.id)' is neither stored nor added after a grouped insert")
                            }
                            let stored = lookup.int64(0), seq = lookup.int64(1)
                            lookup.reset()
                            if seq > maxSeq && !claimed.contains(seq) {
                                claimed.append(seq)
                                outcome.inserted += 1
                                delta.add(model: modelID(r.model)!, record: r, seq: seq)
                            } else if stored == r.contentHash {
                                outcome.duplicates += 1
                            } else {
                                outcome.reject(Self.conflict(r), report: options.onReject)
                            }
                        }
                        if added > 0 { maxSeq = insertGroup.lastInsertRowID }
                        start = end
                        continue
                    }
                    for r in batch[start..<end] {
                        guard let modelID = modelID(r.model) else {
                            outcome.reject(RecordError(line: r.line, field: "model", reason: "unknown model '\(r.model)'", id: r.id), report: options.onReject)
                            continue
                        }
                        if r.timestampMillis < mark {
                            outcome.reject(.beforeRetention(r, mark: mark), report: options.onReject)
                            continue
                        }
                        arena.reset()
                        Self.bind(insert, at: 1, r, modelID: modelID, now: options.now, arena: arena)
                        try insert.step()
                        let inserted = insert.changes == 1
                        insert.reset()
                        if inserted {
                            maxSeq = insert.lastInsertRowID
                            outcome.inserted += 1
                            delta.add(model: modelID, record: r, seq: maxSeq)
                            continue
                        }
                        lookup.bind(1, r.id)
                        let found = try lookup.step()
                        let stored = found ? lookup.int64(0) : 0
                        lookup.reset()
                        if found && stored == r.contentHash {
                            outcome.duplicates += 1
                        } else {
                            outcome.reject(Self.conflict(r), report: options.onReject)
                        }
                    }
                    start = end
                }
                try delta.flush(classes: classUpsert, bins: binUpsert, sums: sumUpsert, sample: sampleInsert)
                return batch.last?.line ?? 0
            }
            return outcome
        }
    }

    public func ingestLabels(options: IngestOptions, nextBatch: () throws -> [LabelRecord]?,
                             progress: (IngestProgress) -> Void) throws -> IngestOutcome {
        try queue.writeWithoutTransaction { db in
            let models = try db.sql.allModels()
            var outcome = IngestOutcome()
            try ingestBatches(db, options: options, nextBatch: nextBatch, progress: progress, outcome: &outcome) { batch, outcome in
                try Self.writeLabels(db, batch, models: models, options: options, outcome: &outcome)
            }
            return outcome
        }
    }

    /// Writes `batch`'s labels inside the caller's transaction: the current label, a revision,
    /// the per-hour confusion counts and, for a relabel, an event. Rejected records are counted in
    /// `outcome` and written nowhere. Returns the last record's line.
    static func writeLabels(_ db: Database, _ batch: [LabelRecord], models: [Int64: ModelSchema], options: IngestOptions,
                            outcome: inout IngestOutcome) throws -> Int {
        let prediction = try RawStatement(cachedIn: db, "SELECT seq, model_id, ts, label_idx FROM predictions WHERE id = ?")
        let current = try RawStatement(cachedIn: db, "SELECT revision, content_hash, label_idx FROM ground_truth WHERE prediction_seq = ?")
        let lastRevision = try RawStatement(cachedIn: db, "SELECT MAX(revision) FROM ground_truth_revisions WHERE prediction_seq = ?")
        let confusionUpsert = try RawStatement(cachedIn: db, AggregateDelta.confusionUpsert)
        var delta = AggregateDelta()
        var closing = ReviewItemClosing()
        let insertCurrent = try RawStatement(cachedIn: db, """
            INSERT INTO ground_truth(prediction_seq, model_id, ts, predicted_idx, label_idx, boxes, revision, content_hash, source, reviewer, updated_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        let updateCurrent = try RawStatement(cachedIn: db, """
            UPDATE ground_truth SET label_idx = ?, boxes = ?, revision = ?, content_hash = ?, source = ?, reviewer = ?, updated_at = ?
            WHERE prediction_seq = ?
            """)
        let insertRevision = try RawStatement(cachedIn: db, """
            INSERT INTO ground_truth_revisions(prediction_seq, revision, label_idx, boxes, content_hash, source, reviewer, created_at)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        var lastLine = 0
        for r in batch {
            lastLine = r.line
            func reject(_ field: String?, _ reason: String) {
                outcome.reject(RecordError(line: r.line, field: field, reason: reason, id: r.predictionID), report: options.onReject)
            }
            prediction.bind(1, r.predictionID)
            guard try prediction.step() else {
                prediction.reset()
                reject(LabelRules.unknownPrediction.field, LabelRules.unknownPrediction.reason)
                continue
            }
            let seq = prediction.int64(0), modelID = prediction.int64(1), ts = prediction.int64(2)
            let predicted: Int64? = prediction.isNull(3) ? nil : prediction.int64(3)
            prediction.reset()
            guard let schema = models[modelID] else { reject(nil, "the prediction's model is missing"); continue }
            current.bind(1, seq)
            let truth = try current.step() ? CurrentTruth(revision: current.int64(0), contentHash: current.int64(1),
                                                          labelIndex: current.isNull(2) ? nil : current.int64(2)) : nil
            current.reset()
            let decision = try LabelRules.decide(r, schema: schema, current: truth, allowRelabel: options.allowRelabel) {
                lastRevision.bind(1, seq)
                defer { lastRevision.reset() }
                return try lastRevision.step() && !lastRevision.isNull(0) ? lastRevision.int64(0) : nil
            }
            let labelIndex: Int64?, revision: Int64
            switch decision {
            case .reject(let field, let reason): reject(field, reason); continue
            case .duplicate: outcome.duplicates += 1; continue
            case .relabel(let label, let next, _):
                (labelIndex, revision) = (label, next)
                updateCurrent.bind(1, labelIndex); updateCurrent.bind(2, r.boxesJSON); updateCurrent.bind(3, revision)
                updateCurrent.bind(4, r.contentHash); updateCurrent.bind(5, r.source); updateCurrent.bind(6, r.reviewer)
                updateCurrent.bind(7, options.now); updateCurrent.bind(8, seq)
                try updateCurrent.step(); updateCurrent.reset()
                outcome.relabeled += 1
                try db.sql.append(LabelRules.relabelEvent(r, model: schema.name, revision: revision, options: options))
            case .insert(let label, let first):
                (labelIndex, revision) = (label, first)
                insertCurrent.bind(1, seq); insertCurrent.bind(2, modelID); insertCurrent.bind(3, ts); insertCurrent.bind(4, predicted)
                insertCurrent.bind(5, labelIndex); insertCurrent.bind(6, r.boxesJSON); insertCurrent.bind(7, revision)
                insertCurrent.bind(8, r.contentHash); insertCurrent.bind(9, r.source); insertCurrent.bind(10, r.reviewer)
                insertCurrent.bind(11, options.now)
                try insertCurrent.step(); insertCurrent.reset()
                outcome.inserted += 1
            }
            for change in decision.confusionChanges(predicted: predicted) {
                delta.addConfusion(model: modelID, ts: ts, label: change.label, predicted: predicted!, count: change.count)
            }
            insertRevision.bind(1, seq); insertRevision.bind(2, revision); insertRevision.bind(3, labelIndex)
            insertRevision.bind(4, r.boxesJSON); insertRevision.bind(5, r.contentHash); insertRevision.bind(6, r.source)
            insertRevision.bind(7, r.reviewer); insertRevision.bind(8, options.now)
            try insertRevision.step(); insertRevision.reset()
            closing.note(r, seq: seq)
        }
        try delta.flushConfusion(confusionUpsert)
        try closing.close(db.sql)
        return lastLine
    }
}
