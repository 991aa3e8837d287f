import Foundation
import Testing
import VigilCore
@testable import VigilPostgres
@testable import VigilStore

/// The stored drift sample (`PredictionSample`) and the per-hour score sums, on every backend:
/// what lets `vigil evaluate` run its score and box tests at a cost that does not grow with
/// the window.
@Suite struct DriftSampleTests {
    /// 6,000 scored predictions over three hours (10:00–12:59), in batches of 1,000.
    static func scoredLines() -> [String] {
        var rng = SplitMix(seed: 20261126)
        return (0..<6_000).map { i in
            let minute = i % 180
            let ts = String(format: "2026-10-01T%02d:%02d:%02dZ", 10 + minute / 60, minute % 60, i % 60)
            let score = (rng.unit() * 1e6).rounded() / 1e6
            return line("p\(i)", label: ["can", "jar", "box"][i % 3], score: score, ts: ts)
        }
    }

    static func ms(_ text: String) -> Int64 { Int64(ISO8601DateFormatter().date(from: text)!.timeIntervalSince1970 * 1000) }

    @Test(arguments: Backend.all) func largeWindowsReadTheStoredUniformSampleSmallOnesEveryRow(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let records = predictions(Self.scoredLines(), catalog: catalog)
        let chunks = stride(from: 0, to: records.count, by: 1_000).map { Array(records[$0..<min($0 + 1_000, records.count)]) }
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches(chunks), progress: { _ in })
        // Re-ingesting adds no sample rows twice.
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches(chunks), progress: { _ in })

        let all = TimeWindow(from: Self.ms("2026-10-01T00:00:00Z"), to: Self.ms("2026-10-02T00:00:00Z"))
        func expected(level: Int, in w: TimeWindow) -> [Double] {
            records.filter { PredictionSample.level(contentHash: $0.contentHash) >= level && $0.timestampMillis >= w.from && $0.timestampMillis < w.to }
                .map { $0.score! }.sorted()
        }
        // At most the limit: every score, exactly.
        let exact = try store.scores(model: "shelf", window: all, limit: 6_000)
        #expect(exact.sampleLevel == nil && exact.predictions == 6_000)
        #expect(exact.values.sorted() == records.map { $0.score! }.sorted())
        // Above it: the predictions of level ≥ L, L the smallest ≥ 5 that fits (6000/32 ≤ 1000).
        let sampled = try store.scores(model: "shelf", window: all, limit: 1_000)
        #expect(sampled.sampleLevel == 5 && sampled.predictions == 6_000)
        #expect(sampled.values.sorted() == expected(level: 5, in: all))
        #expect((120...260).contains(sampled.values.count), "1 in 32 of 6,000 is about 188, got \(sampled.values.count)")
        // A smaller limit reads a deeper level: 6000 / 2^7 ≈ 47 ≤ 50.
        let deeper = try store.scores(model: "shelf", window: all, limit: 50)
        #expect(deeper.sampleLevel == 7)
        #expect(deeper.values.sorted() == expected(level: 7, in: all))
        // A window with partial hours at both edges reads only its own time range.
        let part = TimeWindow(from: Self.ms("2026-10-01T10:30:00Z"), to: Self.ms("2026-10-01T12:15:00Z"))
        let partial = try store.scores(model: "shelf", window: part, limit: 1_000)
        #expect(partial.predictions == records.filter { $0.timestampMillis >= part.from && $0.timestampMillis < part.to }.count)
        #expect(partial.sampleLevel == 5 && partial.values.sorted() == expected(level: 5, in: part))
        // The sample is uniform: its scores are not told apart from all scores.
        #expect(KolmogorovSmirnov.test(sampled.values, records.map { $0.score! }).pValue ?? 0 > 0.01)

        // Hourly means: whole hours from the sums, the edges from the rows.
        for w in [all, part] {
            var byHour: [Int64: [Double]] = [:]
            for r in records where r.timestampMillis >= w.from && r.timestampMillis < w.to { byHour[r.timestampMillis / 3_600_000, default: []].append(r.score!) }
            let got = try store.hourlyMeanScores(model: "shelf", window: w)
            #expect(got.map(\.hour) == byHour.keys.sorted())
            for g in got {
                let values = byHour[g.hour]!
                #expect(g.count == values.count)
                #expect(abs(g.mean - values.reduce(0, +) / Double(values.count)) < 1e-12)
            }
        }
        let v = try store.verify()
        #expect(v.isHealthy, "\(v.aggregateMismatches)")
        // Verification notices a sample row that is not there.
        try t.execute("DELETE FROM prediction_sample WHERE seq IN (SELECT seq FROM prediction_sample ORDER BY seq LIMIT 1)")
        #expect(try store.verify().aggregateMismatches.contains { $0.hasPrefix("prediction_sample") })
    }

    @Test(arguments: Backend.all) func detectorBoxesComeFromTheSampleToo(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([detectorSchema], now: 0)
        let lines = (0..<3_000).map { i -> String in
            let boxes = (0..<(i % 4)).map { k in #"{"label":"\#(k % 2 == 0 ? "pallet" : "person")","score":0.\#(k + 5),"bbox":[1,2,\#(k + 3),\#(i % 7 + 1)]}"# }
            return #"{"id":"img-\#(i)","ts":"2026-10-01T10:\#(String(format: "%02d", i % 60)):00Z","model":"dock","boxes":[\#(boxes.joined(separator: ","))]}"#
        }
        let records = predictions(lines, catalog: catalog)
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([records]), progress: { _ in })
        let all = TimeWindow(from: Self.ms("2026-10-01T00:00:00Z"), to: Self.ms("2026-10-02T00:00:00Z"))
        var perImage: [Int] = []
        let read = try store.forEachPredictedBoxes(model: "dock", window: all, limit: 1_000) { json in
            perImage.append(try DetectionBox.parse(json: json, schema: detectorSchema).count)
        }
        #expect(read.sampleLevel == 5 && read.predictions == 3_000)
        let want = records.filter { PredictionSample.level(contentHash: $0.contentHash) >= 5 }.map(\.boxes.count)
        #expect(perImage.sorted() == want.sorted() && !want.isEmpty)
        // Within the limit, every image.
        var count = 0
        let full = try store.forEachPredictedBoxes(model: "dock", window: all, limit: 3_000) { _ in count += 1 }
        #expect(full.sampleLevel == nil && count == 3_000)
        let v = try store.verify()
        #expect(v.isHealthy, "\(v.aggregateMismatches)")
    }

    /// A store written before the sample existed gets it (and the score sums) from its rows.
    @Test(arguments: Backend.all) func theMigrationFillsTheSampleFromStoredRows(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let records = predictions(Array(Self.scoredLines().prefix(2_000)), catalog: catalog)
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([records]), progress: { _ in })
        let before = try t.rows("SELECT model_id, level, ts, seq, score, boxes FROM prediction_sample ORDER BY seq")
        #expect(before.count > 20)
        try t.execute("DROP TABLE prediction_sample")
        try t.execute("DROP TABLE hourly_score_sums")
        try t.execute("DROP TABLE retention_mark")
        if let sqlite = t.sqlite {
            try sqlite.queue.write { try SQLiteStore.migrateDriftSample($0) }
        } else {
            try t.postgres!.pool.withSession { try $0.script(PostgresStore.driftSample) }
        }
        #expect(try t.rows("SELECT model_id, level, ts, seq, score, boxes FROM prediction_sample ORDER BY seq") == before)
        let v = try store.verify()
        #expect(v.isHealthy, "\(v.aggregateMismatches)")
    }
}

/// A small seeded generator for test data.
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
    mutating func unit() -> Double { Double(next() >> 11) / Double(UInt64(1) << 53) }
}
