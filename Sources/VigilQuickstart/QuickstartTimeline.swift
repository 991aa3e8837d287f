import Foundation
import VigilCore
import VigilJobs
import VigilRegistry
import VigilStore

/// The story of a quickstart run, read back from the store: one row per simulated day, and
/// the moments that matter (first detection, first alert delivered, the promotion, recovery).
public struct QuickstartTimeline: Sendable {
    /// One simulated day.
    public struct Day: Sendable {
        public var day: Int
        public var date: String
        public var domain: String
        public var predictions: Int
        /// The evaluation of this day's traffic (run the next day at 01:00), if any.
        public var status: EvaluationStatus?
        public var map50: Double?
        public var map: Double?
        public var mapInterval: Interval?
        public var findings: Int
        /// Drift tests that fired in that evaluation.
        public var driftFired: Int
        /// Things that happened on this day: alerts delivered, retraining, gate, promotion.
        public var notes: [String]
    }

    public var days: [Day]
    public var changeDay: Int
    /// Hours from the camera change to the first evaluation that was not ok.
    public var hoursToDetection: Double?
    /// Hours from the camera change to the first alert delivered.
    public var hoursToFirstAlert: Double?
    /// Alert notifications delivered before the camera change: false alarms, on an unchanged camera.
    public var deliveredBeforeChange = 0
    /// The version promoted by the gate after the change, with the verdict's summary.
    public var promoted: (version: Int, verdict: String)?
    /// The map50 threshold the policy warns below.
    public var warningMap50: Double?

    /// True when the evaluations of the last two days have no critical finding and map50 at or
    /// above the policy's warning threshold.
    public var recovered: Bool {
        let judged = days.filter { $0.status != nil }.suffix(2)
        return judged.count == 2 && judged.allSatisfy { $0.status != .critical && ($0.map50 ?? 0) >= (warningMap50 ?? 0) }
    }

    public static func load(store: any Store, registry: any ModelRegistry, model: String, settings: QuickstartSettings,
                            warningMap50: Double?) throws -> QuickstartTimeline {
        let history = try ReportHistory.load(store: store, model: model, since: settings.start)
        let events = try store.events(model: model, limit: 100_000).sorted { $0.ts < $1.ts }
        let change = settings.dayStart(settings.changeDay)
        var days: [Day] = []
        for d in 0..<settings.days {
            let from = settings.dayStart(d), to = settings.dayStart(d + 1)
            var row = Day(day: d, date: String(Timestamp.format(millis: from).prefix(10)), domain: d >= settings.changeDay ? "shifted" : "source",
                          predictions: try store.predictionCount(model: model, window: TimeWindow(from: from, to: to)),
                          status: nil, map50: nil, map: nil, mapInterval: nil, findings: 0, driftFired: 0, notes: [])
            if let i = history.times.lastIndex(of: to) {
                let r = history.reports[i]
                row.status = r.status
                row.map50 = ReportHistory.value("map50", in: r)?.value
                if let m = ReportHistory.value("map", in: r) { row.map = m.value; row.mapInterval = m.interval }
                row.findings = r.findings.count
                row.driftFired = r.drift?.tests.filter { $0.severity == .warning || $0.severity == .critical }.count ?? 0
            }
            for e in events where e.ts >= from && e.ts < to {
                if let note = note(for: e) { row.notes.append(note) }
            }
            days.append(row)
        }
        var timeline = QuickstartTimeline(days: days, changeDay: settings.changeDay, hoursToDetection: nil, hoursToFirstAlert: nil, promoted: nil,
                                         warningMap50: warningMap50)
        if let i = history.reports.indices.first(where: { history.times[$0] > change && history.reports[$0].status != .ok }),
           let run = history.reports[i].runID, let stored = try store.evaluationHistory(model: model, since: change, limit: 1000).first(where: { $0.id == run }) {
            timeline.hoursToDetection = Double(stored.createdAt - change) / 3_600_000
        }
        timeline.deliveredBeforeChange = events.filter { $0.ts < change && $0.kind == "alert.delivery.delivered" }.count
        if let first = events.first(where: { $0.ts >= change && $0.kind == "alert.delivery.delivered" }) {
            timeline.hoursToFirstAlert = Double(first.ts - change) / 3_600_000
        }
        if let move = try registry.history(model: model, limit: 100).first(where: { $0.alias == "champion" && $0.ts >= change && $0.kind == .promote }),
           let version = try registry.version(model: model, version: move.toVersion) {
            timeline.promoted = (move.toVersion, ModelCard.decode(version.card, classes: version.classes).gate?.summary ?? "no verdict recorded")
        }
        return timeline
    }

    /// A short note for the events worth a line in the timeline.
    static func note(for e: Event) -> String? {
        let details = (try? JSONSerialization.jsonObject(with: Data(e.details.utf8))) as? [String: Any] ?? [:]
        switch e.kind {
        case "alert.firing": return "alert firing: \(details["rule"] ?? e.subject ?? "")"
        case "alert.resolved": return "alert resolved: \(details["rule"] ?? e.subject ?? "")"
        case "alert.delivery.delivered": return "delivered → \(details["receiver"] ?? "?")"
        case "registry.registered": return "registered \(e.subject ?? "a version")"
        case "registry.updated": return "gate verdict recorded for \(e.subject ?? "?")"
        default:
            if e.kind.hasPrefix("retrain.") { return e.kind.replacingOccurrences(of: "retrain.", with: "retraining job ") + (e.subject.map { " (\($0))" } ?? "") }
            if e.kind.hasPrefix("registry.alias") || e.kind.hasPrefix("registry.promot") { return "champion → \(e.subject ?? "?")" }
            return nil
        }
    }

    /// The day-by-day table, ending with the story's key moments.
    public func render() -> String {
        var out = "day  date        camera   predictions  evaluation of the day        mAP@.5  mAP (95% interval)     drift  notes\n"
        for d in days {
            let status = d.status.map { $0.rawValue.uppercased() } ?? "-"
            let map50 = d.map50.map { String(format: "%.3f", $0) } ?? "  -  "
            let map = d.map.map { m in String(format: "%.3f", m) + (d.mapInterval.map { String(format: " [%.3f, %.3f]", $0.lower, $0.upper) } ?? "") } ?? "-"
            let notes = Self.condense(d.notes)
            out += String(format: "%3d  %@  %-7@  %11d  %-27@  %6@  %-21@  %5@  %@\n", d.day, d.date, d.domain, d.predictions,
                          "\(status)" + (d.findings > 0 ? " (\(d.findings) findings)" : ""), map50, map, d.driftFired > 0 ? "\(d.driftFired)" : "-", notes)
        }
        return out
    }

    /// "delivered → team-slack" ×3 → one entry with a count.
    static func condense(_ notes: [String]) -> String {
        var order: [String] = [], count: [String: Int] = [:]
        for n in notes {
            if count[n] == nil { order.append(n) }
            count[n, default: 0] += 1
        }
        return order.map { count[$0]! > 1 ? "\($0) ×\(count[$0]!)" : $0 }.joined(separator: "; ")
    }
}
