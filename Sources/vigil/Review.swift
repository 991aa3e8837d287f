import ArgumentParser
import Foundation
import VigilCore
import VigilJobs
import VigilReview
import VigilStore
import VigilWorkspace

struct Review: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Label sampled items in a full-screen terminal UI, with the image on screen.",
        discussion: """
            Claims the next item of the review queue (filled by `vigil sample`), shows its image (PNG or JPEG; a path relative to the workspace, file:// or http(s):// — fetched once and cached in .vigil/review-cache/) with the predicted boxes, and records each answer at once. The next item is claimed and decoded in the background.

            Classification: Enter accepts the predicted class, a class's key picks it (its own name when that is one character and no command, else 1-9 0 a-z as listed beside it), / searches.

            Detection: Tab selects a box, a accepts, x rejects, c changes its class, arrows move it, Shift+arrows resize it, n adds a box, Enter submits the image.

            Both: s skip, f flag with a reason, u undo your last answer, ? keys, q quit.

            Quitting (q, Ctrl-C, SIGTERM) releases your claims; a restart after a crash resumes your live claims first. Leases (the policy's review.lease) are renewed while you are active. Needs an 80×24 terminal or larger; over SSH use `ssh -t`.

              vigil review --reviewer ana
              vigil review --model shelf-detector --reviewer ana --colour 256
            """,
        subcommands: [Fixture.self])

    @Option(help: "Only items of this model.") var model: String?
    @Option(help: "Your name, recorded with every answer (default: $USER).") var reviewer: String?
    @Option(help: "Colours: truecolor or 256 (default: truecolor when COLORTERM says so, else 256).") var colour: String?
    @Option(help: ArgumentHelp("Write keystroke → next-item-drawn latencies to this JSON file at exit (benchmarks).", visibility: .hidden))
    var measure: String?
    @OptionGroup var workspace: WorkspaceOptions

    func validate() throws {
        if let colour, ColourMode(rawValue: colour) == nil { throw ValidationError("--colour: '\(colour)' is not truecolor or 256") }
    }

    func run() throws {
        let env = ProcessInfo.processInfo.environment
        let name = reviewer ?? env["USER"] ?? env["LOGNAME"] ?? ""
        guard !name.isEmpty else { throw ValidationError("give --reviewer NAME (no $USER to default to)") }
        let (work, options) = try reportingErrors(exitCode: 1) { () throws -> (ReviewWork, ReviewController.Options) in
            let ws = try workspace.workspace()
            let clock = try workspace.clock()
            let (store, _, policies) = try ws.openStoreWithModels(clock: clock)
            var scoped = policies
            if let model {
                scoped = policies.filter { $0.model == model }
                guard !scoped.isEmpty else { throw JobError("no policy for model '\(model)' (models: \(policies.map(\.model).joined(separator: ", ")))") }
            }
            let lease = scoped.map(\.review.leaseMillis).min() ?? 600_000
            let schemas = Dictionary(policies.map { ($0.model, $0.schema) }, uniquingKeysWith: { a, _ in a })
            let images = ImageLoader(baseDirectory: ws.root, cacheDirectory: ws.path(".vigil/review-cache"))
            let fixed = env["VIGIL_NOW"] != nil ? Timestamp.millis(clock.now) : nil
            let work = ReviewWork(store: store, reviewer: name, model: model, leaseMillis: lease, schemas: schemas, images: images,
                                  clock: { fixed ?? Int64(Date().timeIntervalSince1970 * 1000) })
            let mode = colour.flatMap(ColourMode.init(rawValue:)) ?? ColourMode.detect(environment: env)
            return (work, ReviewController.Options(colour: mode, budget: scoped.map(\.sampling.dailyBudget).reduce(0, +), measurePath: measure))
        }
        let released = try reportingErrors(exitCode: 1) { try ReviewController(work: work, options: options).run() }
        let t = work.tally
        print("vigil review: \(t.labeled) labelled, \(t.skipped) skipped, \(t.flagged) flagged, \(t.undone) undone; \(released) claim\(released == 1 ? "" : "s") released")
    }
}

extension Review {
    /// A workspace with items to review, for trying the UI, the end-to-end test and the benchmark.
    struct Fixture: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a workspace with generated classification (PNG) and detection (JPEG) items to review.",
            discussion: """
              vigil review fixture --dir try-review --classification 20 --detection 5
              cd try-review && vigil ingest predictions predictions.ndjson \\
                && VIGIL_NOW=2026-10-31T00:00:00Z vigil sample && vigil review
            """,
            shouldDisplay: false)
        @Option(help: "The workspace folder to create.") var dir: String
        @Option(help: "Classification items (PNG inputs).") var classification = 20
        @Option(help: "Detection items (JPEG inputs).") var detection = 5
        @Option(help: "Image width in pixels.") var width = 160
        @Option(help: "Image height in pixels.") var height = 120

        func run() throws {
            try reportingErrors(exitCode: 1) {
                try Workspace.initialize(at: dir)
                let path = try ReviewFixture.write(root: dir, classification: classification, detection: detection, width: width, height: height)
                print("wrote \(path): \(classification) classification and \(detection) detection predictions")
            }
        }
    }
}
