import ArgumentParser
import Foundation
import VigilCore
import VigilJobs

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the event log, newest first.",
        discussion: "  vigil log --model shelf-classifier --limit 20")

    @Option(help: "Only events of this model.") var model: String?
    @Option(help: "How many events.") var limit = 50
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let store = try workspace.workspace().openStore()
            for e in try store.events(model: model, limit: limit) {
                print("\(Timestamp.format(millis: e.ts))  \(e.kind)  \(e.model ?? "-")  \(e.subject ?? "-")  by \(e.actor)  \(e.details)")
            }
        }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the store: file integrity, one row per prediction id, aggregates equal a recount.",
        discussion: "Exit 0 when healthy, 1 otherwise.\n\n  vigil check")

    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let v = try reportingErrors(exitCode: 1) { try workspace.workspace().openStore().verify() }
        print("integrity: \(v.integrity.joined(separator: "; "))")
        print("predictions: \(v.predictions) rows, \(v.distinctPredictionIDs) distinct ids")
        print("aggregates: " + (v.aggregateMismatches.isEmpty ? "equal to a recount" : "\(v.aggregateMismatches.count) mismatches"))
        for m in v.aggregateMismatches { print("  " + m) }
        if !v.isHealthy { throw ExitCode(1) }
    }
}

struct ExampleDataCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "example-data",
        abstract: "Write the deterministic example data set (predictions, ground truth, CSV).",
        discussion: "  vigil example-data --rows 1000000 --out bench-data --labeled-fraction 1 --csv")

    @Option(help: "Number of predictions.") var rows = 10_000
    @Option(help: "Output folder.") var out = "example-data"
    @Option(help: "Random seed.") var seed: UInt64 = 7
    @Option(help: "Share of predictions with ground truth (0–1).") var labeledFraction = 0.05
    @Option(help: "Days the predictions span.") var days = 30
    @Option(help: "Day (0-based) from which two classes get harder.") var driftDay = 20
    @Flag(help: "Also write predictions.csv.") var csv = false

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let data = ExampleData(rows: rows, seed: seed, days: days, driftDay: driftDay)
            let f = try ExampleDataWriter.write(data, to: out, labeledFraction: labeledFraction, csv: csv)
            print("wrote \(f.predictions)\nwrote \(f.labels)" + (f.predictionsCSV.map { "\nwrote \($0)" } ?? ""))
        }
    }
}

struct Quickstart: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the monitoring loop end to end on generated data, in a fresh folder.",
        discussion: """
            Creates a workspace, generates 30 days of a shelf classifier's predictions with a
            camera change on day 20, ingests them and a 5% reviewed sample, and evaluates the
            last week, which catches the drop. Exits like `vigil evaluate`.

              vigil quickstart                   # in ./vigil-quickstart
              vigil quickstart --dir /tmp/demo --rows 50000
            """)

    @Option(help: "Folder for the workspace.") var dir = "vigil-quickstart"
    @Option(help: "Predictions to generate.") var rows = 200_000

    func run() throws {
        let report = try reportingErrors(exitCode: 3) {
            try VigilJobs.Quickstart(directory: dir, rows: rows).run { print($0) }
        }
        print("")
        print(ReportRenderer.table(report))
        print("workspace: \(dir) — try `vigil evaluate --workspace \(dir) --window 30d` or `vigil log --workspace \(dir)`")
        if report.exitCode != 0 { throw ExitCode(report.exitCode) }
    }
}
