import Foundation
import Testing
import VigilCore
import VigilPostgres
@testable import VigilStore

/// The store's contract, run against every backend in `Backend.all`.
@Suite struct StoreTests {
    @Test(arguments: Backend.all) func migrationsRecordTheSchemaVersion(backend: Backend) throws {
        let t = try backend.makeStore()
        if let store = t.sqlite {
            let version = try store.queue.read { try Int.fetchOne($0, sql: "PRAGMA user_version") }
            #expect(version == SQLiteStore.schemaVersion)
            let mode = try store.queue.read { try String.fetchOne($0, sql: "PRAGMA journal_mode") }
            #expect(mode == "wal")
            // Reopening applies nothing twice.
            let again = try SQLiteStore(path: store.path)
            #expect(try again.queue.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM grdb_migrations") } == SQLiteStore.migrator.migrations.count)
        }
        if let store = t.postgres {
            #expect(try store.storedSchemaVersion() == PostgresStore.schemaVersion)
            // Reopening (another instance) applies nothing twice.
            let again = try PostgresStore(location: store.location)
            #expect(try again.storedSchemaVersion() == PostgresStore.schemaVersion)
            #expect(try t.integers("SELECT COUNT(*) FROM vigil_migrations") == [[Int64(PostgresStore.schemaVersion)]])
        }
    }

    @Test(arguments: Backend.all) func classesAreAppendOnly(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        _ = try store.syncModels([classifierSchema], now: 0)
        let grown = ModelSchema(name: "shelf", task: .classification, classes: ["box", "can", "jar", "tray"])
        let catalog = try store.syncModels([grown], now: 0)
        #expect(catalog.models["shelf"]?.classes == ["can", "jar", "box", "tray"])
        let shrunk = ModelSchema(name: "shelf", task: .classification, classes: ["can", "jar"])
        #expect(throws: StoreError.self) { try store.syncModels([shrunk], now: 0) }
        let retasked = ModelSchema(name: "shelf", task: .detection, classes: ["can", "jar", "box", "tray"])
        #expect(throws: StoreError.self) { try store.syncModels([retasked], now: 0) }
    }

    @Test(arguments: Backend.all) func ingestIsIdempotentAndReportsConflicts(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let first = predictions([line("a"), line("b", label: "jar"), line("c", label: "box")], catalog: catalog)
        let o1 = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([first]), progress: { _ in })
        #expect(o1.inserted == 3 && o1.duplicates == 0 && o1.rejected.isEmpty)
        let o2 = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([first]), progress: { _ in })
        #expect(o2.inserted == 0 && o2.duplicates == 3)
        let changed = predictions([line("b", label: "can")], catalog: catalog)
        let o3 = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([changed]), progress: { _ in })
        #expect(o3.inserted == 0 && o3.rejected.count == 1)
        #expect(o3.rejected.first?.id == "b" && o3.rejected.first?.field == "id")
        #expect(o3.rejected.first?.reason.contains("conflict") == true)
        let v = try store.verify()
        #expect(v.isHealthy, "\(v.aggregateMismatches)")
        #expect(v.predictions == 3)
    }

    @Test(arguments: Backend.all) func groupedInsertsFallBackRowByRowOnDuplicates(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let classes = ["can", "jar", "box"]
        let first = predictions((0..<100).map { line("p\($0)", label: classes[$0 % 3]) }, catalog: catalog)
        let o1 = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([Array(first[0..<64]), Array(first[64...])]), progress: { _ in })
        #expect(o1.inserted == 100 && o1.duplicates == 0 && o1.rejected.isEmpty)
        // A second file: 100 old ids (two of them changed) with 20 new ids mixed in.
        var mixed: [String] = []
        for i in 0..<100 {
            mixed.append(line("p\(i)", label: i == 40 || i == 70 ? "box" : classes[i % 3], score: i == 40 || i == 70 ? 0.5 : 0.9))
            if i % 5 == 0 { mixed.append(line("q\(i)", label: "jar")) }
        }
        let o2 = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([predictions(mixed, catalog: catalog)]), progress: { _ in })
        #expect(o2.inserted == 20)
        #expect(o2.duplicates == 98)
        #expect(o2.rejected.compactMap(\.id).sorted() == ["p40", "p70"])
        let v = try store.verify()
        #expect(v.isHealthy, "\(v.aggregateMismatches)")
        #expect(v.predictions == 120)
    }

    @Test func groupedInsertsTellAddedRepeatedAndConflictingIdsApart() throws {
        let (store, _) = try temporaryStore()
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let classes = ["can", "jar", "box"]
        // Two groups of 32 new ids, the first with an id repeated unchanged and one repeated
        // changed, the second all new; then a third group mixing stored, repeated and new ids.
        var lines = (0..<30).map { line("n\($0)", label: classes[$0 % 3]) }
        lines.insert(line("n3", label: classes[0]), at: 10)         // same as n3: a duplicate
        lines.insert(line("n4", label: "can", score: 0.2), at: 20) // n4 changed: a conflict
        lines += (30..<62).map { line("n\($0)", label: classes[$0 % 3]) }
        var third = (0..<8).map { line("n\($0)", label: classes[$0 % 3]) }        // stored: duplicates
        third += (100..<120).map { line("m\($0)", label: "box") }                 // new
        third += [line("m100", label: "box"), line("m101", label: "jar")]          // repeat and conflict within the group
        third += [line("n9", label: "can", score: 0.1), line("m120", label: "jar")] // stored, changed: a conflict; new
        #expect(lines.count == 64 && third.count == 32)
        let all = predictions(lines + third, catalog: catalog)
        let o = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([Array(all[0..<64]), Array(all[64...])]), progress: { _ in })
        #expect(o.inserted == 62 + 21)
        #expect(o.duplicates == 1 + 8 + 1)
        #expect(o.rejected.map(\.line) == [21, 94, 95])
        #expect(o.rejected.compactMap(\.id) == ["n4", "m101", "n9"])
        let v = try store.verify()
        #expect(v.isHealthy, "\(v.aggregateMismatches)")
        #expect(v.predictions == 83)
        // The first of two rows with one id is the one stored.
        let n4 = try store.queue.read { try Double.fetchOne($0, sql: "SELECT score FROM predictions WHERE id = 'n4'") }
        #expect(n4 == 0.9)
        // Re-ingesting everything adds nothing.
        let again = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([Array(all[0..<64]), Array(all[64...])]), progress: { _ in })
        #expect(again.inserted == 0 && again.duplicates == 96 - 3 && again.rejected.count == 3)
        #expect(try store.verify().isHealthy)
    }

    @Test(arguments: Backend.all) func atomicIngestRollsBackEverything(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let batch = predictions([line("a"), line("b")], catalog: catalog)
        let o = try store.ingestPredictions(options: .init(now: 0, atomic: true, shouldCommit: { false }),
                                            nextBatch: batches([batch, batch]), progress: { _ in })
        #expect(!o.committed && o.inserted == 0)
        #expect(try store.verify().predictions == 0)
        #expect(try t.integers("SELECT COUNT(*) FROM hourly_class_counts") == [[0]])
    }

    @Test(arguments: Backend.all) func aggregatesCountPerHourClassAndScoreBin(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let rows = predictions([
            line("a", label: "can", score: 0.91, ts: "2026-10-01T10:05:00Z"),
            line("b", label: "can", score: 0.99, ts: "2026-10-01T10:59:59.999Z"),
            line("c", label: "can", score: 1.0, ts: "2026-10-01T11:00:00Z"),
            line("d", label: "jar", score: 0.5, ts: "2026-10-01T10:30:00Z"),
        ], catalog: catalog)
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([rows]), progress: { _ in })
        let counts = try t.integers("SELECT hour, label_idx, n FROM hourly_class_counts ORDER BY hour, label_idx")
        let h10 = Timestamp.parseMillis("2026-10-01T10:00:00Z")! / 3_600_000
        #expect(counts == [[h10, -1, 3], [h10, 0, 2], [h10, 1, 1], [h10 + 1, -1, 1], [h10 + 1, 0, 1]])
        let bins = try t.integers("SELECT hour, label_idx, bin, n FROM hourly_score_bins ORDER BY hour, label_idx, bin")
        #expect(bins == [[h10, 0, 18, 1], [h10, 0, 19, 1], [h10, 1, 10, 1], [h10 + 1, 0, 19, 1]])
        #expect(try store.verify().isHealthy)
    }

    @Test(arguments: Backend.all) func detectionRecordsAreStoredFaithfullyAndAggregatedPerBox(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([detectorSchema], now: 0)
        let raw = #"{"id":"img-1","ts":"2026-10-01T10:00:00Z","model":"dock","boxes":[{"label":"pallet","score":0.8,"bbox":[1,2,30.5,40]},{"label":"person","score":0.3,"bbox":[0,0,5,5],"note":"x"}],"image":{"width":640,"height":480}}"#
        let rows = predictions([raw], catalog: catalog)
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([rows]), progress: { _ in })
        let payload = try t.rows("SELECT payload FROM predictions").first?.first ?? nil
        #expect(payload == #"{"boxes":[{"label":"pallet","score":0.8,"bbox":[1,2,30.5,40]},{"label":"person","score":0.3,"bbox":[0,0,5,5],"note":"x"}],"image":{"width":640,"height":480}}"#)
        #expect(try store.verify().isHealthy)
        let n = try t.integers("SELECT SUM(n) FROM hourly_class_counts WHERE label_idx >= 0")
        #expect(n == [[2]])
    }

    @Test(arguments: Backend.all) func labelsKeepARevisionHistory(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([predictions([line("a"), line("b")], catalog: catalog)]), progress: { _ in })
        let first = labels([#"{"prediction_id":"a","label":"can"}"#, #"{"prediction_id":"b","label":"jar","reviewer":"ana"}"#])
        let o1 = try store.ingestLabels(options: .init(now: 1), nextBatch: batches([first]), progress: { _ in })
        #expect(o1.inserted == 2)
        let again = try store.ingestLabels(options: .init(now: 2), nextBatch: batches([first]), progress: { _ in })
        #expect(again.inserted == 0 && again.duplicates == 2)
        let changed = labels([#"{"prediction_id":"b","label":"box","reviewer":"bo"}"#])
        let refused = try store.ingestLabels(options: .init(now: 3), nextBatch: batches([changed]), progress: { _ in })
        #expect(refused.rejected.count == 1 && refused.rejected[0].reason.contains("--relabel"))
        let relabeled = try store.ingestLabels(options: .init(now: 4, allowRelabel: true), nextBatch: batches([changed]), progress: { _ in })
        #expect(relabeled.relabeled == 1)
        let history = try t.rows("SELECT r.revision, r.label_idx, r.reviewer FROM ground_truth_revisions r JOIN predictions p ON p.seq = r.prediction_seq WHERE p.id = 'b' ORDER BY r.revision")
            .map { "\($0[0] ?? "?"):\($0[1] ?? "?"):\($0[2] ?? "-")" }
        #expect(history == ["1:1:ana", "2:2:bo"])
        let events = try store.events(model: "shelf", limit: 10)
        #expect(events.contains { $0.kind == "label.relabel" && $0.subject == "b" && $0.actor == "bo" })
        #expect(throws: (any Error).self) {
            try t.execute("UPDATE ground_truth_revisions SET label_idx = 0")
        }
    }

    @Test(arguments: Backend.all) func labelsAreCheckedAgainstThePredictionsModel(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema, detectorSchema], now: 0)
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([predictions([line("a")], catalog: catalog)]), progress: { _ in })
        let bad = labels([
            #"{"prediction_id":"a","label":"tray"}"#,
            #"{"prediction_id":"zzz","label":"can"}"#,
            #"{"prediction_id":"a","boxes":[]}"#,
        ])
        let o = try store.ingestLabels(options: .init(now: 1), nextBatch: batches([bad]), progress: { _ in })
        #expect(o.inserted == 0)
        #expect(o.rejected.map(\.line) == [1, 2, 3])
        #expect(o.rejected[0].reason.contains("not a class"))
        #expect(o.rejected[1].reason.contains("ingest the predictions first"))
        #expect(o.rejected[2].reason.contains("give 'label'"))
    }

    @Test(arguments: Backend.all) func confusionMatrixCoversTheWindowOnly(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let rows = predictions([
            line("a", label: "can", ts: "2026-10-01T00:00:00Z"),
            line("b", label: "can", ts: "2026-10-02T00:00:00Z"),
            line("c", label: "jar", ts: "2026-10-03T00:00:00Z"),
            line("d", label: "box", ts: "2026-10-04T00:00:00Z"),
        ], catalog: catalog)
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([rows]), progress: { _ in })
        _ = try store.ingestLabels(options: .init(now: 0), nextBatch: batches([labels([
            #"{"prediction_id":"a","label":"can"}"#, #"{"prediction_id":"b","label":"jar"}"#,
            #"{"prediction_id":"c","label":"jar"}"#, #"{"prediction_id":"d","label":"can"}"#,
        ])]), progress: { _ in })
        let window = TimeWindow(from: Timestamp.parseMillis("2026-10-02T00:00:00Z")!, to: Timestamp.parseMillis("2026-10-04T00:00:00Z")!)
        let m = try store.confusionMatrix(model: "shelf", window: window)
        #expect(m.total == 2)
        #expect(m[1, 0] == 1)  // observed jar, predicted can
        #expect(m[1, 1] == 1)
        #expect(try store.predictionCount(model: "shelf", window: window) == 2)
    }

    @Test(arguments: Backend.all) func anyWindowEqualsACountOfTheRowsEvenAfterRelabels(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let classes = ["can", "jar", "box"]
        var rng = SplitMix64(seed: 9)
        let start = Timestamp.parseMillis("2026-10-01T00:00:00Z")!
        var rows: [(id: String, ts: Int64, predicted: Int, observed: Int)] = []
        for i in 0..<3000 {
            let ts = start + Int64(rng.next() % UInt64(5 * 86_400_000))
            rows.append(("r\(i)", ts, Int(rng.next() % 3), Int(rng.next() % 3)))
        }
        let lines = rows.map { "{\"id\":\"\($0.id)\",\"ts\":\"\(Timestamp.format(millis: $0.ts))\",\"model\":\"shelf\",\"label\":\"\(classes[$0.predicted])\"}" }
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([predictions(lines, catalog: catalog)]), progress: { _ in })
        _ = try store.ingestLabels(options: .init(now: 0), nextBatch: batches([labels(rows.map { "{\"prediction_id\":\"\($0.id)\",\"label\":\"\(classes[$0.observed])\"}" })]), progress: { _ in })
        // Relabel a third of them.
        for i in stride(from: 0, to: rows.count, by: 3) { rows[i].observed = (rows[i].observed + 1) % 3 }
        let relabels = stride(from: 0, to: rows.count, by: 3).map { "{\"prediction_id\":\"\(rows[$0].id)\",\"label\":\"\(classes[rows[$0].observed])\"}" }
        let o = try store.ingestLabels(options: .init(now: 1, allowRelabel: true), nextBatch: batches([labels(relabels)]), progress: { _ in })
        #expect(o.relabeled == 1000)
        #expect(try store.verify().isHealthy)
        // verify() notices an aggregate that no longer equals a recount.
        try t.execute("UPDATE hourly_confusion SET n = n + 1 WHERE (model_id, hour, label_idx, predicted_idx) = (SELECT model_id, hour, label_idx, predicted_idx FROM hourly_confusion ORDER BY 1, 2, 3, 4 LIMIT 1)")
        #expect(try store.verify().aggregateMismatches.count == 1)
        try t.execute("UPDATE hourly_confusion SET n = n - 1 WHERE (model_id, hour, label_idx, predicted_idx) = (SELECT model_id, hour, label_idx, predicted_idx FROM hourly_confusion ORDER BY 1, 2, 3, 4 LIMIT 1)")
        try t.execute("DELETE FROM hourly_class_counts WHERE (model_id, hour, label_idx) = (SELECT model_id, hour, label_idx FROM hourly_class_counts ORDER BY 1, 2, 3 LIMIT 1)")
        #expect(try store.verify().aggregateMismatches.count == 1)
        try t.execute("INSERT INTO hourly_class_counts SELECT model_id, ts / 3600000, -1, COUNT(*) FROM predictions GROUP BY 1, 2 ON CONFLICT (model_id, hour, label_idx) DO UPDATE SET n = excluded.n")
        #expect(try store.verify().isHealthy)
        for _ in 0..<200 {
            let a = start - 3_600_000 + Int64(rng.next() % UInt64(6 * 86_400_000))
            let b = a + Int64(rng.next() % UInt64(3 * 86_400_000))
            var expected = ConfusionMatrix(classCount: 3)
            for r in rows where r.ts >= a && r.ts < b { expected.add(trueClass: r.observed, predicted: r.predicted) }
            #expect(try store.confusionMatrix(model: "shelf", window: TimeWindow(from: a, to: b)) == expected)
            #expect(try store.predictionCount(model: "shelf", window: TimeWindow(from: a, to: b)) == rows.filter { $0.ts >= a && $0.ts < b }.count)
        }
        // Whole-hour and same-hour windows.
        let h = (start / 3_600_000 + 5) * 3_600_000
        for (a, b) in [(h, h + 3_600_000), (h + 10, h + 20), (h, h + 48 * 3_600_000), (h - 1, h + 1)] {
            var expected = ConfusionMatrix(classCount: 3)
            for r in rows where r.ts >= a && r.ts < b { expected.add(trueClass: r.observed, predicted: r.predicted) }
            #expect(try store.confusionMatrix(model: "shelf", window: TimeWindow(from: a, to: b)) == expected)
        }
    }

    @Test(arguments: Backend.all) func eventLogIsAppendOnly(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        try store.append(Event(ts: 1, actor: "t", kind: "test", model: nil, subject: nil, details: "{}"))
        #expect(throws: (any Error).self) { try t.execute("DELETE FROM events") }
        #expect(throws: (any Error).self) { try t.execute("UPDATE events SET kind = 'x'") }
        #expect(try store.events(model: nil, limit: 5).count == 1)
    }

    @Test(arguments: Backend.all) func baselinesComeFromTheFirstHourOrTheLatestRecordedWindow(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let policy = Policy(model: classifierSchema.name, task: .classification, classes: classifierSchema.classes)
        #expect(try store.firstPredictionTime(model: classifierSchema.name) == nil)
        #expect(try BaselineWindow.resolve(store: store, policy: policy) == nil)
        let rows = predictions([line("a", ts: "2026-10-01T10:05:00Z"), line("b", ts: "2026-10-03T08:00:00Z")], catalog: catalog)
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([rows]), progress: { _ in })
        let hour = Timestamp.parseMillis("2026-10-01T10:00:00Z")!
        #expect(try store.firstPredictionTime(model: classifierSchema.name) == hour)
        let first = try #require(try BaselineWindow.resolve(store: store, policy: policy))
        #expect(first.window == TimeWindow(from: hour, to: hour + 7 * 86_400_000) && first.source.hasPrefix("default"))
        try BaselineWindow.record(store: store, model: classifierSchema.name, window: TimeWindow(from: 5, to: 9), reason: "old", actor: "t", now: 10)
        try BaselineWindow.record(store: store, model: classifierSchema.name, window: TimeWindow(from: 50, to: 90), reason: "v2 became champion", actor: "t", now: 11)
        try store.append(Event(ts: 12, actor: "t", kind: "test", model: classifierSchema.name, subject: nil, details: "{}"))
        let set = try #require(try BaselineWindow.resolve(store: store, policy: policy))
        #expect(set.window == TimeWindow(from: 50, to: 90) && set.source == "set (v2 became champion)", "the latest baseline.set, not other events")
        #expect(try store.events(model: classifierSchema.name, kind: BaselineWindow.eventKind, limit: 10).count == 2)
    }

    @Test(arguments: Backend.all) func alertsKeepTheirClearRuns(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        _ = try store.syncModels([classifierSchema], now: 0)
        let alert = AlertRecord(fingerprint: "f1", model: classifierSchema.name, rule: "accuracy", metric: "accuracy", className: nil, severity: .critical,
                                state: .firing, startsAt: 1, updatedAt: 1, runID: nil, window: nil, value: 0.7, threshold: 0.8, evidence: 150,
                                message: "accuracy is 0.7", clearRuns: 1)
        try store.updateAlerts(model: classifierSchema.name, now: 2) { _ in
            var changes = AlertChanges()
            changes.alerts = [alert]
            return changes
        }
        #expect(try store.alerts(model: classifierSchema.name) == [alert])
        var cleared = alert
        cleared.clearRuns = 0
        try store.updateAlerts(model: classifierSchema.name, now: 3) { book in
            #expect(book.alerts["f1"]?.clearRuns == 1, "the planner sees the count")
            var changes = AlertChanges()
            changes.alerts = [cleared]
            return changes
        }
        #expect(try store.alerts(model: classifierSchema.name).first?.clearRuns == 0)
    }
}

import GRDB

@Suite struct TextArenaTests {
    @Test func appendedTextStaysValidAcrossGrowth() {
        let arena = TextArena(capacity: 16)
        let texts = (0..<50).map { "text-\($0)-" + String(repeating: "x", count: $0) }
        let slices = texts.map { arena.append($0) }
        for (t, s) in zip(texts, slices) { #expect(String(decoding: s, as: UTF8.self) == t) }
        arena.reset()
        #expect(String(decoding: arena.append("again"), as: UTF8.self) == "again")
    }
}
