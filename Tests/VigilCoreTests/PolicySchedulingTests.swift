import Foundation
import Testing
import VigilCore

/// The policy's schedule:, timezone:, sampling: and review: sections: each problem names its field.
struct PolicySchedulingTests {
    static func policy(_ configure: (inout Policy) -> Void) -> Policy {
        var p = Policy(model: "m", task: .classification, classes: ["a", "b"])
        configure(&p)
        return p
    }

    @Test func aGoodPolicyHasNoProblems() {
        let p = Self.policy {
            $0.timezone = "Europe/Berlin"
            $0.schedule = [ScheduleEntry(job: "sample", cron: "@hourly"), ScheduleEntry(job: "evaluate", cron: "0 6 * * 1-5")]
            $0.evaluation.labelDelay = "2d"
            $0.sampling = SamplingSettings(dailyBudget: 500, strategies: [.init(strategy: .uniform, share: 0.5), .init(strategy: .uncertainty, share: 0.5)])
        }
        #expect(p.problems().isEmpty)
        #expect(p.labelDelayMillis == 2 * 86_400_000)
    }

    static let broken: [(String, Policy)] = [
        ("timezone: 'Mars/Olympus'", policy { $0.timezone = "Mars/Olympus" }),
        ("schedule[0].job: unknown job 'smaple'", policy { $0.schedule = [ScheduleEntry(job: "smaple", cron: "@hourly")] }),
        ("schedule[0].cron: hour: 25 is outside 0-23", policy { $0.schedule = [ScheduleEntry(job: "sample", cron: "0 25 * * *")] }),
        ("evaluation.label_delay: 'soon'", policy { $0.evaluation.labelDelay = "soon" }),
        ("sampling.strategies: shares add up to 1.5", policy {
            $0.sampling.strategies = [.init(strategy: .uniform, share: 0.75), .init(strategy: .stratified, share: 0.75)] }),
        ("sampling.strategies[0].attribute: name the input attribute", policy { $0.sampling.strategies = [.init(strategy: .attribute, share: 0.5)] }),
        ("sampling.uncertainty.floor", policy { $0.sampling.uncertainty.floor = 0 }),
        ("review.double_review_fraction", policy { $0.review.doubleReviewFraction = 1.5 }),
        ("review.lease: 'ten minutes'", policy { $0.review.lease = "ten minutes" }),
    ]

    @Test(arguments: broken)
    func problemsNameTheField(_ expected: String, _ policy: Policy) {
        let problems = policy.problems()
        #expect(problems.contains { $0.contains(expected) }, "\(problems)")
    }
}
