import Foundation
import VigilCore
import VigilStore

/// A model's stored evaluations over time (the newest run of each window, oldest first) and
/// the events worth marking on a time line: alerts, retraining and registry moves.
public struct ReportHistory: Sendable {
    /// A marked event.
    public struct Mark: Sendable, Equatable {
        public enum Kind: String, Sendable { case alert, retraining, promotion }
        public var kind: Kind
        public var time: Int64
        public var label: String
    }

    public var model: String
    public var reports: [EvaluationReport]
    /// The end of each report's window, ms (the x coordinate of its point).
    public var times: [Int64]
    public var marks: [Mark]

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
        let marks = try store.events(model: model, limit: 20_000).compactMap { e -> Mark? in
            guard e.ts >= since, let kind = markKind(e.kind) else { return nil }
            return Mark(kind: kind, time: e.ts, label: markLabel(e))
        }.sorted { $0.time < $1.time }
        return ReportHistory(model: model, reports: reports, times: times, marks: marks)
    }

    static func markKind(_ kind: String) -> Mark.Kind? {
        if kind == "alert.notification.queued" { return .alert }
        if kind.hasPrefix("retrain.") { return .retraining }
        if kind.hasPrefix("registry.promot") || kind.hasPrefix("registry.rollback") || kind == "registry.alias" { return .promotion }
        return nil
    }

    static func markLabel(_ e: Event) -> String {
        let details = (try? JSONSerialization.jsonObject(with: Data(e.details.utf8))) as? [String: Any] ?? [:]
        let status = details["status"].map { " \($0)" } ?? ""
        let receiver = details["receiver"].map { " → \($0)" } ?? ""
        return e.kind + status + receiver + (e.subject.map { " (\($0))" } ?? "")
    }

    /// A model-level value of a report by metric name (`accuracy`, `macro_f1`, `map`, `map50`, …),
    /// with its interval when the report has one; nil when the report lacks it or it is undefined.
    public static func value(_ metric: String, in r: EvaluationReport) -> (value: Double, interval: Interval?)? {
        if let m = r.metrics {
            switch metric {
            case "accuracy": return (m.accuracy, m.accuracyInterval)
            case "macro_precision": return (m.macro.precision, nil)
            case "macro_recall": return (m.macro.recall, nil)
            case "macro_f1": return (m.macro.f1, nil)
            case "micro_precision": return (m.micro.precision, nil)
            case "micro_recall": return (m.micro.recall, nil)
            case "micro_f1": return (m.micro.f1, nil)
            case "weighted_precision": return (m.weighted.precision, nil)
            case "weighted_recall": return (m.weighted.recall, nil)
            case "weighted_f1": return (m.weighted.f1, nil)
            default: break
            }
        }
        if let d = r.detection {
            let name = ["map": "AP", "map50": "AP50", "map75": "AP75"][metric]
            if let name, let v = d.coco[name], v >= 0 { return (v, metric == "map" ? d.mapInterval : nil) }
        }
        return nil
    }

    /// The model-level metrics worth a trend line for the task.
    public static func headlineMetrics(_ task: ModelTask) -> [String] {
        task == .detection ? ["map", "map50", "map75"] : ["accuracy", "macro_f1", "weighted_f1"]
    }

    /// Per class and time: recall (classifiers) or AP50 (detectors), with the evidence verdict.
    public static func perClass(_ r: EvaluationReport) -> [(name: String, value: Double, interval: Interval?, evidence: Severity)] {
        if let m = r.metrics { return m.perClass.map { ($0.className, $0.recall, $0.recallInterval, $0.evidence) } }
        if let d = r.detection { return d.perClass.map { ($0.className, $0.ap50, nil, $0.evidence) } }
        return []
    }
}
