import Foundation
import Testing
import VigilCore
import VigilStore
@testable import VigilSampling

struct SamplerTests {
    static let window = TimeWindow(from: day0, to: day0 + 3 * 86_400_000)

    static func settings(_ strategies: [StrategyShare]) -> SamplingSettings {
        SamplingSettings(dailyBudget: 200, window: "3d", minPerClass: 12, strategies: strategies)
    }

    @Test func uniformGivesEveryCandidateTheSameProbability() throws {
        let store = try temporaryStore()
        try ingestPredictions(store, count: 2_000)
        try ingestLabels(store, (0..<100).map { "p\($0)" })
        let draw = try Sampler(settings: Self.settings([.init(strategy: .uniform, share: 1)]), schema: schema)
            .draw(from: store, window: Self.window, budget: 190, seed: 3)
        #expect(draw.candidates == 1_900)
        #expect(draw.items.count == 190)
        #expect(draw.items.allSatisfy { $0.strategy == .uniform && abs($0.inclusionProbability - 0.1) < 1e-12 })
    }

    /// Σ 1/π over a sample estimates the number of candidates without bias (Horvitz–Thompson):
    /// averaged over seeds it must come out at N, whatever the mix. Wrong π would not.
    @Test func inclusionProbabilitiesAreRightOnAverage() throws {
        let store = try temporaryStore()
        try ingestPredictions(store, count: 3_000, camera: { $0 % 97 == 0 ? "new-\($0 % 3)" : "a" })
        try ingestPredictions(store, count: 200, start: day0 - 86_400_000, prefix: "ref")  // reference: camera "a" only
        let mix: [StrategyShare] = [.init(strategy: .uniform, share: 0.3), .init(strategy: .stratified, share: 0.3),
                                    .init(strategy: .uncertainty, share: 0.3), .init(strategy: .attribute, share: 0.1, attribute: "camera")]
        let sampler = Sampler(settings: Self.settings(mix), schema: schema)
        let reference = try store.attributeValues(model: "shelf", window: TimeWindow(from: day0 - 86_400_000, to: day0), attribute: "camera")
        #expect(reference == ["a"])
        var estimates: [Double] = []
        var everyStrategyDrew = true
        for seed in 0..<60 {
            let draw = try sampler.draw(from: store, window: Self.window, budget: 200, seed: UInt64(seed), referenceValues: reference)
            #expect(draw.candidates == 3_000)
            #expect(draw.items.allSatisfy { $0.inclusionProbability > 0 && $0.inclusionProbability <= 1 })
            #expect(Set(draw.items.map(\.predictionSeq)).count == draw.items.count)
            estimates.append(draw.items.reduce(0) { $0 + 1 / $1.inclusionProbability })
            let strategies = Set(draw.items.map(\.strategy))
            if strategies != [.uniform, .stratified, .uncertainty, .attribute] { everyStrategyDrew = false }
        }
        let mean = estimates.reduce(0, +) / Double(estimates.count)
        #expect(abs(mean / 3_000 - 1) < 0.03, "mean Σ1/π = \(mean)")
        #expect(everyStrategyDrew)
    }

    @Test func uncertaintyPrefersSmallMargins() throws {
        let store = try temporaryStore()
        try ingestPredictions(store, count: 2_000)
        let draw = try Sampler(settings: Self.settings([.init(strategy: .uncertainty, share: 1)]), schema: schema)
            .draw(from: store, window: Self.window, budget: 100, seed: 9)
        #expect(draw.items.count == 100)
        // Smaller margins, larger π. About half the predictions have a π above the average n/N;
        // drawn in proportion to π, clearly more than half of the sample does.
        let above = draw.items.filter { $0.inclusionProbability > 100.0 / 2_000 }.count
        #expect(Double(above) / Double(draw.items.count) > 0.6, "\(above) of \(draw.items.count)")
    }

    @Test func stratifiedGivesEveryClassItsMinimum() throws {
        let store = try temporaryStore()
        try ingestPredictions(store, count: 2_000)
        var classOf: [Int64: Int] = [:]
        try store.forEachSamplingCandidate(model: "shelf", window: Self.window, passes: 1, attribute: nil) { _, c in classOf[c.seq] = c.labelIndex }
        #expect(classOf.values.filter { $0 == 2 }.count < 150)
        let draw = try Sampler(settings: Self.settings([.init(strategy: .stratified, share: 1)]), schema: schema)
            .draw(from: store, window: Self.window, budget: 40, seed: 5)
        var perClass = [Int](repeating: 0, count: 3)
        for item in draw.items { perClass[classOf[item.predictionSeq]!] += 1 }
        #expect(perClass.allSatisfy { $0 >= 12 }, "\(perClass)")
    }

    @Test func runsNeverQueueAnItemTwiceNorALabelledOne() throws {
        let store = try temporaryStore()
        try ingestPredictions(store, count: 500)
        try ingestLabels(store, (0..<250).map { "p\($0)" })
        var policy = Policy(model: "shelf", task: .classification, classes: schema.classes)
        policy.sampling = SamplingSettings(dailyBudget: 100, window: "5d", strategies: [.init(strategy: .uniform, share: 1)])
        let now = Self.window.to
        let first = try SampleRun(store: store).run(policy: policy, now: now)
        #expect(first.queued == 100 && first.candidates == 250)
        // The budget for the day is spent.
        #expect(try SampleRun(store: store).run(policy: policy, now: now + 3_600_000).queued == 0)
        // A day later: another 100, none of them queued before, none labelled.
        let second = try SampleRun(store: store).run(policy: policy, now: now + 86_400_000)
        #expect(second.candidates == 150)
        #expect(second.queued == 100)
        let items = try store.reviewItems(model: "shelf", state: nil, limit: 1_000)
        #expect(items.count == 200 && Set(items.map(\.predictionID)).count == 200)
        #expect(items.allSatisfy { Int($0.predictionID.dropFirst())! >= 250 })
    }
}

struct GoldItemTests {
    @Test func goldItemsComeFromLabelledPredictionsAndScoreReviewers() throws {
        let store = try temporaryStore()
        try ingestPredictions(store, count: 400)
        try ingestLabels(store, (0..<100).map { "p\($0)" }, label: "jar")
        var policy = Policy(model: "shelf", task: .classification, classes: schema.classes)
        policy.sampling = SamplingSettings(dailyBudget: 40, window: "5d", strategies: [.init(strategy: .uniform, share: 1)])
        policy.review = ReviewSettings(goldRate: 0.2)
        let outcome = try SampleRun(store: store).run(policy: policy, now: day0 + 86_400_000)
        #expect(outcome.byStrategy["uniform"] == 40 && outcome.byStrategy["gold"] == 10)
        let items = try store.reviewItems(model: "shelf", state: nil, limit: 100)
        let gold = items.filter(\.isGold)
        #expect(gold.count == 10 && gold.allSatisfy { $0.inclusionProbability == 1 && Int($0.predictionID.dropFirst())! < 100 })
        // A reviewer answering every item: gold answers are scored, not written as ground truth.
        while let c = try store.claim(model: "shelf", reviewer: "alice", now: day0 + 86_400_000, leaseMillis: 600_000) {
            try store.submit(assignment: c.assignment, reviewer: "alice", outcome: .label(c.isGold ? (c.item % 2 == 0 ? "jar" : "can") : "can"), now: day0 + 86_460_000)
        }
        let stats = ReviewerStatistics(try store.finishedAssignments(model: "shelf"))
        let alice = try #require(stats.reviewers.first)
        #expect(alice.labeled == 50 && alice.goldAnswered == 10)
        #expect(alice.goldCorrect == gold.filter { $0.id % 2 == 0 }.count)
        #expect(try store.weightedReviews(model: "shelf", window: TimeWindow(from: 0, to: .max)).count == 40)
    }
}
