import Foundation
import Testing
import VigilCore
import VigilPostgres
@testable import VigilStore

/// Retention on every backend: raw predictions before the cut go, what summarises them stays,
/// and the store stays verifiable and idempotent afterwards.
@Suite struct RetentionTests {
    static func ms(_ text: String) -> Int64 { Timestamp.parseMillis(text)! }

    @Test(arguments: Backend.all) func oldRawPredictionsGoTheirCountsStayAndCheckStillPasses(backend: Backend) throws {
        let t = try backend.makeStore()
        let store = t.store
        let catalog = try store.syncModels([classifierSchema], now: 0)
        // 3 days × 30 predictions; on day 1, three are labelled and one is queued for review.
        let rows = predictions((0..<90).map { i in
            line("r\(i)", label: ["can", "jar", "box"][i % 3], score: 0.5 + Double(i % 40) / 100, ts: "2026-10-0\(1 + i / 30)T\(10 + i % 10):0\(i % 6):00Z")
        }, catalog: catalog)
        _ = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([rows]), progress: { _ in })
        let truth = labels(["r0", "r1", "r2"].map { #"{"prediction_id":"\#($0)","label":"jar"}"# })
        _ = try store.ingestLabels(options: .init(now: 0), nextBatch: batches([truth]), progress: { _ in })
        let queuedSeq = try #require(t.integers("SELECT seq FROM predictions WHERE id = 'r3'").first?.first)
        _ = try store.enqueue([ReviewItemDraft(predictionSeq: queuedSeq, strategy: .uniform, inclusionProbability: 0.5)],
                              model: "shelf", sampleRun: "test", now: 0, actor: "test")
        let all = TimeWindow(from: Self.ms("2026-10-01T00:00:00Z"), to: Self.ms("2026-10-04T00:00:00Z"))
        let before = try store.predictedClassCounts(model: "shelf", window: all)
        #expect(try store.retentionMark() == nil)

        let outcome = try store.applyRetention(before: Self.ms("2026-10-03T00:30:00Z"))
        let day3 = Self.ms("2026-10-03T00:00:00Z")
        #expect(outcome.mark == day3)  // whole hours on SQLite, whole days on PostgreSQL: here the same
        #expect(try store.retentionMark() == day3)
        if t.sqlite != nil {
            #expect(outcome.deletedPredictions == 56 && outcome.keptPredictions == 4)
            #expect(try t.integers("SELECT COUNT(*) FROM predictions") == [[34]])
        } else {
            #expect(outcome.droppedPartitions == 2)
            #expect(try t.integers("SELECT COUNT(*) FROM predictions") == [[30]])
        }
        #expect(try t.integers("SELECT COUNT(*) FROM prediction_sample WHERE ts < \(day3)") == [[0]])
        // Counts of whole hours come from the aggregates, which stay.
        #expect(try store.predictionCount(model: "shelf", window: all) == 90)
        #expect(try store.predictedClassCounts(model: "shelf", window: all) == before)
        let v = try store.verify()
        #expect(v.isHealthy, "\(v.aggregateMismatches)")

        // Re-sent old predictions are refused, naming the field; newer ones are duplicates as before.
        let again = try store.ingestPredictions(options: .init(now: 0), nextBatch: batches([rows]), progress: { _ in })
        #expect(again.inserted == 0 && again.duplicates == 30 && again.rejected.count == 60)
        #expect(again.rejected.allSatisfy { $0.field == "ts" && $0.reason.contains("retention mark 2026-10-03T00:00:00") })
        // The mark never moves back.
        #expect(try store.applyRetention(before: Self.ms("2026-10-02T00:00:00Z")).mark == day3)
        #expect(try store.verify().isHealthy)
    }
}
