import VigilCore

/// What the drift tests read from a store: the per-hour aggregates and the few raw columns
/// that unpaired tests on samples need. Every read is bounded by a window.
public protocol DriftDataSource: Sendable {
    /// Predictions of `model` per predicted class in `window` (classification; for detection
    /// the class of every stored box), from the per-hour counts for whole hours.
    func predictedClassCounts(model: String, window: TimeWindow) throws -> [Int]

    /// The top-1 scores of `model`'s predictions in `window` (rows without a score are
    /// skipped): all of them when the window holds at most `limit` predictions, else those of
    /// the stored uniform sample (``PredictionSample``), about `limit` or fewer.
    func scores(model: String, window: TimeWindow, limit: Int) throws -> WindowValues

    /// Calls `body` with the `boxes` JSON array (values as stored; spacing may differ by backend) of each prediction of detection model
    /// `model` in `window` (all, or the stored sample as for ``scores(model:window:limit:)``);
    /// returns the window's prediction count and the sample level read (`values` is empty).
    @discardableResult
    func forEachPredictedBoxes(model: String, window: TimeWindow, limit: Int, _ body: (String) throws -> Void) throws -> WindowValues

    /// Whether each reviewed prediction in `window` was right (predicted class = observed
    /// class), in time order, with its timestamp.
    func correctnessStream(model: String, window: TimeWindow) throws -> [(ts: Int64, correct: Bool)]

    /// The mean top-1 score per hour of `window` that has predictions, in time order (whole
    /// hours from the per-hour score sums, so the cost does not grow with the rows).
    func hourlyMeanScores(model: String, window: TimeWindow) throws -> [(hour: Int64, mean: Double, count: Int)]

    /// Up to `limit` `input.embedding` arrays (JSON text) of predictions in `window`: those
    /// with the smallest content hash, a uniform sample that is the same on every run and
    /// does not depend on ingest order. Empty when none of the window's latest 1,000
    /// predictions carries an embedding (the window is then not scanned).
    func embeddingSample(model: String, window: TimeWindow, limit: Int) throws -> [String]
}
