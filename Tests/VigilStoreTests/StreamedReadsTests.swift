import Foundation
import Testing
import VigilCore
@testable import VigilStore

/// The evaluation reads that PostgreSQL streams or reads as arrays, on every backend: the same
/// values, in the same order, as SQLite's cursors.
@Suite struct StreamedReadsTests {
    static func ms(_ text: String) -> Int64 { Timestamp.parseMillis(text)! }

    @Test(arguments: Backend.all) func correctnessComesInTimeOrderAcrossDays(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        let classes = ["can", "jar", "box"]
        // Three days, several predictions at the same instant (ordered by sequence number, that
        // is by line), some labelled right and some wrong, some not labelled.
        var lines: [String] = []
        var truth: [String] = []
        for i in 0..<600 {
            let ts = String(format: "2026-10-%02dT%02d:%02d:00Z", 1 + i % 3, (i / 3) % 24, (i / 72) % 60)
            lines.append(line("c\(i)", label: classes[i % 3], ts: ts))
            if i % 4 != 3 { truth.append(#"{"prediction_id":"c\#(i)","label":"\#(classes[(i / 5) % 3])"}"#) }
        }
        // Thirty at one instant, between the others' lines.
        for j in 0..<30 {
            let i = 600 + j
            lines.insert(line("c\(i)", label: classes[i % 3], ts: "2026-10-02T05:00:00Z"), at: 100 + j * 7)
            truth.append(#"{"prediction_id":"c\#(i)","label":"\#(classes[(i / 5) % 3])"}"#)
        }
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([predictions(lines, catalog: catalog)]), progress: { _ in })
        let o = try store.ingestLabels(options: .init(now: 1), nextBatch: batches([labels(truth)]), progress: { _ in })
        #expect(o.inserted == truth.count)
        let records = predictions(lines, catalog: catalog)
        let labelled = Set(truth.map { $0.split(separator: "\"")[3] }.map(String.init))
        for window in [TimeWindow(from: Self.ms("2026-10-01T00:00:00Z"), to: Self.ms("2026-10-04T00:00:00Z")),
                       TimeWindow(from: Self.ms("2026-10-01T05:30:00Z"), to: Self.ms("2026-10-03T07:00:00Z"))] {
            let expected = records.enumerated()
                .filter { labelled.contains($0.element.id) && $0.element.timestampMillis >= window.from && $0.element.timestampMillis < window.to }
                .sorted { ($0.element.timestampMillis, $0.offset) < ($1.element.timestampMillis, $1.offset) }
                .map { e -> (ts: Int64, correct: Bool) in
                    let i = Int(e.element.id.dropFirst())!
                    return (e.element.timestampMillis, classes[(i / 5) % 3] == classes[i % 3])
                }
            let got = try store.correctnessStream(model: "shelf", window: window)
            #expect(got.map(\.ts) == expected.map(\.ts))
            #expect(got.map(\.correct) == expected.map(\.correct))
            #expect(got.contains { $0.correct } && got.contains { !$0.correct })
            #expect(window.from > Self.ms("2026-10-02T05:00:00Z") || got.filter { $0.ts == Self.ms("2026-10-02T05:00:00Z") }.count >= 30)
        }
        #expect(try store.correctnessStream(model: "shelf", window: TimeWindow(from: 0, to: 1)).isEmpty)
    }

    @Test(arguments: Backend.all) func scoresOfAWindowAreEveryScoreInIt(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        // Scores that do not print short, over four days; some predictions without a score.
        var lines: [String] = []
        for i in 0..<3_000 {
            let ts = String(format: "2026-10-%02dT%02d:%02d:%02dZ", 1 + i % 4, i % 24, i % 60, (i * 7) % 60)
            if i % 10 == 0 {
                lines.append(#"{"id":"s\#(i)","ts":"\#(ts)","model":"shelf","label":"can"}"#)
            } else {
                lines.append(line("s\(i)", score: Double(i) / 3_001 + 1e-13, ts: ts))
            }
        }
        let records = predictions(lines, catalog: catalog)
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([Array(records[..<1_500]), Array(records[1_500...])]), progress: { _ in })
        let window = TimeWindow(from: Self.ms("2026-10-02T00:00:00Z"), to: Self.ms("2026-10-04T12:00:00Z"))
        let expected = records.filter { $0.timestampMillis >= window.from && $0.timestampMillis < window.to }.compactMap(\.score).sorted()
        let got = try store.scores(model: "shelf", window: window, limit: 10_000)
        #expect(got.sampleLevel == nil)
        #expect(got.values.sorted() == expected)
        let none = try store.scores(model: "shelf", window: TimeWindow(from: 0, to: 1), limit: 10_000)
        #expect(none.values.isEmpty && none.predictions == 0)
    }
}
