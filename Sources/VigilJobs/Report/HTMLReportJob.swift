import Foundation
import VigilCore
import VigilStore

/// Writes the HTML report for some models to a file, atomically (a half-written report never
/// replaces a good one).
public struct HTMLReportJob {
    public let store: any Store
    public let clock: any VigilClock

    public init(store: any Store, clock: any VigilClock) {
        self.store = store
        self.clock = clock
    }

    /// What was written.
    public struct Summary: Sendable {
        public var path: String
        public var models: [String]
        public var evaluations: Int
        public var bytes: Int
    }

    /// Renders `models` over windows ending within `seconds` before now, and writes `path`.
    public func write(models: [String], seconds: Int64, to path: String) throws -> Summary {
        guard seconds > 0 else { throw JobError("--since must be a positive length of time, e.g. 30d") }
        let now = Timestamp.millis(clock.now)
        let since = now - seconds * 1000
        let histories = try models.map { try ReportHistory.load(store: store, model: $0, since: since) }
        let html = HTMLReport.render(histories, generatedAt: now)
        let data = Data(html.utf8)
        let url = URL(fileURLWithPath: path)
        do {
            try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
            try data.write(to: url, options: .atomic)
        } catch {
            throw JobError("cannot write the report to \(path): \(error.localizedDescription); check that the folder is writable")
        }
        return Summary(path: path, models: models, evaluations: histories.reduce(0) { $0 + $1.reports.count }, bytes: data.count)
    }
}
