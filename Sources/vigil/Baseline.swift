import ArgumentParser
import Foundation
import VigilCore
import VigilJobs
import VigilStore
import VigilWorkspace

struct BaselineCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "baseline",
        abstract: "Show or set the window a model is compared with (relative levels, drift reference: baseline).",
        discussion: """
            Without a recorded baseline, a model's baseline is the first baseline.window (policy, default 7d) of its predictions; a promotion or rollback starts a new one. Setting one is recorded in the event log (baseline.set) and applies to every later evaluation.

              vigil baseline show --model shelf-classifier
              vigil baseline set --model shelf-classifier --from 2026-10-01T00:00:00Z --to 2026-10-08T00:00:00Z --reason "after the relabelling"
            """,
        subcommands: [Show.self, Set.self])

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print the model's baseline window and where it comes from.")
        @Option(help: "The model.") var model: String
        @OptionGroup var workspace: WorkspaceOptions

        func run() throws {
            try reportingErrors(exitCode: 1) {
                let ws = try workspace.workspace()
                let (store, _, policies) = try ws.openStoreWithModels(clock: try workspace.clock())
                guard let policy = policies.first(where: { $0.model == model }) else {
                    throw JobError("no policy for model '\(model)' (models: \(policies.map(\.model).joined(separator: ", ")))")
                }
                guard let (window, source) = try BaselineWindow.resolve(store: store, policy: policy) else {
                    print("\(model): no baseline yet (no predictions stored; it starts with the first \(policy.baseline.window) of them)")
                    return
                }
                print("\(model): baseline \(Timestamp.format(millis: window.from)) → \(Timestamp.format(millis: window.to)), \(source)")
            }
        }
    }

    struct Set: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a new baseline window for the model (event baseline.set).")
        @Option(help: "The model.") var model: String
        @Option(help: "Window start (RFC 3339).") var from: String
        @Option(help: "Window end (RFC 3339, exclusive).") var to: String
        @Option(help: "Why, for the event log.") var reason = "set by hand"
        @OptionGroup var workspace: WorkspaceOptions

        func run() throws {
            try reportingErrors(exitCode: 1) {
                let ws = try workspace.workspace()
                let clock = try workspace.clock()
                let (store, _, policies) = try ws.openStoreWithModels(clock: clock)
                guard policies.contains(where: { $0.model == model }) else {
                    throw JobError("no policy for model '\(model)' (models: \(policies.map(\.model).joined(separator: ", ")))")
                }
                guard let f = Timestamp.parseMillis(from) else { throw JobError("--from '\(from)' is not an RFC 3339 timestamp") }
                guard let t = Timestamp.parseMillis(to) else { throw JobError("--to '\(to)' is not an RFC 3339 timestamp") }
                guard f < t else { throw JobError("--from must be before --to") }
                try BaselineWindow.record(store: store, model: model, window: TimeWindow(from: f, to: t), reason: reason,
                                          actor: ProcessInfo.processInfo.environment["USER"] ?? "cli", now: Timestamp.millis(clock.now))
                print("\(model): baseline set to \(Timestamp.format(millis: f)) → \(Timestamp.format(millis: t)) (\(reason))")
            }
        }
    }
}
