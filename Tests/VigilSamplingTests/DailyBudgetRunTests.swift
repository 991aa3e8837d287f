import Foundation
import Testing
import VigilCore
import VigilStore
@testable import VigilSampling

/// The daily budget as an hourly schedule spends it: a hard cap over every 24 hours, the
/// policy's mix, and a served order that mixes classes and strategies.
struct DailyBudgetRunTests {
    @Test func hourlyRunsKeepTheBudgetAndTheMixOverThreeDays() throws {
        let store = try temporaryStore()
        try ingestPredictions(store, count: 4 * 1_440)  // one a minute for four days
        var policy = Policy(model: "shelf", task: .classification, classes: schema.classes)
        policy.sampling = SamplingSettings(dailyBudget: 200, window: "1d", minPerClass: 12, strategies: [
            .init(strategy: .uniform, share: 0.5), .init(strategy: .stratified, share: 0.3), .init(strategy: .uncertainty, share: 0.2),
        ])
        let hour: Int64 = 3_600_000
        let start = day0 + 24 * hour
        var outcomes: [SampleRun.Outcome] = []
        for h in 0..<72 { outcomes.append(try SampleRun(store: store).run(policy: policy, now: start + Int64(h) * hour)) }
        let items = try store.reviewItems(model: "shelf", state: nil, limit: 10_000)
        #expect(items.count > 3 * 190)
        // Every rolling 24 hours, at every run: at most the budget.
        for h in 0..<72 {
            let at = start + Int64(h) * hour
            let inDay = items.filter { $0.sampledAt > at - 24 * hour && $0.sampledAt <= at }
            #expect(inDay.count <= 200, "\(inDay.count) items in the 24 hours up to run \(h)")
        }
        // At the end of each day the mix is the policy's, within 2 items per strategy.
        for day in 1...3 {
            let at = start + Int64(day * 24 - 1) * hour
            let inDay = items.filter { $0.sampledAt > at - 24 * hour && $0.sampledAt <= at }
            let counts = Dictionary(grouping: inDay, by: \.strategy).mapValues(\.count)
            for (strategy, target) in [("uniform", 100), ("stratified", 60), ("uncertainty", 40)] {
                #expect(abs((counts[strategy] ?? 0) - target) <= 2, "day \(day): \(counts)")
            }
        }
        // Each run says what the last 24 hours hold against the policy.
        let last = try #require(outcomes.last)
        #expect(last.dailyTarget == ["uniform": 100, "stratified": 60, "uncertainty": 40] && last.shortfall == nil)
        #expect(last.summary.contains("of daily budget 200"))
        // Served in a random order: the first claims of the first run mix the strategies.
        let claims = try store.claim(model: "shelf", reviewer: "ana", now: start + 80 * hour, leaseMillis: 60_000, limit: 30)
        let firstRun = try store.reviewItems(model: "shelf", state: nil, limit: 10_000).filter { $0.sampledAt == start }
        let strategyOf = Dictionary(uniqueKeysWithValues: firstRun.map { ($0.predictionID, $0.strategy) })
        let served = claims.compactMap { strategyOf[$0.predictionID] }
        let switches = zip(served, served.dropFirst()).filter { $0 != $1 }.count
        #expect(served.count == 30 && switches >= 5, "\(served)")
    }
}
