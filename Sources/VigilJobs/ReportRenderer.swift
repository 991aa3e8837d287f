import Foundation
import VigilCore

/// Renders evaluation reports as text for a terminal or a cron mail.
public enum ReportRenderer {
    /// A monitoring-plugin style status line: `VIGIL WARNING - shelf-classifier: …`, then
    /// perfdata after `|` (`'label'=value;warn;crit;min;max`).
    public static func statusLine(_ r: EvaluationReport) -> String {
        let counts = Dictionary(grouping: r.findings, by: \.severity).mapValues(\.count)
        var s = "VIGIL \(r.status.rawValue.uppercased()) - \(r.model): \(counts[.critical] ?? 0) critical, \(counts[.warning] ?? 0) warning, \(counts[.info] ?? 0) info, "
            + "\(counts[.insufficientEvidence] ?? 0) insufficient-evidence, \(counts[.ok] ?? 0) ok; \(r.labeled) reviewed of \(r.predictionsInWindow) predictions"
        let perf = r.findings.compactMap { f -> String? in
            guard let v = f.value else { return nil }
            // Drift statistics are not ratios: no min/max.
            if f.rule.hasPrefix("drift.") { return "'\(f.rule)'=\(fmt(v, 4));;;;" }
            return "'\(f.rule)'=\(fmt(v, 4));\(f.warning.map { fmt($0, 4) } ?? "");\(f.critical.map { fmt($0, 4) } ?? "");0;1"
        }
        if !perf.isEmpty { s += " | " + perf.joined(separator: " ") }
        return s
    }

    /// The full table report.
    public static func table(_ r: EvaluationReport) -> String {
        var out = statusLine(r) + "\n\n"
        out += "model      \(r.model) (\(r.task.rawValue))\n"
        out += "window     \(r.window.from) → \(r.window.to)\n"
        out += "reviewed   \(r.labeled) of \(r.predictionsInWindow) predictions (estimator: \(r.estimator))\n"
        if let id = r.runID { out += "run        \(id)\n" }
        if let b = r.baseline {
            out += "baseline   \(b.from) → \(b.to), \(b.source)"
            if let a = b.accuracy { out += "; accuracy \(fmt(a, 4))" + (b.accuracyInterval.map { "  [\(fmt($0.lower, 3)), \(fmt($0.upper, 3))]" } ?? "") + " on \(b.labeled) reviewed" }
            out += b.used ? "\n" : "; not used yet (it has not ended)\n"
        }
        for note in r.notes { out += "note       \(note)\n" }
        if let m = r.metrics {
            out += "\naccuracy   \(dash(m.definedAccuracy, 4))" + (m.definedAccuracy == nil ? "  (no reviewed items in the window)" : "")
                + (m.accuracyInterval.map { "  [\(fmt($0.lower, 3)), \(fmt($0.upper, 3))]" } ?? "") + "\n"
            out += "           precision  recall     f1\n"
            for (name, a) in [("macro", m.defined(m.macro)), ("micro", m.defined(m.micro)), ("weighted", m.defined(m.weighted))] {
                out += pad(name, 11) + pad(dash(a?.precision, 4), 11) + pad(dash(a?.recall, 4), 11) + dash(a?.f1, 4) + "\n"
            }
            let width = max(8, (m.perClass.map(\.className.count).max() ?? 0) + 2)
            out += "\n" + pad("class", width) + pad("precision", 24) + pad("recall", 24) + pad("f1", 8) + pad("support", 9) + "evidence\n"
            for c in m.perClass {
                out += pad(c.className, width)
                    + pad(dash(c.definedPrecision, 3) + (c.definedPrecision == nil ? "" : c.precisionInterval.map { " [\(fmt($0.lower, 3)),\(fmt($0.upper, 3))]" } ?? ""), 24)
                    + pad(dash(c.definedRecall, 3) + (c.definedRecall == nil ? "" : c.recallInterval.map { " [\(fmt($0.lower, 3)),\(fmt($0.upper, 3))]" } ?? ""), 24)
                    + pad(dash(c.definedF1, 3), 8) + pad(String(c.support), 9) + c.evidence.rawValue + "\n"
            }
        }
        if let w = r.weighted {
            out += "\nHájek estimates (1/π-weighted, \(w.reviewed) queue items standing for \(fmt(w.representedPredictions, 0)) predictions, effective n \(fmt(w.effectiveSampleSize, 1)))\n"
            out += "accuracy   \(fmt(w.accuracy, 4))" + (w.accuracyInterval.map { "  [\(fmt($0.lower, 3)), \(fmt($0.upper, 3))] bootstrap" } ?? "") + "\n"
            let width = max(8, (w.perClass.map(\.className.count).max() ?? 0) + 2)
            out += pad("class", width) + pad("precision", 24) + pad("recall", 24) + pad("f1", 8) + "share\n"
            for c in w.perClass {
                out += pad(c.className, width)
                    + pad(fmt(c.precision, 3) + (c.precisionInterval.map { " [\(fmt($0.lower, 3)),\(fmt($0.upper, 3))]" } ?? ""), 24)
                    + pad(fmt(c.recall, 3) + (c.recallInterval.map { " [\(fmt($0.lower, 3)),\(fmt($0.upper, 3))]" } ?? ""), 24)
                    + pad(fmt(c.f1, 3), 8) + fmt(c.observedShare, 3) + "\n"
            }
        }
        if let d = r.detection {
            out += "\nCOCO (\(d.images) reviewed images)\n"
            for name in DetectionEvaluation.statNames {
                out += "  " + pad(name, 10) + dash(d.defined(name), 4)
                if name == "AP", let i = d.mapInterval { out += "  [\(fmt(i.lower, 4)), \(fmt(i.upper, 4))] bootstrap" }
                out += "\n"
            }
            let width = max(8, (d.perClass.map(\.className.count).max() ?? 0) + 2)
            out += "\nper class (precision/recall/F1 at IoU \(fmt(d.iouThreshold, 2)), score ≥ \(fmt(d.scoreThreshold, 2)))\n"
            out += pad("class", width) + pad("AP", 8) + pad("AP50", 8) + pad("precision", 11) + pad("recall", 9) + pad("f1", 8)
                + pad("gt boxes", 10) + "evidence\n"
            for c in d.perClass {
                out += pad(c.className, width) + pad(dash(c.definedAP, 3), 8) + pad(dash(c.definedAP50, 3), 8) + pad(dash(c.definedPrecision, 3), 11)
                    + pad(dash(c.definedRecall, 3), 9) + pad(dash(c.definedF1, 3), 8) + pad(String(c.groundTruthBoxes), 10) + c.evidence.rawValue + "\n"
            }
            if d.perClass.count <= 20 {
                let names = d.perClass.map(\.className) + ["background"]
                let w = max(7, (names.map(\.count).max() ?? 0) + 1)
                out += "\ndetection confusion (rows ground truth, columns predicted; background = nothing there / missed)\n"
                out += pad("", w) + names.map { lpad($0, w) }.joined() + "\n"
                for (k, row) in d.confusion.enumerated() { out += pad(names[k], w) + row.map { lpad(String($0), w) }.joined() + "\n" }
            }
            if let t = d.errorTaxonomy {
                out += "\nTIDE errors (AP50 \(fmt(t.ap50 * 100, 2)); dAP in AP50 points, count): "
                    + ErrorTaxonomy.Kind.allCases.map { "\($0.rawValue) \(fmt(t.errors[$0].dap * 100, 2)) (\(t.errors[$0].count))" }.joined(separator: ", ") + "\n"
            }
            if let c = d.calibration, let ece = c.overall.ece {
                out += "box-score calibration (D-ECE at IoU \(fmt(c.iouThreshold, 2)), \(c.overall.detections) boxes): \(fmt(ece, 3))"
                    + (c.interval.map { " [\(fmt($0.lower, 3)), \(fmt($0.upper, 3))]" } ?? "") + "\n"
            }
        }
        if let cm = r.confusionMatrix, r.classes.count <= 20 {
            let w = max(7, (r.classes.map(\.count).max() ?? 0) + 1, (cm.counts.flatMap { $0 }.max().map { String($0).count } ?? 0) + 1)
            out += "\nconfusion (rows observed, columns predicted)\n" + pad("", w) + r.classes.map { lpad($0, w) }.joined() + "\n"
            for (k, row) in cm.counts.enumerated() {
                out += pad(r.classes[k], w) + row.map { lpad(String($0), w) }.joined() + "\n"
            }
        }
        if let d = r.drift { out += drift(d, classCount: r.classes.count) }
        if !r.findings.isEmpty {
            out += "\nfindings\n"
            for f in r.findings.sorted(by: { $0.severity > $1.severity }) {
                out += "  " + pad(f.severity.rawValue, 22) + f.message + "\n"
            }
        }
        return out
    }

    /// The drift section: one row per test (per-class rows only where a class is not ok, when
    /// there are many classes).
    static func drift(_ d: DriftReport, classCount: Int) -> String {
        var out = "\ndrift (reference: \(d.reference.kind.replacingOccurrences(of: "_", with: " "))"
        if let from = d.reference.from, let to = d.reference.to { out += " \(from) → \(to)" }
        out += "; significant: Benjamini–Hochberg-adjusted p < \(d.alpha))\n"
        out += pad("target", 20) + pad("test", 14) + pad("class", 12) + pad("statistic", 12) + pad("p", 11) + pad("adj. p", 11)
            + pad("effect", 26) + "verdict\n"
        for t in d.tests where t.className == nil || classCount <= 20 || t.severity != .ok {
            let effect = t.effectSize.map { fmt($0, 4) + (t.interval.map { i in " [\(fmt(i.lower, 3)),\(fmt(i.upper, 3))]" } ?? "") } ?? ""
            out += pad(t.target, 20) + pad(t.test, 14) + pad(t.className ?? "", 12) + pad(fmt(t.statistic, 4), 12)
                + pad(t.pValue.map(pValue) ?? "", 11) + pad(t.adjustedPValue.map(pValue) ?? "", 11) + pad(effect, 26) + t.severity.rawValue + "\n"
        }
        for note in d.notes { out += "note: \(note)\n" }
        return out
    }

    /// Sparklines of the headline metrics over the stored windows (oldest first), one line
    /// each, scaled to the line's own range; empty with fewer than two windows.
    public static func trend(_ h: ReportHistory) -> String {
        guard h.reports.count >= 2, let task = h.reports.last?.task else { return "" }
        var out = "\ntrend over the last \(h.reports.count) windows (" + String(h.reports.first!.window.to.prefix(10)) + " → "
            + String(h.reports.last!.window.to.prefix(10)) + "; each line scaled to its own min–max)\n"
        for metric in ReportHistory.headlineMetrics(task) {
            let values = h.reports.map { ReportHistory.value(metric, in: $0)?.value }
            guard let last = values.last ?? nil else { continue }
            let known = values.compactMap { $0 }
            out += pad(metric, 13) + Sparkline.render(values) + "  now " + fmt(last, 4)
                + "  (min " + fmt(known.min()!, 4) + ", max " + fmt(known.max()!, 4) + ")\n"
        }
        return out
    }

    static func pValue(_ p: Double) -> String { p < 1e-4 ? String(format: "%.1e", p) : String(format: "%.4f", p) }

    static func fmt(_ v: Double, _ digits: Int) -> String { String(format: "%.\(digits)f", v) }
    /// A defined value with `digits` decimals; "—" for an undefined one.
    static func dash(_ v: Double?, _ digits: Int) -> String { v.map { fmt($0, digits) } ?? "—" }
    static func pad(_ s: String, _ w: Int) -> String { s.count >= w ? s + " " : s + String(repeating: " ", count: w - s.count) }
    static func lpad(_ s: String, _ w: Int) -> String { s.count >= w ? " " + s : String(repeating: " ", count: w - s.count) + s }
}
