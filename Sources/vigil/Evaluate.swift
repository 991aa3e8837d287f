import ArgumentParser
import Foundation
import VigilCore
import VigilJobs
import VigilWorkspace

struct Evaluate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Evaluate models against ground truth; exit 0 ok, 1 warning, 2 critical, 3 unknown.",
        discussion: """
            Computes the confusion matrix, per-class precision/recall/F1 with Wilson intervals, accuracy and macro/micro/weighted averages over the reviewed predictions in the window, applies the policy's thresholds, and stores the run and its findings. A class with fewer reviewed examples than min_reviewed_per_class is reported as insufficient-evidence, never as a pass or a failure. Then the policy's drift tests: prediction bias on the reviewed items (McNemar, Stuart–Maxwell), the predicted-class distribution against the previous window or the training shares (χ², G, PSI, Jensen–Shannon), scores, embeddings and change detectors; p-values are adjusted with Benjamini–Hochberg across the run.

              vigil evaluate --model shelf-classifier --window 7d
              vigil evaluate --model shelf-classifier --no-drift     # metrics only
              vigil evaluate --from 2026-10-01T00:00:00Z --to 2026-10-08T00:00:00Z --format json

            Only the canonical evaluation moves alerts: the scheduled one, or this command with no --window, --from/--to, --backfill, --policy or --no-drift. Any other run is stored as an ad-hoc run (its report says so) and never changes alert state or notifies anyone; --dry-run stores nothing.
              # recompute past windows (those the policy's evaluate schedule judges), idempotently
              vigil evaluate --model shelf-classifier --backfill 2026-10-01T00:00:00Z..2026-10-31T00:00:00Z
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

    @Option(help: "Recompute the windows the policy's evaluate schedule judges between FROM..TO (RFC 3339); an unchanged window keeps its stored run.")
    var backfill: String?

    @Option(help: "Output: table or json.")
    var format: ReportFormat = .table

    @Option(help: "Use this policy file instead of the workspace's policy for the model.")
    var policy: String?

    @Flag(name: .customLong("no-drift"), help: "Skip the drift tests (metrics only), whatever the policy says.")
    var noDrift = false

    @Flag(name: .customLong("dry-run"), help: "Compute and print the report; store nothing and change no alert.")
    var dryRun = false

    @OptionGroup var workspace: WorkspaceOptions

    enum ReportFormat: String, ExpressibleByArgument, CaseIterable { case table, json }

    func validate() throws {
        if (from == nil) != (to == nil) { throw ValidationError("give both --from and --to, or neither") }
        if from != nil && window != nil { throw ValidationError("give either --window or --from/--to") }
        if backfill != nil && (from != nil || window != nil) { throw ValidationError("--backfill replaces --window and --from/--to: give one of them") }
    }

    func run() throws {
        var trends: [String: String] = [:]
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
            let job = EvaluateJob(store: store, clock: clock, alerts: try ws.alertSetup(store: store))
            let mode: EvaluateJob.Mode = dryRun ? .dryRun
                : (selection.isPolicyDefault && !noDrift && policy == nil) ? .canonical : .adHoc
            if let backfill {
                let parts = backfill.components(separatedBy: "..")
                guard parts.count == 2, let f = Timestamp.parseMillis(parts[0]), let t = Timestamp.parseMillis(parts[1]) else {
                    throw JobError("--backfill '\(backfill)' is not FROM..TO, e.g. 2026-10-01T00:00:00Z..2026-10-31T00:00:00Z")
                }
                let zone = try ws.scheduleZone()
                return try policies.flatMap { policy in
                    var policy = policy
                    if noDrift { policy.drift.enabled = false }
                    let runs = try job.backfill(policy: policy, from: Timestamp.date(millis: f), to: Timestamp.date(millis: t), zone: zone)
                    for r in runs where format == .table {
                        printError("\(policy.model)  \(r.report.window.from)..\(r.report.window.to)  run \(r.report.runID.map(String.init) ?? "-")  \(r.stored ? "stored" : "unchanged")  \(r.report.status.rawValue)")
                    }
                    return runs.map(\.report)
                }
            }
            return try policies.map { policy in
                var policy = policy
                if noDrift { policy.drift.enabled = false }
                let report = try job.run(policy: policy, window: selection, mode: mode)
                if format == .table {
                    let since = Timestamp.millis(clock.now) - 365 * 86_400_000
                    trends[policy.model] = ReportRenderer.trend(try ReportHistory.load(store: store, model: policy.model, since: since, limit: 30))
                }
                return report
            }
        }
        switch format {
        case .json:
            if reports.count == 1 && model != nil && backfill == nil {
                print(try reports[0].json())
            } else {
                print(try EvaluationBatch(reports: reports).json())
            }
        case .table:
            if backfill != nil {
                print(reports.map(ReportRenderer.statusLine).joined(separator: "\n"))
            } else {
                print(reports.map { ReportRenderer.table($0) + (trends[$0.model] ?? "") }.joined(separator: "\n"))
            }
        }
        let worst = EvaluationBatch(reports: reports).exitCode
        if worst != 0 { throw ExitCode(worst) }
    }
}
