import ArgumentParser
import Foundation
import VigilCore
import VigilJobs
import VigilWorkspace

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a self-contained HTML report: metrics, drift and events over time.",
        discussion: """
            One HTML file with inline SVG (no scripts, no network): the current verdict, metrics over time with interval bands and threshold lines, per-class values, drift tests per window, the confusion table as a heat map, and markers for alerts, retraining and promotions. It reads the stored evaluation runs (the newest run of each window): run `vigil evaluate` (or `--backfill`) first.

              vigil report --html report.html
              vigil report --html shelf.html --model shelf-classifier --since 90d
            """)

    @Option(help: "The HTML file to write (replaced atomically).") var html: String
    @Option(help: "Only this model (repeatable); default: every model with a policy.") var model: [String] = []
    @Option(help: "How far back: windows ending within this length before now (e.g. 30d, 12w).") var since = "30d"
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        try reportingErrors(exitCode: 1) {
            guard let seconds = WindowLength.seconds(since) else {
                throw ValidationError("--since '\(since)' is not a length such as 30d, 36h or 12w")
            }
            let clock = try workspace.clock()
            let ws = try workspace.workspace()
            let catalog = ModelCatalog(try ws.loadPolicies().map(\.schema))
            let store = try ws.openStore(access: .readOnly)
            for name in model where catalog.models[name] == nil {
                throw ValidationError("unknown model '\(name)'; known models: \(catalog.names.joined(separator: ", "))")
            }
            let models = model.isEmpty ? catalog.names : model
            let summary = try HTMLReportJob(store: store, clock: clock).write(models: models, seconds: seconds, to: html)
            print("wrote \(summary.path): \(summary.models.count) model(s), \(summary.evaluations) evaluation window(s), \(summary.bytes) bytes")
        }
    }
}
