import ArgumentParser
import Foundation
import VigilCore
import VigilJobs

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate models against ground truth; exit 0 ok, 1 warning, 2 critical, 3 unknown.",
        discussion: """
            Computes the confusion matrix, per-class precision/recall/F1 with Wilson intervals,
            accuracy and macro/micro/weighted averages over the reviewed predictions in the
            window, applies the policy's thresholds, and stores the run and its findings.
            A class with fewer reviewed examples than min_reviewed_per_class is reported as
            insufficient-evidence, never as a pass or a failure.

              vigil evaluate --model shelf-classifier --window 7d
              vigil evaluate --from 2026-10-01T00:00:00Z --to 2026-10-08T00:00:00Z --format json
              # crontab: every morning at 06:00
              0 6 * * * cd /srv/vigil && vigil evaluate --model shelf-classifier || notify
            """)

    @Option(help: "The model to evaluate (default: every model with a policy).")
    var model: String?

    @Option(help: "Window length ending now, e.g. 7d, 36h, 2w (default: the policy's).")
    var window: String?

    @Option(help: "Window start (RFC 3339); use with --to.")
    var from: String?

    @Option(help: "Window end (RFC 3339, exclusive); use with --from.")
    var to: String?

    @Option(help: "Output: table or json.")
    var format: ReportFormat = .table

    @Option(help: "Use this policy file instead of the workspace's policy for the model.")
    var policy: String?

    @OptionGroup var workspace: WorkspaceOptions

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case table, json }

    func validate() throws {
        if (from == nil) != (to == nil) { throw ValidationError("give both --from and --to, or neither") }
        if from != nil && window != nil { throw ValidationError("give either --window or --from/--to") }
    }

    func run() throws {
        let reports = try reportingErrors(exitCode: 3) { () throws -> [EvaluationReport] in
            let ws = try workspace.workspace()
            let clock = try workspace.clock()
            let (store, _, allPolicies) = try ws.openStoreWithModels(clock: clock)
            var policies = allPolicies
            if let path = policy {
                let p = try PolicyLoader.load(path: path)
                _ = try store.syncModels([p.schema], now: Timestamp.millis(clock.now))
                policies = [p]
            }
            if let model {
                policies = policies.filter { $0.model == model }
                guard !policies.isEmpty else {
                    throw JobError("no policy for model '\(model)' (models: \(allPolicies.map(\.model).joined(separator: ", ")))")
                }
            }
            guard !policies.isEmpty else { throw JobError("no policies in \(ws.path(ws.config.policies)): add one per model") }
            let selection: WindowSelection
            if let from, let to {
                guard let f = Timestamp.parseMillis(from) else { throw JobError("--from '\(from)' is not an RFC 3339 timestamp") }
                guard let t = Timestamp.parseMillis(to) else { throw JobError("--to '\(to)' is not an RFC 3339 timestamp") }
                selection = .range(from: Timestamp.date(millis: f), to: Timestamp.date(millis: t))
            } else if let window {
                selection = .last(window)
            } else {
                selection = .policyDefault
            }
            let job = EvaluateJob(store: store, clock: clock, alerts: try ws.alertSetup())
            return try policies.map { try job.run(policy: $0, window: selection) }
        }
        switch format {
        case .json:
            if reports.count == 1 && model != nil {
                print(try reports[0].json())
            } else {
                print(try EvaluationBatch(reports: reports).json())
            }
        case .table:
            print(reports.map(ReportRenderer.table).joined(separator: "\n"))
        }
        let worst = EvaluationBatch(reports: reports).exitCode
        if worst != 0 { throw ExitCode(worst) }
    }
}
