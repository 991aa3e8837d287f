import Foundation
import Testing
import VigilCore
@testable import VigilStore

/// `EvaluationHistoryStore`: the newest run of each window, for trend lines.
@Suite struct EvaluationHistoryConformanceTests {
    @Test(arguments: Backend.all) func historyKeepsTheNewestRunOfEachWindow(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let day = When.day
        func w(_ d: Int64) -> TimeWindow { TimeWindow(from: When.t0 + d * day, to: When.t0 + (d + 1) * day) }
        let d0 = try store.recordEvaluation(run(at: When.t0 + day, window: w(0), report: "r0"))
        let d1a = try store.recordEvaluation(run(at: When.t0 + 2 * day, window: w(1), report: "r1a"))
        let d1b = try store.recordEvaluation(run(at: When.t0 + 2 * day + 1, window: w(1), report: "r1b"))
        let d2 = try store.recordEvaluation(run(at: When.t0 + 3 * day, window: w(2), report: "r2"))
        _ = try store.recordEvaluation(run("dock", at: When.t0 + 3 * day, window: w(3), report: "other model"))
        let all = try store.evaluationHistory(model: "shelf", since: 0, limit: 10)
        try #require(all.count > 1, "all has too few elements")
        #expect(all.map(\.id) == [d0, d1b, d2], "re-evaluated window 1 keeps only its newest run, oldest window first")
        #expect(all.map(\.report) == ["r0", "r1b", "r2"])
        #expect(all[1] == StoredEvaluationRun(id: d1b, createdAt: When.t0 + 2 * day + 1, window: w(1), report: "r1b"))
        #expect(!all.map(\.id).contains(d1a))
        // `since` keeps windows ending at or after it; `limit` keeps the newest windows.
        #expect(try store.evaluationHistory(model: "shelf", since: w(1).to, limit: 10).map(\.id) == [d1b, d2])
        #expect(try store.evaluationHistory(model: "shelf", since: w(1).to + 1, limit: 10).map(\.id) == [d2])
        #expect(try store.evaluationHistory(model: "shelf", since: 0, limit: 2).map(\.id) == [d1b, d2])
        #expect(try store.evaluationHistory(model: "shelf", since: 0, limit: 0).isEmpty)
        #expect(try store.evaluationHistory(model: "ghost", since: 0, limit: 10).isEmpty)
    }

    @Test(arguments: Backend.all) func anyRunIsReadByItsIdWithinItsModel(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let w = TimeWindow(from: When.t0, to: When.t0 + When.day)
        let first = try store.recordEvaluation(run(at: When.t0 + When.day, window: w, report: "first"))
        let second = try store.recordEvaluation(run(at: When.t0 + When.day + 1, window: w, report: "second"))
        let other = try store.recordEvaluation(run("dock", at: When.t0 + When.day, window: w, report: "other model"))
        // A run a later run of its window superseded is still there by id (an alert may link to it).
        #expect(try store.evaluationRun(model: "shelf", id: first) == StoredEvaluationRun(id: first, createdAt: When.t0 + When.day, window: w, report: "first"))
        #expect(try store.evaluationRun(model: "shelf", id: second)?.report == "second")
        // Another model's run, an unknown id or model: nil.
        #expect(try store.evaluationRun(model: "shelf", id: other) == nil)
        #expect(try store.evaluationRun(model: "dock", id: other)?.report == "other model")
        #expect(try store.evaluationRun(model: "shelf", id: second + other + 100) == nil)
        #expect(try store.evaluationRun(model: "ghost", id: first) == nil)
    }
}
