import VigilStore

extension PostgresStore {
    /// Drops the day partitions that end before `cutoff` (see ``dropPartitions(before:)``):
    /// retention without a row-by-row delete. Labelled predictions of those days lose their raw
    /// rows too; their ground truth, the per-hour aggregates and evaluation runs stay.
    public func applyRetention(before cutoff: Int64) throws -> RetentionOutcome {
        let dropped = try dropPartitions(before: cutoff)
        return RetentionOutcome(mark: try retentionMark() ?? 0, droppedPartitions: dropped)
    }

    public func retentionMark() throws -> Int64? {
        try read { s in try Self.retentionMark(s) }
    }

    /// The retention mark as seen in `s`'s transaction.
    static func retentionMark(_ s: PostgresSession) throws -> Int64? {
        try s.one("SELECT before FROM retention_mark WHERE id = 1")?.int(0)
    }
}
