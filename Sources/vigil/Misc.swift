import ArgumentParser
import Foundation
import VigilCore
import VigilJobs
import VigilQuickstart
import VigilServer
import VigilWorkspace

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Show the event log, newest first.",
        discussion: "  vigil log --model shelf-classifier --limit 20")

    @Option(help: "Only events of this model.") var model: String?
    @Option(help: "How many events.") var limit = 50
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let store = try workspace.workspace().openStore(access: .readOnly)
            for e in try store.events(model: model, limit: limit) {
                print("\(Timestamp.format(millis: e.ts))  \(e.kind)  \(e.model ?? "-")  \(e.subject ?? "-")  by \(e.actor)  \(e.details)")
            }
        }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check the configuration (vigil.yaml, policies, environment variables, receivers and their templates, the registry's reachability) and the store (opened read-only): schema version, file integrity, one row per prediction id, aggregates equal a recount.",
        discussion: "Exit 0 when healthy, 1 otherwise.\n\n  vigil check")

    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let ws = try reportingErrors(exitCode: 1) { () throws -> Workspace in
            let ws = try workspace.workspace()
            let summary = try ws.checkConfiguration()
            _ = try ServerSettings.load(ws)
            print("configuration: vigil.yaml, \(summary.models.count) policies (\(summary.models.joined(separator: ", "))), \(summary.receivers) receivers")
            if let registry = ws.registryReachability() { print(registry.line) }
            return ws
        }
        let store = try reportingErrors(exitCode: 1) { try ws.openStore(access: .readOnly) }
        print(try reportingErrors(exitCode: 1) { try store.storedSchema() }.checkLine)
        let v = try reportingErrors(exitCode: 1) { try store.verify() }
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
        abstract: "Run the whole monitoring loop on the embedded detector, on 30 simulated days, in a fresh folder.",
        discussion: """
            Trains the embedded detector (v1) on synthetic scenes and makes it the champion, then simulates 30 days of production hour by hour: the camera changes on day 12; the scheduler samples the review queue within its daily budget, a simulated reviewer labels it (from the generator's ground truth, with mistakes), evaluations catch the drop, alerts go to a local webhook receiver (their Slack payloads are printed), a retraining job fine-tunes v2 on the reviewed images, the registry gate compares v2 with v1 on the holdout and promotes it, and the metrics recover. Ends with a day-by-day timeline, the HTML report and the paths of everything written.

            --fast tells the same story on less data (measured: 112 s with a debug build on the 2-core development machine; see docs/quickstart.md). Exit status: 0 when the story completed (v2 promoted and the last days above the policy's thresholds), 1 otherwise, 3 on an error.

              vigil quickstart                         # in ./vigil-quickstart
              vigil quickstart --dir /tmp/demo --fast
              vigil report --workspace vigil-quickstart --html report.html
            """)

    @Option(help: "Folder for the workspace (must not hold one already).") var dir = "vigil-quickstart"
    @Flag(help: "A smaller run (fewer images per hour, a smaller v1) that tells the same story.") var fast = false
    @Option(help: "Probability that the simulated reviewer misses a box, and that it names the wrong class.") var reviewerErrorRate: Double?
    @Flag(help: "Print whole lines only (no live status line), as when the output is not a terminal.") var plain = false

    func run() throws {
        var settings: QuickstartSettings = fast ? .fast : .full
        if let r = reviewerErrorRate {
            guard r >= 0, r < 0.5 else {
                print("vigil quickstart: --reviewer-error-rate must be in [0, 0.5), e.g. 0.02")
                throw ExitCode(3)
            }
            settings.reviewerErrorRate = r
        }
        let live = !plain && isatty(STDOUT_FILENO) == 1
        let write: @Sendable (String) -> Void = { text in
            FileHandle.standardOutput.write(Data(text.utf8))
        }
        let result = try reportingErrors(exitCode: 3) {
            try DetectorQuickstart(directory: dir, settings: settings).run(progress: live ? .terminal(write) : .lines(write))
        }
        print("")
        print("Day by day (each row: the evaluation of that day's traffic, run the next day at 01:00):")
        print(result.timeline.render())
        let t = result.timeline
        print("What happened:")
        print("  camera change: day \(t.changeDay)")
        print("  first evaluation that was not ok: " + (t.hoursToDetection.map { String(format: "%.0f h after the change", $0) } ?? "none"))
        print("  alerts delivered before the change (false alarms): \(t.deliveredBeforeChange)")
        print("  first alert delivered: " + (t.hoursToFirstAlert.map { String(format: "%.0f h after the change", $0) } ?? "none"))
        print("  promoted by the gate: " + (t.promoted.map { "v\($0.version): \($0.verdict)" } ?? "nothing"))
        print("  recovered (the last two days: no critical finding, map50 at or above its warning threshold): \(t.recovered ? "yes" : "no")")
        print("")
        print("Written:")
        for f in result.files { print("  \(f.what): \(f.path)") }
        print("\nTime by part: " + result.phases.map { String(format: "%@ %.1f s", $0.name, $0.seconds) }.joined(separator: ", "))
        print(String(format: "Done in %.0f s. Next: `vigil evaluate --workspace %@ --model %@ --window 1d`, `vigil registry history --workspace %@`, or open the report.",
                     result.seconds, dir, QuickstartFiles.model, dir))
        if t.promoted == nil || !t.recovered { throw ExitCode(1) }
    }
}
