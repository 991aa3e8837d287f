import Testing
import VigilCore
import VigilStore
@testable import VigilSampling

struct DailyBudgetTests {
    static let mix = SamplingSettings(dailyBudget: 200, strategies: [
        .init(strategy: .uniform, share: 0.5), .init(strategy: .stratified, share: 0.3), .init(strategy: .uncertainty, share: 0.2),
    ])

    @Test func targetsAreTheSharesOfTheBudgetAndNeverExceedIt() {
        #expect(DailyBudget.targets(Self.mix, budget: 200) == [.uniform: 100, .stratified: 60, .uncertainty: 40])
        // 7 × (0.5, 0.3, 0.2) = 3.5, 2.1, 1.4: largest remainders, 7 in all.
        let seven = DailyBudget.targets(Self.mix, budget: 7)
        #expect(seven.values.reduce(0, +) == 7)
        #expect(seven == [.uniform: 4, .stratified: 2, .uncertainty: 1])
        // Shares that add up to less than 1 leave the rest of the budget unspent.
        let half = SamplingSettings(dailyBudget: 10, strategies: [.init(strategy: .uniform, share: 0.25), .init(strategy: .uncertainty, share: 0.25)])
        #expect(DailyBudget.targets(half, budget: 10).values.reduce(0, +) == 5)
    }

    @Test func allowanceIsWhatIsLeftOfEachTargetToday() {
        var spent = QueuedCounts()
        spent.add(.uniform, stratum: nil, count: 90)
        spent.add(.stratified, stratum: 0, count: 70)  // over its target (an older policy): nothing more
        let left = DailyBudget.allowance(Self.mix, spent: spent)
        // 160 spent of 200: 40 left in all, whatever the targets say (uniform 10, then uncertainty 30, not 40).
        #expect(left == [.uniform: 10, .stratified: 0, .uncertainty: 30])
        // Items of a strategy the policy no longer lists still count against the budget.
        var before = QueuedCounts()
        before.add(.attribute, stratum: nil, count: 180)
        #expect(DailyBudget.allowance(Self.mix, spent: before).values.reduce(0, +) == 20)
    }

    @Test func stratifiedMinimumComesOutOfTheShare() {
        // Minimum first (12, 12, all 5 of the small class, none of the empty one), then the rest by size.
        let (quota, met) = DailyBudget.stratifiedQuota(candidates: [1000, 100, 5, 0], allowance: 100, minimum: 12, alreadyQueued: [0, 0, 0, 0])
        #expect(quota == [77, 18, 5, 0])
        #expect(met)
        // A share smaller than the minimums: filled evenly, never more than the share, and said.
        let (short, shortMet) = DailyBudget.stratifiedQuota(candidates: [1000, 100, 3], allowance: 10, minimum: 12, alreadyQueued: [0, 0, 0])
        #expect(short == [4, 3, 3])
        #expect(!shortMet)
        // Classes that already have their minimum today get only their proportional part.
        let (later, laterMet) = DailyBudget.stratifiedQuota(candidates: [900, 100], allowance: 10, minimum: 12, alreadyQueued: [12, 12])
        #expect(later == [9, 1])
        #expect(laterMet)
    }
}
