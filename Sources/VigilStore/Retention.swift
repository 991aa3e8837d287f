import VigilCore

/// What a retention pass removed (``Store/applyRetention(before:)``).
///
/// Retention removes raw predictions older than a cut and keeps everything that summarises
/// them: the per-hour aggregates (so evaluations and class-distribution drift of old windows
/// still read their counts), ground truth, evaluation runs and the event log. The cut is
/// recorded as the store's *retention mark*: `vigil check` recounts only the hours after it,
/// and ingest refuses predictions before it (their ids are gone, so a re-sent one could no
/// longer be recognised as a duplicate).
public struct RetentionOutcome: Sendable, Equatable {
    /// The retention mark now in force (ms): raw predictions before it may be gone.
    public var mark: Int64
    /// Predictions deleted row by row (SQLite).
    public var deletedPredictions: Int
    /// Predictions kept before the mark because they are labelled or in the review queue (SQLite).
    public var keptPredictions: Int
    /// Day partitions dropped (PostgreSQL).
    public var droppedPartitions: Int

    public init(mark: Int64, deletedPredictions: Int = 0, keptPredictions: Int = 0, droppedPartitions: Int = 0) {
        self.mark = mark
        self.deletedPredictions = deletedPredictions
        self.keptPredictions = keptPredictions
        self.droppedPartitions = droppedPartitions
    }

    /// One line for a job run's output.
    public var summary: String {
        var parts: [String] = []
        if droppedPartitions > 0 { parts.append("dropped \(droppedPartitions) day partition\(droppedPartitions == 1 ? "" : "s")") }
        if deletedPredictions > 0 || keptPredictions > 0 {
            parts.append("deleted \(deletedPredictions) raw prediction\(deletedPredictions == 1 ? "" : "s") (kept \(keptPredictions) labelled or queued)")
        }
        if parts.isEmpty { parts.append("nothing to remove") }
        return parts.joined(separator: ", ") + "; retention mark \(Timestamp.format(millis: mark))"
    }
}

extension RecordError {
    /// The refusal of a prediction older than the store's retention mark.
    public static func beforeRetention(_ r: PredictionRecord, mark: Int64) -> RecordError {
        RecordError(line: r.line, field: "ts",
                    reason: "before the store's retention mark \(Timestamp.format(millis: mark)): raw predictions of that time were removed, so this one cannot be checked against them; send only newer predictions",
                    id: r.id)
    }
}
