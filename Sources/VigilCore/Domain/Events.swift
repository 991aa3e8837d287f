import Foundation

/// A half-open time range `[from, to)` in milliseconds since the epoch.
public struct TimeWindow: Sendable, Equatable, Codable {
    public var from: Int64
    public var to: Int64
    public init(from: Int64, to: Int64) { self.from = from; self.to = to }

    /// The window cut at hour boundaries: the whole hours inside it (hour numbers, half-open,
    /// `nil` when there is none) and the partial stretches left at either end. Per-hour
    /// aggregates answer the first, the rows themselves the second.
    public var byHour: (wholeHours: Range<Int64>?, edges: [TimeWindow]) {
        let hour: Int64 = 3_600_000
        let firstWhole = (from + hour - 1) / hour  // from >= 0: stored instants are after 1970
        let endWhole = to / hour
        guard firstWhole < endWhole else { return (nil, from < to ? [self] : []) }
        let edges = [TimeWindow(from: from, to: firstWhole * hour), TimeWindow(from: endWhole * hour, to: to)].filter { $0.from < $0.to }
        return (firstWhole..<endWhole, edges)
    }
}

/// One evaluation, ready to store.
public struct EvaluationRunRecord: Sendable {
    public var model: String
    public var createdAt: Int64
    public var window: TimeWindow
    public var status: EvaluationStatus
    public var labeled: Int
    public var findings: [Finding]
    /// The full report as JSON, as `vigil evaluate --format json` prints it.
    public var reportJSON: String
    public var actor: String

    public init(model: String, createdAt: Int64, window: TimeWindow, status: EvaluationStatus, labeled: Int,
                findings: [Finding], reportJSON: String, actor: String) {
        self.model = model
        self.createdAt = createdAt
        self.window = window
        self.status = status
        self.labeled = labeled
        self.findings = findings
        self.reportJSON = reportJSON
        self.actor = actor
    }
}

/// An entry of the append-only event log: who did what, when.
public struct Event: Sendable, Equatable, Codable {
    public var id: Int64?
    public var ts: Int64
    public var actor: String
    /// Dotted kind, e.g. `ingest.predictions`, `evaluation.run`, `label.relabel`.
    public var kind: String
    public var model: String?
    /// What it is about (a run id, a prediction id, a file).
    public var subject: String?
    /// Details as a JSON object.
    public var details: String

    public init(id: Int64? = nil, ts: Int64, actor: String, kind: String, model: String?, subject: String?, details: String) {
        self.id = id
        self.ts = ts
        self.actor = actor
        self.kind = kind
        self.model = model
        self.subject = subject
        self.details = details
    }
}
