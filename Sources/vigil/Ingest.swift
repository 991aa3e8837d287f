import ArgumentParser
import Foundation
import VigilCore
import VigilJobs
import VigilWorkspace

struct Ingest: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load predictions or ground truth from NDJSON or CSV.",
        subcommands: [Predictions.self, Labels.self])

    struct Options: ParsableArguments {
        @Argument(help: "The input file, or - for standard input.")
        var file: String?

        @Option(help: "Input format (default: csv for *.csv, else ndjson).")
        var format: IngestRequest.Format?

        @Flag(help: "Store nothing unless every line is valid (one transaction).")
        var allOrNothing = false

        @Flag(help: "Check every line and report, but store nothing.")
        var dryRun = false

        @Option(help: "Where to write rejected lines (default: FILE.rejects.ndjson).")
        var rejects: String?

        @Option(help: "Longest accepted line in bytes.")
        var maxLineBytes = 1 << 20

        @Option(help: "Records per transaction.")
        var batchSize = 32_768

        @Option(help: "Summary format: text or json.")
        var output: OutputFormat = .text

        @OptionGroup var workspace: WorkspaceOptions
    }

    struct Predictions: ParsableCommand {
        @Option(help: "A COCO results file (dt.json) to ingest instead of FILE; needs --images and --model.")
        var cocoResults: String?

        @Option(help: "The COCO dataset (gt.json) naming the images and categories of --coco-results.")
        var images: String?

        @Option(help: "The model the COCO results belong to.")
        var model: String?

        @Option(help: "Prediction time for COCO results (RFC 3339; default: now).")
        var ts: String?

        static let configuration = CommandConfiguration(
            abstract: "Load production predictions (idempotent on id).",
            discussion: """
                Each line: {"id":"p-1","ts":"2026-10-01T12:00:00Z","model":"shelf-classifier", "model_version":"3","label":"can","score":0.91}. See docs/formats.md.

                Exit codes: 0 every line stored (or already there), 1 some lines rejected (see the rejects file), 2 nothing stored (--all-or-nothing) or a fatal error.

                  vigil ingest predictions today.ndjson
                  zcat today.ndjson.gz | vigil ingest predictions -
                  vigil ingest predictions export.csv --all-or-nothing
                  vigil ingest predictions --coco-results dt.json --images gt.json --model shelf-detector

                COCO results become one prediction per image of --images, with the image's file_name as id (or coco-<image id> without one); see docs/formats.md.
                """)
        @OptionGroup var options: Options

        func validate() throws {
            if cocoResults != nil {
                guard images != nil, model != nil else { throw ValidationError("--coco-results needs --images gt.json and --model NAME") }
                guard options.file == nil else { throw ValidationError("give either FILE or --coco-results, not both") }
            } else if options.file == nil {
                throw ValidationError("give FILE (or - for standard input), or --coco-results")
            }
        }

        func run() throws {
            var coco: COCOSource?
            if let cocoResults, let images, let model {
                let clock = try options.workspace.clock()
                var ms = Timestamp.millis(clock.now)
                if let ts {
                    guard let parsed = Timestamp.parseMillis(ts) else { throw ValidationError("--ts '\(ts)' is not an RFC 3339 timestamp") }
                    ms = parsed
                }
                coco = .results(path: cocoResults, images: images, model: model, timestampMillis: ms)
            }
            try runIngest(.predictions, options, relabel: false, coco: coco)
        }
    }

    struct Labels: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Load ground truth for stored predictions.",
            discussion: """
                Each line: {"prediction_id":"p-1","label":"jar"} (classification) or {"prediction_id":"img-1","boxes":[{"label":"can","bbox":[x,y,w,h]}]} (detection). A different label for an already-labelled prediction is a conflict unless --relabel is given, which records a new revision (the history is kept).

                  vigil ingest labels reviewed.ndjson
                  vigil ingest labels corrections.csv --relabel
                  vigil ingest labels --coco gt.json

                COCO annotations become one label per image (an image without annotations: boxes [], reviewed with nothing there), matched to predictions by file_name.
                """)
        @OptionGroup var options: Options
        @Flag(help: "Record a different label as a new revision instead of rejecting it.")
        var relabel = false
        @Option(help: "A COCO dataset (gt.json) whose annotations to ingest instead of FILE.")
        var coco: String?

        func validate() throws {
            if coco != nil && options.file != nil { throw ValidationError("give either FILE or --coco, not both") }
            if coco == nil && options.file == nil { throw ValidationError("give FILE (or - for standard input), or --coco gt.json") }
        }

        func run() throws { try runIngest(.labels, options, relabel: relabel, coco: coco.map { .annotations(path: $0) }) }
    }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable { case text, json }
extension IngestRequest.Format: ExpressibleByArgument {}

func runIngest(_ kind: IngestRequest.Kind, _ o: Ingest.Options, relabel: Bool, coco: COCOSource?) throws {
    let summary = try reportingErrors(exitCode: 2) { () throws -> IngestSummary in
        let ws = try o.workspace.workspace()
        let (store, catalog, _) = try ws.openStoreWithModels(clock: try o.workspace.clock())
        var request = IngestRequest(kind: kind, path: o.file == "-" ? nil : o.file, format: o.format)
        request.coco = coco
        request.atomic = o.allOrNothing
        request.allowRelabel = relabel
        request.maxLineBytes = o.maxLineBytes
        request.rejectsPath = o.rejects
        request.dryRun = o.dryRun
        request.batchSize = max(1, o.batchSize)
        let job = IngestJob(store: store, catalog: catalog, clock: try o.workspace.clock(), rejectsDirectory: ws.rejectsDirectory)
        let progress = ProgressLine()
        let summary = try job.run(request) { s in progress.update("\(s.inserted) records stored, line \(s.lines)") }
        progress.clear()
        return summary
    }
    switch o.output {
    case .json:
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        print(String(decoding: try encoder.encode(summary), as: UTF8.self))
    case .text:
        print(describe(summary))
    }
    if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
}

func describe(_ s: IngestSummary) -> String {
    let rate = s.seconds > 0 ? Int(Double(s.lines) / s.seconds) : 0
    var out = "\(s.source): \(s.lines) lines in \(String(format: "%.2f", s.seconds)) s (\(rate) lines/s): "
        + (s.dryRun ? "dry run, \(s.inserted) valid, nothing stored, " : "\(s.inserted) stored, \(s.duplicates) already present, ")
    if s.kind == .labels { out += "\(s.relabeled) relabelled, " }
    out += "\(s.rejected) rejected"
    if !s.committed && !s.dryRun { out += "\nnothing was stored: --all-or-nothing and \(s.rejected) line(s) were rejected" }
    if s.records == 0 { out += "\nthe input holds no records" }
    for e in s.firstRejects { out += "\n  " + e.description }
    if s.rejected > s.firstRejects.count { out += "\n  … \(s.rejected - s.firstRejects.count) more" }
    if let f = s.rejectsFile { out += "\nrejected lines: \(f)" }
    return out
}

/// A one-line progress display on stderr, only when stderr is a terminal.
final class ProgressLine {
    let enabled = isatty(2) == 1
    var last = Date.distantPast

    func update(_ text: String) {
        guard enabled, Date().timeIntervalSince(last) > 0.25 else { return }
        last = Date()
        FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
    }

    func clear() {
        if enabled { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
    }
}
