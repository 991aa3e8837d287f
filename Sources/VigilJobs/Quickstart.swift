import Foundation
import VigilCore
import VigilStore

/// The README's first command, for now on the example classifier: a workspace, 30 days of
/// generated production predictions with a camera change on day 20, a 5% reviewed sample,
/// and an evaluation of the last 7 days that catches the drop.
///
/// (The full loop on the embedded detector — sampling, review, alerts, retraining, the
/// registry gate — replaces this as those parts land.)
public struct Quickstart: Sendable {
    public var directory: String
    public var rows: Int
    public var seed: UInt64

    public init(directory: String, rows: Int = 200_000, seed: UInt64 = 7) {
        self.directory = directory
        self.rows = rows
        self.seed = seed
    }

    /// Runs every step, reporting each line of narration to `say`; returns the last evaluation.
    public func run(say: (String) -> Void) throws -> EvaluationReport {
        say("1/5 workspace: \(directory)")
        let data = ExampleData(rows: rows, seed: seed)
        let clock = FixedClock(Timestamp.date(millis: data.startMillis + Int64(data.days) * 86_400_000))
        try Workspace.initialize(at: directory, clock: clock)
        let ws = try Workspace.locate(from: directory)
        let dataDir = ws.path("example-data")
        say("2/5 generating \(rows) predictions over 30 days (camera change on day 20) and a 5% reviewed sample")
        let files = try ExampleDataWriter.write(data, to: dataDir, labeledFraction: 0.05, csv: false)
        let (store, catalog, policies) = try ws.openStoreWithModels(clock: clock)
        let ingest = IngestJob(store: store, catalog: catalog, clock: clock, rejectsDirectory: ws.rejectsDirectory, actor: "quickstart")
        let p = try ingest.run(IngestRequest(kind: .predictions, path: files.predictions))
        say("3/5 ingested predictions: \(p.inserted) stored, \(p.duplicates) already present, \(p.rejected) rejected (\(Int(Double(p.lines) / max(p.seconds, 1e-9))) lines/s)")
        let l = try ingest.run(IngestRequest(kind: .labels, path: files.labels))
        say("4/5 ingested ground truth: \(l.inserted) stored, \(l.duplicates) already present, \(l.rejected) rejected")
        guard let policy = policies.first(where: { $0.model == ExampleData.model }) else {
            throw JobError("the workspace has no policy for \(ExampleData.model)")
        }
        let evaluate = EvaluateJob(store: store, clock: clock, actor: "quickstart")
        let before = try evaluate.run(policy: policy, window: .range(from: Timestamp.date(millis: data.startMillis + 13 * 86_400_000),
                                                                      to: Timestamp.date(millis: data.startMillis + 20 * 86_400_000)))
        say("5/5 evaluating: days 14–20 (before the change) → \(before.status.rawValue.uppercased()); last 7 days:")
        return try evaluate.run(policy: policy, window: .last("7d"))
    }
}
