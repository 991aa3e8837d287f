import Foundation

/// One stored evaluation run: its id, when it ran, its window and the report JSON.
public struct StoredEvaluationRun: Sendable, Equatable {
    public var id: Int64
    /// When the run was made, ms since the epoch.
    public var createdAt: Int64
    public var window: TimeWindow
    /// The `vigil evaluate --format json` document of the run.
    public var report: String

    public init(id: Int64, createdAt: Int64, window: TimeWindow, report: String) {
        self.id = id
        self.createdAt = createdAt
        self.window = window
        self.report = report
    }
}
