import Foundation
import VigilCore

/// Where Vigil keeps everything: models, predictions, ground truth, per-hour aggregates,
/// evaluation runs, findings and the append-only event log.
///
/// Callers see only this protocol; ``SQLiteStore`` is the default backend and a PostgreSQL
/// one can sit beside it. Bulk work pulls batches from a closure so that parsing (on another
/// thread) and writing overlap, and memory stays bounded however large the input.
///
/// ```swift
/// let store = try SQLiteStore(path: ".vigil/vigil.db")
/// let catalog = try store.syncModels([policy.schema])
/// let outcome = try store.ingestPredictions(options: .init(now: now)) { source.next() }
/// ```
public protocol Store: DriftDataSource, SchedulerStore, QueueStore, AlertStore, EvaluationHistoryStore, RegistryStore, TokenStore {
    /// Creates or updates the models (a new model is recorded as created at `now`); new classes
    /// are appended, existing ones keep their index. Returns the stored schemas (class order as
    /// stored). Throws when a task would change or a stored class was removed from a policy.
    func syncModels(_ schemas: [ModelSchema], now: Int64) throws -> ModelCatalog

    /// The stored schema of `model`, or `nil`.
    func model(named model: String) throws -> ModelSchema?

    /// Writes predictions batch by batch until `nextBatch` returns `nil`.
    func ingestPredictions(options: IngestOptions, nextBatch: () throws -> [PredictionRecord]?,
                           progress: (IngestProgress) -> Void) throws -> IngestOutcome

    /// Writes ground truth batch by batch until `nextBatch` returns `nil`.
    func ingestLabels(options: IngestOptions, nextBatch: () throws -> [LabelRecord]?,
                      progress: (IngestProgress) -> Void) throws -> IngestOutcome

    /// Counts of (observed, predicted) over labelled predictions of `model` made in `window`.
    /// Streams: memory does not grow with the window.
    func confusionMatrix(model: String, window: TimeWindow) throws -> ConfusionMatrix

    /// Calls `body` for each reviewed image of detection model `model` in `window`, in time
    /// order, with the predicted and the ground-truth `boxes` as JSON arrays: the values ingest
    /// stored (the spacing may differ by backend).
    /// Every reviewed classification in `window`, in time order: the true class, the predicted
    /// class and the prediction's top-1 score (nil when it had none). The threshold sweep's input.
    func reviewedScores(model: String, window: TimeWindow) throws -> [ReviewedScore]
    /// Every reviewed classification in `window`, in time order, with the value of the
    /// prediction's `input.attributes[attribute]` (nil when it has none): the slices' input.
    func reviewedAttribute(model: String, window: TimeWindow, attribute: String) throws -> [ReviewedAttribute]
    func forEachReviewedImage(model: String, window: TimeWindow, _ body: (_ predicted: String, _ groundTruth: String) throws -> Void) throws

    /// Number of predictions of `model` made in `window`.
    func predictionCount(model: String, window: TimeWindow) throws -> Int

    /// Stores an evaluation run with its findings and an event, atomically; returns the run id.
    func recordEvaluation(_ run: EvaluationRunRecord) throws -> Int64

    /// Appends an event to the log.
    func append(_ event: Event) throws

    /// The newest events first, optionally for one model.
    func events(model: String?, kind: String?, limit: Int) throws -> [Event]

    /// The start (ms) of the first hour holding a prediction of `model`, or `nil` when it has none.
    /// Read from the hourly aggregates, so retention does not move it.
    func firstPredictionTime(model: String) throws -> Int64?

    /// Checks the database file and that every aggregate equals a recount from the rows (the
    /// hours after the retention mark, where the rows are all there).
    func verify() throws -> StoreVerification

    /// The schema version the store records, compared with the one this build knows.
    func storedSchema() throws -> StoreSchemaVersion

    /// Removes raw predictions before `cutoff` (ms) and raises the retention mark to where it
    /// cut: SQLite deletes the unlabelled, unqueued rows of whole hours before it; PostgreSQL
    /// drops the day partitions that end before it. See ``RetentionOutcome``.
    func applyRetention(before cutoff: Int64) throws -> RetentionOutcome

    /// The retention mark (ms), or `nil` when nothing was ever removed.
    func retentionMark() throws -> Int64?
}

/// How an ingest writes.
public struct IngestOptions: Sendable {
    /// The time recorded as the ingest time.
    public var now: Int64
    /// One transaction for the whole input, committed only if `shouldCommit` says so at the end.
    public var atomic: Bool
    /// For labels: a different label for an already-labelled prediction becomes a new revision
    /// instead of a conflict.
    public var allowRelabel: Bool
    /// Who is ingesting (recorded in the event log).
    public var actor: String
    /// Asked once at the end of an atomic ingest: commit (true) or roll everything back.
    public var shouldCommit: @Sendable () -> Bool
    /// Called for every record the store refuses, as it happens (the job writes the rejects file).
    public var onReject: @Sendable (RecordError) -> Void
    /// Bulk input (the default): the WAL is checkpointed from a second connection while writing
    /// and once at the end. False for one record written interactively (a review answer), where
    /// SQLite's own autocheckpoint suffices: opening that connection and syncing the file would
    /// cost tens of milliseconds per keystroke.
    public var bulk = true

    public init(now: Int64, atomic: Bool = false, allowRelabel: Bool = false, actor: String = "cli",
                shouldCommit: @escaping @Sendable () -> Bool = { true }, onReject: @escaping @Sendable (RecordError) -> Void = { _ in }) {
        self.now = now
        self.atomic = atomic
        self.allowRelabel = allowRelabel
        self.actor = actor
        self.shouldCommit = shouldCommit
        self.onReject = onReject
    }
}

/// Progress after each committed batch.
public struct IngestProgress: Sendable {
    public var recordsWritten: Int
    public var lastLine: Int
    /// The outcome so far (all batches committed up to now), so a caller streaming batches
    /// from several sources can tell what each batch did.
    public var outcome = IngestOutcome()

    public init(recordsWritten: Int, lastLine: Int, outcome: IngestOutcome = IngestOutcome()) {
        self.recordsWritten = recordsWritten
        self.lastLine = lastLine
        self.outcome = outcome
    }
}

/// What an ingest did to the store.
public struct IngestOutcome: Sendable {
    /// New rows written.
    public var inserted = 0
    /// Records already stored with identical content (skipped).
    public var duplicates = 0
    /// Labels that became a new revision (only with `allowRelabel`).
    public var relabeled = 0
    /// How many records the store refused: conflicting ids, unknown prediction ids, foreign classes.
    public var rejectedCount = 0
    /// The first refused records (at most ``keptRejects``); all of them went to `options.onReject`.
    public var rejected: [RecordError] = []
    /// How many refused records ``rejected`` keeps, so memory stays bounded.
    public static let keptRejects = 100

    /// Records a refusal: counted, kept if among the first, and handed to `report`.
    public mutating func reject(_ e: RecordError, report: (RecordError) -> Void) {
        rejectedCount += 1
        if rejected.count < Self.keptRejects { rejected.append(e) }
        report(e)
    }
    /// False when an atomic ingest was rolled back.
    public var committed = true

    public init() {}
}

/// The result of ``Store/verify()``.
public struct StoreVerification: Sendable {
    /// `ok`, or the database engine's own list of problems.
    public var integrity: [String]
    /// Aggregate rows that differ from a recount, described.
    public var aggregateMismatches: [String]
    public var predictions: Int
    public var distinctPredictionIDs: Int

    public var isHealthy: Bool { integrity == ["ok"] && aggregateMismatches.isEmpty && predictions == distinctPredictionIDs }

    public init(integrity: [String], aggregateMismatches: [String], predictions: Int, distinctPredictionIDs: Int) {
        self.integrity = integrity
        self.aggregateMismatches = aggregateMismatches
        self.predictions = predictions
        self.distinctPredictionIDs = distinctPredictionIDs
    }
}

/// Errors the store raises, each saying what to do.
public struct StoreError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

extension Store {
    /// The latest `limit` events, newest first, of `model` (all models when `nil`), of every kind.
    public func events(model: String?, limit: Int) throws -> [Event] {
        try events(model: model, kind: nil, limit: limit)
    }
}
