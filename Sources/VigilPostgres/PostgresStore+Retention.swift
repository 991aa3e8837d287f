import VigilStore

extension PostgresStore {
    /// Drops the day partitions that end before `cutoff` (see ``dropPartitions(before:)``):
    /// retention without a row-by-row delete. Labelled predictions of those days lose their raw
    /// rows too; their ground truth, the per-hour aggregates and evaluation runs stay.
    public func applyRetention(before cutoff: Int64) throws -> RetentionOutcome {
        let dropped = try dropPartitions(before: cutoff)
        return RetentionOutcome(mark: try retentionMark() ?? 0, droppedPartitions: dropped)
    }
}
