import Foundation
import Testing
import VigilCore
@testable import VigilPostgres
@testable import VigilStore

/// What a batch does to the store, whatever the way it is written (SQLite's grouped inserts,
/// PostgreSQL's COPY into a staging table and one merge): duplicates and conflicts inside a
/// batch and against stored rows, the same batch from two writers at once, atomic rollback,
/// and text that needs escaping on the way.
@Suite struct IngestSemanticsTests {
    final class Rejects: @unchecked Sendable {
        private let lock = NSLock()
        private var items: [RecordError] = []
        func add(_ e: RecordError) { lock.withLock { items.append(e) } }
        var all: [RecordError] { lock.withLock { items } }
    }

    @Test(arguments: Backend.all) func duplicatesAndConflictsInsideABatchAndAgainstStoredRows(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let classes = ["can", "jar", "box"]
        // First batch: 30 new ids, one repeated unchanged (a duplicate), one repeated changed (a
        // conflict); the first line of an id is the one stored.
        var first = (0..<30).map { line("n\($0)", label: classes[$0 % 3]) }
        first.insert(line("n3", label: classes[0]), at: 10)
        first.insert(line("n4", label: "can", score: 0.2), at: 20)
        // Second batch: stored ids (duplicates), new ids, a new id repeated unchanged and changed,
        // a stored id changed (a conflict), an unknown model and another new id.
        var second = (0..<8).map { line("n\($0)", label: classes[$0 % 3]) }
        second += (100..<120).map { line("m\($0)", label: "box") }
        second += [line("m100", label: "box"), line("m101", label: "jar")]
        second += [line("n9", label: "can", score: 0.1), line("x1"), line("m120", label: "jar")]
        var all = predictions(first + second, catalog: catalog)
        all[63].model = "other"  // a model the store does not know
        #expect(first.count == 32 && second.count == 33 && all[63].id == "x1")
        let rejects = Rejects()
        var progressed: [IngestProgress] = []
        let o = try store.ingestPredictions(options: .init(now: 0, onReject: { rejects.add($0) }),
                                            nextBatch: batches([Array(all[0..<32]), Array(all[32...])]), progress: { progressed.append($0) })
        #expect(o.inserted == 30 + 21)
        #expect(o.duplicates == 1 + 8 + 1)
        #expect(o.rejected.map(\.line) == [21, 62, 63, 64])
        #expect(o.rejected.compactMap(\.id) == ["n4", "m101", "n9", "x1"])
        #expect(o.rejected.map(\.field) == ["id", "id", "id", "model"])
        #expect(rejects.all.map(\.line) == [21, 62, 63, 64])
        #expect(o.rejectedCount == 4)
        #expect(progressed.map(\.recordsWritten) == [32, 65])
        #expect(progressed.map(\.outcome.inserted) == [30, 51])
        #expect(progressed.map(\.outcome.duplicates) == [1, 10])
        let v = try store.verify()
        #expect(v.isHealthy, "\(v.aggregateMismatches) \(v.integrity)")
        #expect(v.predictions == 51)
        // The first of two lines with one id is the one stored.
        #expect(try t.rows("SELECT score FROM predictions WHERE id = 'n4'") == [["0.9"]])
        #expect(try t.rows("SELECT label_idx FROM predictions WHERE id = 'm101'") == [["2"]])
        // Sequence numbers follow the lines.
        let seqs = try t.rows("SELECT id FROM predictions ORDER BY seq").map { $0[0]! }
        var seen: Set<String> = []
        let expectedOrder = all.filter { $0.model == "shelf" && seen.insert($0.id).inserted }.map(\.id)
        #expect(seqs == expectedOrder)
        // Everything again: nothing added, every stored line a duplicate, the conflicts again.
        let again = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([Array(all[0..<32]), Array(all[32...])]), progress: { _ in })
        #expect(again.inserted == 0 && again.duplicates == 65 - 4 && again.rejected.map(\.line) == [21, 62, 63, 64])
        #expect(try store.verify().isHealthy)
    }

    @Test(arguments: Backend.all) func theSameBatchSentToTwoStoresAtOnceIsStoredOnce(backend: Backend) throws {
        let t = try backend.makeStore()
        let catalog = try t.store.syncModels([classifierSchema], now: 0)
        let classes = ["can", "jar", "box"]
        for round in 0..<5 {
            // Overlapping with the previous round, with an id repeated unchanged and one changed.
            var lines = (round * 200..<round * 200 + 400).map { line("c\($0)", label: classes[$0 % 3], ts: "2026-10-0\(1 + $0 % 5)T1\($0 % 10):00:00Z") }
            lines.append(lines[7])
            lines.append(line("c\(round * 200 + 9)", label: "box", score: 0.3, ts: "2026-10-01T10:00:00Z"))
            let batch = predictions(lines, catalog: catalog)
            let outcomes = OutcomeBox()
            let errors = ErrorBox()
            let stores = try (0..<2).map { _ in try t.reopen() }
            let start = DispatchGroup()
            start.enter()
            let group = DispatchGroup()
            for store in stores {
                group.enter()
                Thread {
                    start.wait()
                    do { outcomes.add(try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([batch]), progress: { _ in })) } catch { errors.add(error) }
                    group.leave()
                }.start()
            }
            start.leave()
            group.wait()
            if let e = errors.first { throw e }
            let o = outcomes.all
            let fresh = round == 0 ? 400 : 200
            #expect(o.map(\.inserted).reduce(0, +) == fresh, "round \(round)")
            // Every line is stored once, a duplicate, or (the changed repeat, on both; an id
            // stored before with other content) a conflict.
            #expect(o.map { $0.inserted + $0.duplicates + $0.rejectedCount }.allSatisfy { $0 == batch.count })
            #expect(o.allSatisfy { $0.rejected.compactMap(\.id) == ["c\(round * 200 + 9)"] })
            let v = try t.store.verify()
            #expect(v.isHealthy, "\(v.aggregateMismatches) \(v.integrity)")
            #expect(v.predictions == 400 + round * 200)
        }
        let counted = try t.integers("SELECT SUM(n) FROM hourly_class_counts WHERE label_idx = -1")
        #expect(counted == [[1_200]])
    }

    @Test(arguments: Backend.all) func atomicIngestRollsBackEveryBatchAndItsAggregates(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let classes = ["can", "jar", "box"]
        let b1 = predictions((0..<300).map { line("a\($0)", label: classes[$0 % 3]) }, catalog: catalog)
        // The second batch repeats the first (duplicates) and holds one conflict.
        let b2 = predictions((0..<300).map { line("a\($0)", label: classes[$0 % 3]) } + [line("a5", label: "can", score: 0.1)] +
                             (300..<400).map { line("a\($0)") }, catalog: catalog)
        let rejects = Rejects()
        let o = try store.ingestPredictions(options: .init(now: 0, atomic: true, onReject: { rejects.add($0) }),
                                            nextBatch: batches([b1, b2]), progress: { _ in })
        #expect(!o.committed && o.inserted == 0 && o.rejectedCount == 1 && o.duplicates == 300)
        #expect(rejects.all.compactMap(\.id) == ["a5"])
        for table in ["predictions", "hourly_class_counts", "hourly_score_bins", "hourly_score_sums", "prediction_sample"] {
            #expect(try t.integers("SELECT COUNT(*) FROM \(table)") == [[0]], "\(table)")
        }
        #expect(try store.verify().predictions == 0)
        // Committed when nothing is refused: batches of one transaction see each other.
        let b3 = predictions((0..<300).map { line("a\($0)", label: classes[$0 % 3]) } + (300..<400).map { line("a\($0)") }, catalog: catalog)
        let ok = try store.ingestPredictions(options: .init(now: 0, atomic: true), nextBatch: batches([b1, b3]), progress: { _ in })
        #expect(ok.committed && ok.inserted == 400 && ok.duplicates == 300)
        let v = try store.verify()
        #expect(v.isHealthy, "\(v.aggregateMismatches) \(v.integrity)")
        #expect(v.predictions == 400)
        #expect(try t.integers("SELECT SUM(n) FROM hourly_class_counts WHERE label_idx = -1") == [[400]])
        // And a later non-atomic ingest on the same store starts from an empty stage.
        let later = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([b3]), progress: { _ in })
        #expect(later.inserted == 0 && later.duplicates == 400)
    }

    @Test(arguments: Backend.all) func textThatNeedsEscapingIsStoredFaithfully(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let odd = #"tab\there back\\slash \\N new\nline cr\r é ✓"#
        let raw = #"{"id":"id\t\\N\\x","ts":"2026-10-01T10:00:00Z","model":"shelf","model_version":"v\\1\t2","label":"can","score":0.25,"input":{"note":""#
            + odd + #""}}"#
        let rows = predictions([raw], catalog: catalog)
        let o = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([rows]), progress: { _ in })
        #expect(o.inserted == 1)
        let stored = try t.rows("SELECT id, model_version, payload FROM predictions")
        #expect(stored.count == 1)
        #expect(stored.first?[0] == rows[0].id)
        #expect(stored.first?[1] == rows[0].modelVersion)
        #expect(stored.first?[2] == rows[0].payload)
        #expect(rows[0].id == "id\t\\N\\x")
        let again = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([rows]), progress: { _ in })
        #expect(again.duplicates == 1)
        #expect(try store.verify().isHealthy)
    }

    @Test(arguments: Backend.all) func aFileOfLabelsIsStoredWithItsRevisionsAndConfusion(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema, detectorSchema], now: 0)
        let classes = ["can", "jar", "box"]
        var lines = (0..<80).map { line("l\($0)", label: classes[$0 % 3], ts: "2026-10-01T1\($0 % 4):00:00Z") }
        lines += (0..<40).map { #"{"id":"d\#($0)","ts":"2026-10-01T10:00:00Z","model":"dock","boxes":[{"label":"pallet","score":0.8,"bbox":[1,2,3,4]}]}"# }
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([predictions(lines, catalog: catalog)]), progress: { _ in })
        // Reviewers whose names need escaping on the way; an unknown prediction in the middle.
        var truth = (0..<80).map { #"{"prediction_id":"l\#($0)","label":"\#(classes[($0 / 2) % 3])","reviewer":"ana\tb\\c \#($0 % 3)"}"# }
        truth.insert(#"{"prediction_id":"nope","label":"can"}"#, at: 40)
        truth += (0..<40).map { #"{"prediction_id":"d\#($0)","boxes":[{"label":"person","bbox":[0,0,\#($0),5]}]}"# }
        let rejects = Rejects()
        let o = try store.ingestLabels(options: .init(now: 7, onReject: { rejects.add($0) }), nextBatch: batches([labels(truth)]), progress: { _ in })
        #expect(o.inserted == 120 && o.rejectedCount == 1 && rejects.all.map(\.line) == [41])
        let reviewers = try t.rows("SELECT g.reviewer FROM ground_truth g JOIN predictions p ON p.seq = g.prediction_seq WHERE p.id = 'l4'")
        #expect(reviewers == [["ana\tb\\c 1"]])
        let boxes = try t.rows("SELECT g.boxes FROM ground_truth g JOIN predictions p ON p.seq = g.prediction_seq WHERE p.id = 'd7'")
        #expect(boxes == [[#"[{"label":"person","bbox":[0,0,7,5]}]"#]])
        #expect(try t.integers("SELECT COUNT(*), MIN(revision), MAX(revision) FROM ground_truth_revisions") == [[120, 1, 1]])
        // Again: all duplicates; relabelled: new revisions, the confusion counts moved.
        let again = try store.ingestLabels(options: .init(now: 8), nextBatch: batches([labels(truth)]), progress: { _ in })
        #expect(again.inserted == 0 && again.duplicates == 120)
        let changed = (0..<80).map { #"{"prediction_id":"l\#($0)","label":"\#(classes[($0 / 2 + 1) % 3])"}"# }
        let relabeled = try store.ingestLabels(options: .init(now: 9, allowRelabel: true), nextBatch: batches([labels(changed)]), progress: { _ in })
        #expect(relabeled.relabeled == 80)
        #expect(try t.integers("SELECT COUNT(*) FROM ground_truth_revisions WHERE revision = 2") == [[80]])
        let v = try store.verify()
        #expect(v.isHealthy, "\(v.aggregateMismatches) \(v.integrity)")
    }

    /// PostgreSQL: a streamed read whose consumer stops early leaves the connection usable.
    @Test(arguments: Backend.all.filter { $0 == .postgres }) func aStreamStoppedEarlyLeavesTheConnectionUsable(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = try #require(t.postgres)
        struct Stop: Error {}
        try store.withSession { s in
            var seen = 0
            #expect(throws: Stop.self) {
                try s.forEachRow("SELECT g FROM generate_series(1, 200000) g") { _ in
                    seen += 1
                    if seen == 10_000 { throw Stop() }
                }
            }
            #expect(seen == 10_000)
            var sum: Int64 = 0
            try s.forEachRow("SELECT g::bigint FROM generate_series(1, $1::bigint) g", [50_000]) { sum += try $0.decode(Int64.self) }
            #expect(sum == 50_000 * 50_001 / 2)
            #expect(throws: (any Error).self) { try s.forEachRow("SELECT 1/0") { _ in } }
            #expect(try s.one("SELECT 41 + 1")?.int(0) == 42)
        }
    }
}

/// The order in which PostgreSQL ingest claims ids: bytewise, as `COLLATE "C"`, on every instance.
@Suite struct IDOrderTests {
    @Test func idsSortBytewiseWhateverTheirLengthAndScript() {
        var rng = SplitMix64(seed: 7)
        let alphabet: [String] = ["a", "b", "z", "0", "9", "-", "é", "e\u{301}", "✓", "𝄞", "A", "\u{1}"]
        let ids = (0..<2_000).map { _ in (0..<Int(rng.next() % 14)).map { _ in alphabet[Int(rng.next() % UInt64(alphabet.count))] }.joined() }
        let expected = ids.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        let got = ids.sorted { a, b in
            let (pa, pb) = (PredictionWriter.prefix(a), PredictionWriter.prefix(b))
            return pa != pb ? pa < pb : PredictionWriter.compareBytes(a, b) < 0
        }
        #expect(got.map { Array($0.utf8) } == expected.map { Array($0.utf8) })
        for (a, b) in zip(ids, ids.reversed()) {
            let c = PredictionWriter.compareBytes(a, b)
            #expect((c < 0) == a.utf8.lexicographicallyPrecedes(b.utf8) && (c == 0) == a.utf8.elementsEqual(b.utf8))
        }
    }
}
