import Foundation
import VigilCore
import VigilStore

/// A model's stored evaluations over time (the newest run of each window, oldest first) and
/// what happened besides: alert episodes and the events worth a line (``ReportEvents``).
public struct ReportHistory: Sendable {
    public var model: String
    public var reports: [EvaluationReport]
    /// The end of each report's window, ms (the x coordinate of its point).
    public var times: [Int64]
    /// Alert episodes, events and notices from `since` on.
    public var timeline: ReportEvents
    /// The start of the period shown, ms.
    public var since: Int64

    /// How many of the model's newest events are read (the whole log of a busy year).
    static let eventLimit = 200_000

    /// Loads the history of `model` for windows ending at or after `since` (at most `limit` windows).
    public static func load(store: any Store, model: String, since: Int64, limit: Int = 400) throws -> ReportHistory {
        var reports: [EvaluationReport] = [], times: [Int64] = []
        let decoder = JSONDecoder()
        for run in try store.evaluationHistory(model: model, since: since, limit: limit) {
            // A report this build cannot read (an older schema) is left out rather than guessed at.
            guard var report = try? decoder.decode(EvaluationReport.self, from: Data(run.report.utf8)) else { continue }
            report.runID = run.id
            reports.append(report)
            times.append(run.window.to)
        }
        // The whole log, oldest first: an episode that began before `since` is still known.
        let log = try store.events(model: model, kind: nil, limit: eventLimit).reversed()
        return ReportHistory(model: model, reports: reports, times: times, timeline: ReportEvents(log: Array(log), since: since), since: since)
    }

    /// A model-level value of a report by metric name (`accuracy`, `macro_f1`, `map`, `map50`, …),
    /// with its interval when the report has one; nil when the report lacks it or it is undefined
    /// (a window without reviewed items has no accuracy, not an accuracy of 0).
    public static func value(_ metric: String, in r: EvaluationReport) -> (value: Double, interval: Interval?)? {
        if let m = r.metrics {
            let averages = [("macro", m.macro), ("micro", m.micro), ("weighted", m.weighted)]
            if metric == "accuracy" { return m.definedAccuracy.map { ($0, m.accuracyInterval) } }
            for (name, a) in averages {
                guard let a = m.defined(a) else { continue }
                switch metric {
                case "\(name)_precision": return (a.precision, nil)
                case "\(name)_recall": return (a.recall, nil)
                case "\(name)_f1": return (a.f1, nil)
                default: continue
                }
            }
        }
        if let d = r.detection, r.labeled > 0 {
            let name = ["map": "AP", "map50": "AP50", "map75": "AP75"][metric]
            if let name, let v = d.defined(name) { return (v, metric == "map" ? d.mapInterval : nil) }
        }
        return nil
    }

    /// The model-level metrics worth a trend line for the task.
    public static func headlineMetrics(_ task: ModelTask) -> [String] {
        task == .detection ? ["map", "map50", "map75"] : ["accuracy", "macro_f1", "weighted_f1"]
    }

    /// Per class and time: recall (classifiers) or AP50 (detectors), with the evidence verdict;
    /// the value is `nil` where it is undefined (no reviewed item of the class in the window).
    public static func perClass(_ r: EvaluationReport) -> [(name: String, value: Double?, interval: Interval?, evidence: Severity)] {
        if let m = r.metrics { return m.perClass.map { ($0.className, $0.definedRecall, $0.recallInterval, $0.evidence) } }
        if let d = r.detection { return d.perClass.map { ($0.className, $0.definedAP50, nil, $0.evidence) } }
        return []
    }
}
