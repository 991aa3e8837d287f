import Foundation
import VigilCore

/// `vigil report --html`: one self-contained HTML file (inline SVG and CSS, no scripts, no
/// network) per set of models: the current verdict first, then metrics over time with
/// interval bands and threshold lines, per-class values over time and now, drift tests over
/// time, the confusion table as a heat map, and markers for alerts, retraining and promotions.
///
/// The markup is well-formed XML (XHTML syntax), so it can be checked by any XML parser.
public enum HTMLReport {
    static let markColour: [ReportHistory.Mark.Kind: String] = [.alert: "#d62728", .retraining: "#9467bd", .promotion: "#2ca02c"]
    static let statusColour: [EvaluationStatus: String] = [.ok: "#2ca02c", .warning: "#ff9800", .critical: "#d62728", .unknown: "#757575"]

    /// The whole document for `histories` (one section per model), stamped `generatedAt`.
    public static func render(_ histories: [ReportHistory], generatedAt: Int64) -> String {
        var html = """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>
        <title>Vigil report</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
        h1 { font-size: 22px; } h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
        h3 { font-size: 15px; margin-top: 22px; }
        .verdict { display: inline-block; padding: 4px 12px; border-radius: 4px; color: #fff; font-weight: 600; }
        .chart { display: block; margin: 8px 0 16px; font-size: 11px; }
        .chart-title { font-size: 13px; font-weight: 600; }
        .grid { stroke: #eee; } .cell { font-size: 10px; }
        table { border-collapse: collapse; } td, th { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: left; }
        .legend span { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px; }
        .muted { color: #757575; }
        </style></head><body>
        <h1>Vigil report</h1>
        <p class="muted">Generated \(Timestamp.format(millis: generatedAt)). Points are evaluation windows (by window end);
        bands are 95% intervals; dashed lines are the policy's thresholds; vertical lines mark
        <span style="color:#d62728">alerts</span>, <span style="color:#9467bd">retraining</span> and
        <span style="color:#2ca02c">promotions</span>. Hover a mark for its value.</p>

        """
        if histories.isEmpty { html += "<p>No models.</p>" }
        for h in histories { html += section(h) }
        return html + "</body></html>\n"
    }

    static func section(_ h: ReportHistory) -> String {
        let e = SVGChart.escape
        var html = "<h2 id=\"model-\(e(h.model))\">\(e(h.model))</h2>"
        guard let latest = h.reports.last else {
            return html + "<p>No stored evaluations yet: run <code>vigil evaluate --model \(e(h.model))</code> (or let the scheduler do it).</p>"
        }
        html += verdict(latest)
        let markers = h.marks.map { SVGChart.Marker(time: $0.time, label: $0.label, colour: markColour[$0.kind] ?? "#999") }
        // metrics over time
        let headline = ReportHistory.headlineMetrics(latest.task)
        var series: [SVGChart.Series] = []
        for (i, metric) in headline.enumerated() {
            let points = zip(h.times, h.reports).compactMap { t, r in
                ReportHistory.value(metric, in: r).map { SVGChart.Point(time: t, value: $0.value, lower: $0.interval?.lower, upper: $0.interval?.upper) }
            }
            if !points.isEmpty { series.append(SVGChart.Series(name: metric, colour: SVGChart.palette[i], points: points)) }
        }
        html += "<h3>Metrics over time</h3>"
        html += SVGChart.lines(title: "\(h.model): \(headline.joined(separator: ", "))", series: series,
                               rules: rules(latest, metrics: Set(headline), classLevel: false), markers: markers, yRange: 0...1)
        // per class over time
        let classMetric = latest.task == .detection ? "AP50" : "recall"
        let classNames = ReportHistory.perClass(latest).map(\.name)
        let classSeries = classNames.enumerated().map { k, name in
            SVGChart.Series(name: name, colour: SVGChart.palette[k % SVGChart.palette.count], points: zip(h.times, h.reports).compactMap { t, r in
                ReportHistory.perClass(r).first { $0.name == name && $0.value >= 0 && $0.evidence != .insufficientEvidence }
                    .map { SVGChart.Point(time: t, value: $0.value, lower: nil, upper: nil) }
            })
        }
        html += SVGChart.lines(title: "\(classMetric) per class (windows with enough evidence)", series: classSeries,
                               rules: rules(latest, metrics: [latest.task == .detection ? "ap50" : "recall"], classLevel: true),
                               markers: markers, yRange: 0...1, height: 260)
        // per class now
        let bars = ReportHistory.perClass(latest).map {
            SVGChart.Bar(label: $0.name, value: max(0, $0.value), interval: $0.interval, greyed: $0.evidence == .insufficientEvidence,
                         note: $0.evidence == .insufficientEvidence ? "(insufficient evidence)" : "")
        }
        html += "<h3>Per class, latest window (\(e(latest.window.from)) → \(e(latest.window.to)))</h3>"
        html += SVGChart.bars(title: "\(classMetric) per class; grey * = insufficient evidence", bars: bars,
                              rules: rules(latest, metrics: [latest.task == .detection ? "ap50" : "recall"], classLevel: true))
        // drift over time
        html += drift(h, markers: markers)
        // confusion
        html += "<h3>Confusion table, latest window</h3>"
        if let c = latest.confusionMatrix {
            html += SVGChart.heatmap(title: "reviewed (rows) vs predicted (columns)", rows: latest.classes, columns: latest.classes,
                                     counts: c.counts, rowAxis: "observed class", columnAxis: "predicted class")
        } else if let d = latest.detection {
            let names = latest.classes + ["background"]
            html += SVGChart.heatmap(title: "ground truth (rows) vs detections (columns) at IoU \(SVGChart.number(d.iouThreshold, 2)), score ≥ \(SVGChart.number(d.scoreThreshold, 2))",
                                     rows: names, columns: names, counts: d.confusion, rowAxis: "ground truth (background: false detections)",
                                     columnAxis: "detected (background: missed)")
        } else {
            html += "<p class=\"muted\">No reviewed items in the latest window.</p>"
        }
        html += events(h)
        return html
    }

    static func verdict(_ r: EvaluationReport) -> String {
        let e = SVGChart.escape
        var html = "<p><span class=\"verdict\" style=\"background:\(statusColour[r.status] ?? "#757575")\">\(r.status.rawValue.uppercased())</span> "
        html += "latest window \(e(r.window.from)) → \(e(r.window.to)); \(r.labeled) reviewed of \(r.predictionsInWindow) predictions</p>"
        if let b = r.baseline {
            let accuracy = b.accuracy.map { String(format: "accuracy %.3f", $0) + (b.accuracyInterval.map { String(format: " [%.3f, %.3f]", $0.lower, $0.upper) } ?? "") + " on \(b.labeled) reviewed, " } ?? ""
            html += "<p>baseline \(e(b.from)) → \(e(b.to)): \(e(accuracy))\(e(b.source))\(b.used ? "" : "; not used yet (it has not ended)")</p>"
        }
        let shown = r.findings.filter { $0.severity != .ok }.sorted { $0.severity > $1.severity }.prefix(12)
        if !shown.isEmpty {
            html += "<table><tr><th>severity</th><th>finding</th></tr>"
            for f in shown {
                html += "<tr><td style=\"color:\(SVGChart.severityColour[f.severity] ?? "#333")\">\(f.severity.rawValue)</td><td>\(e(f.message))</td></tr>"
            }
            html += "</table>"
        }
        return html
    }

    /// The policy thresholds on `metrics` as the latest run judged them (warning and critical).
    /// Thresholds at one value share a rule, labelled with every metric it applies to. Per-class
    /// levels relative to the baseline differ by class, so class charts leave them out (one
    /// dashed line per class and severity would hide the data); the findings table names them.
    static func rules(_ r: EvaluationReport, metrics: Set<String>, classLevel: Bool) -> [SVGChart.Rule] {
        var names: [String: [String]] = [:], order: [String] = []
        var byKey: [String: (Double, String, String)] = [:]
        for f in r.findings where metrics.contains(f.metric) && (f.className != nil) == classLevel && !(classLevel && f.baseline != nil) {
            for (value, kind, colour) in [(f.warning, "warning", "#ff9800"), (f.critical, "critical", "#d62728")] {
                guard let value else { continue }
                let key = "\(kind)=\(value)"
                if byKey[key] == nil { order.append(key); byKey[key] = (value, kind, colour) }
                if !(names[key] ?? []).contains(f.metric) { names[key, default: []].append(f.metric) }
            }
        }
        return order.map { key in
            let (value, kind, colour) = byKey[key]!
            return SVGChart.Rule(value: value, label: "\(names[key]!.joined(separator: ", ")) \(kind)", colour: colour)
        }
    }

    static func drift(_ h: ReportHistory, markers: [SVGChart.Marker]) -> String {
        var keys: [String] = []
        var cells: [String: [(Severity, String)?]] = [:]
        for (j, r) in h.reports.enumerated() {
            for t in r.drift?.tests ?? [] {
                let key = t.target + " · " + t.test + (t.className.map { " · \($0)" } ?? "")
                if cells[key] == nil { keys.append(key); cells[key] = Array(repeating: nil, count: h.reports.count) }
                let p = t.adjustedPValue ?? t.pValue
                let text = "\(key) \(SVGChart.day(h.times[j])): \(t.severity.rawValue), statistic \(SVGChart.number(t.statistic, 4))"
                    + (p.map { ", p \(String(format: "%.3g", $0))" } ?? "") + (t.effectSize.map { ", \(t.effectName ?? "effect") \(SVGChart.number($0, 4))" } ?? "")
                cells[key]![j] = (t.severity, text)
            }
        }
        guard !keys.isEmpty else { return "<h3>Drift over time</h3><p class=\"muted\">No drift tests in these runs.</p>" }
        var html = "<h3>Drift over time</h3>"
        html += SVGChart.severityStrip(title: "drift tests per window (green ok, orange warning, red critical, grey insufficient evidence)",
                                       times: h.times, rows: keys.map { SVGChart.StripRow(label: $0, cells: cells[$0]!) }, markers: markers)
        // the effect sizes with fixed meaning: PSI and Jensen–Shannon distance of the class shares
        var series: [SVGChart.Series] = []
        for (i, test) in ["psi", "js_distance"].enumerated() {
            let points = zip(h.times, h.reports).compactMap { t, r in
                r.drift?.tests.first { $0.target == "class_distribution" && $0.test == test }
                    .map { SVGChart.Point(time: t, value: $0.statistic, lower: nil, upper: nil) }
            }
            if !points.isEmpty { series.append(SVGChart.Series(name: "class distribution \(test)", colour: SVGChart.palette[i + 3], points: points)) }
        }
        if !series.isEmpty {
            html += SVGChart.lines(title: "class-distribution drift (PSI, Jensen–Shannon distance)", series: series,
                                   rules: [SVGChart.Rule(value: 0.1, label: "PSI 0.1", colour: "#ff9800"), SVGChart.Rule(value: 0.25, label: "PSI 0.25", colour: "#d62728")],
                                   markers: markers)
        }
        return html
    }

    static func events(_ h: ReportHistory) -> String {
        guard !h.marks.isEmpty else { return "" }
        let e = SVGChart.escape
        var html = "<h3>Marked events</h3><table><tr><th>when</th><th>kind</th><th>what</th></tr>"
        for m in h.marks.suffix(50) {
            html += "<tr><td>\(Timestamp.format(millis: m.time))</td><td style=\"color:\(markColour[m.kind] ?? "#333")\">\(m.kind.rawValue)</td><td>\(e(m.label))</td></tr>"
        }
        if h.marks.count > 50 { html += "<tr><td colspan=\"3\" class=\"muted\">(\(h.marks.count - 50) earlier events not listed)</td></tr>" }
        return html + "</table>"
    }
}
