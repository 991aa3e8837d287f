import ArgumentParser
import Foundation
import VigilCore
import VigilJobs
import VigilSampling
import VigilWorkspace

struct Sample: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Fill the review queue now, under each policy's sampling: section.",
        discussion: """
            Draws from the predictions of the policy's sampling.window (ending now) that are neither queued nor labelled, spending what is left of sampling.daily_budget for the last 24 hours, mixed by the strategies' shares: uniform, stratified (by predicted class, min_per_class each), uncertainty, attribute. Every queued item records its strategy and inclusion probability π (docs/statistics.md).

              vigil sample
              vigil sample --model shelf-classifier --format json
            """)

    @Option(help: "Only this model (default: every model whose policy has a daily_budget).") var model: String?
    @Option(help: "Output: table or json.") var format: ListFormat = .table
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let outcomes = try reportingErrors(exitCode: 1) { () throws -> [SampleRun.Outcome] in
            let ws = try workspace.workspace()
            let clock = try workspace.clock()
            let (store, _, all) = try ws.openStoreWithModels(clock: clock)
            var policies = all.filter { $0.sampling.dailyBudget > 0 }
            if let model {
                guard let p = all.first(where: { $0.model == model }) else {
                    throw JobError("no policy for model '\(model)' (models: \(all.map(\.model).joined(separator: ", ")))")
                }
                guard p.sampling.dailyBudget > 0 else {
                    throw JobError("policy of '\(model)': sampling.daily_budget is 0 (sampling is off): set it, e.g. daily_budget: 500")
                }
                policies = [p]
            }
            if policies.isEmpty { throw JobError("no policy has sampling.daily_budget above 0: add a sampling: section (docs/formats.md)") }
            let now = Timestamp.millis(clock.now)
            return try policies.map { try SampleRun(store: store).run(policy: $0, now: now) }
        }
        switch format {
        case .json: print(try jsonText(outcomes))
        case .table: for o in outcomes { print(o.summary + String(format: " in %.2fs", o.seconds)) }
        }
    }
}
