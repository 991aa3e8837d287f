import Foundation
import VigilCore

/// `vigil report --html` (and the model page of `vigil serve`): one self-contained HTML file
/// (inline SVG and CSS, no scripts, no network) per set of models: the current verdict first,
/// then metrics over time with interval bands and threshold lines, per-class values over time
/// and now, drift tests over time, the confusion table as a heat map, the alert episodes (one
/// shaded span each, however many notifications they caused) and the events of the period.
///
/// The markup is well-formed XML (XHTML syntax), so it can be checked by any XML parser.
public enum HTMLReport {
    static let markColour: [ReportEvent.Kind: String] = [.alert: "#d62728", .silence: "#757575", .retraining: "#9467bd", .registry: "#8c564b",
                                                         .promotion: "#2ca02c", .baseline: "#555555"]
    static let statusColour: [EvaluationStatus: String] = [.ok: "#2ca02c", .warning: "#ff9800", .critical: "#d62728", .unknown: "#757575"]

    /// The whole document for `histories` (one section per model), stamped `generatedAt`.
    public static func render(_ histories: [ReportHistory], generatedAt: Int64) -> String {
        var body = "<h1>Vigil report</h1>"
        body += """
        <p class="muted">Generated \(Timestamp.format(millis: generatedAt)). Points are evaluation windows (by window end);
        bands around lines are 95% intervals; dashed horizontal lines are the policy's thresholds. A window
        without reviewed items has no value: its line breaks there, and tables show —.
        <span style="color:#d62728">Shaded spans</span> are alert episodes, from the first alert firing to the last one resolving
        (each episode's notifications are summarised in its table); dashed vertical lines mark
        <span style="color:#2ca02c">promotions</span>, <span style="color:#9467bd">finished retraining</span> and
        <span style="color:#555555">baseline changes</span>. Hover a point, span or line for details. Times are UTC.</p>
        """
        if histories.isEmpty { body += "<p>No models.</p>" }
        for h in histories { body += section(h) }
        return document(title: "Vigil report", body: body)
    }

    /// An XHTML page with the report's style around `body`.
    public static func document(title: String, body: String) -> String {
        """
        <!DOCTYPE html>
        <html xmlns="http://www.w3.org/1999/xhtml" lang="en"><head><meta charset="utf-8"/>
        <title>\(SVGChart.escape(title))</title>
        <style>
        body { font: 14px/1.4 system-ui, sans-serif; margin: 24px; color: #222; max-width: 1100px; }
        h1 { font-size: 22px; } h2 { font-size: 18px; border-bottom: 1px solid #ddd; padding-bottom: 4px; margin-top: 36px; }
        h3 { font-size: 15px; margin-top: 22px; }
        .verdict { display: inline-block; padding: 4px 12px; border-radius: 4px; color: #fff; font-weight: 600; }
        .chart { display: block; margin: 8px 0 16px; font-size: 11px; }
        .grid { stroke: #eee; } .cell { font-size: 10px; }
        .charts { display: flex; flex-wrap: wrap; gap: 4px 12px; } .charts .chart { margin: 4px 0; }
        table { border-collapse: collapse; margin: 6px 0 12px; } td, th { padding: 2px 8px; border-bottom: 1px solid #eee; text-align: left; vertical-align: top; }
        td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; } td.when, td.interval { white-space: nowrap; }
        .muted { color: #757575; }
        </style></head><body>
        \(body)
        </body></html>

        """
    }

    /// A page with a heading, a message whose `code` spans are set as code, and a small note:
    /// what `vigil serve`'s pages answer when they cannot show the report.
    public static func messagePage(title: String, message: String, note: String) -> String {
        let parts = SVGChart.escape(message).split(separator: "`", omittingEmptySubsequences: false)
        let text = parts.enumerated().map { $0.offset % 2 == 1 ? "<code>\($0.element)</code>" : String($0.element) }.joined()
        return document(title: "Vigil: \(title)", body: "<h1>\(SVGChart.escape(title))</h1><p>\(text)</p><p class=\"muted\">\(SVGChart.escape(note))</p>")
    }

    static func section(_ h: ReportHistory) -> String {
        let e = SVGChart.escape
        var html = "<h2 id=\"model-\(e(h.model))\">\(e(h.model))</h2>"
        guard let latest = h.reports.last else {
            return html + "<p>No stored evaluations yet: run <code>vigil evaluate --model \(e(h.model))</code> (or let the scheduler do it).</p>"
                + episodes(h) + events(h)
        }
        html += verdict(latest)
        let bands = h.timeline.episodes.enumerated().map { i, ep in
            SVGChart.Band(start: ep.start, end: ep.end, label: episodeLabel(i + 1, ep), colour: SVGChart.severityColour[ep.severity] ?? "#d62728")
        }
        let markers = h.timeline.events.filter(\.marked).map { SVGChart.Marker(time: $0.time, label: $0.text, colour: markColour[$0.kind] ?? "#999") }
        // metrics over time
        let headline = ReportHistory.headlineMetrics(latest.task)
        var series: [SVGChart.Series] = []
        for (i, metric) in headline.enumerated() {
            let points = zip(h.times, h.reports).map { t, r in
                let v = ReportHistory.value(metric, in: r)
                return SVGChart.Point(time: t, value: v?.value, lower: v?.interval?.lower, upper: v?.interval?.upper)
            }
            if points.contains(where: { $0.value != nil }) { series.append(SVGChart.Series(name: metric, colour: SVGChart.palette[i], points: points)) }
        }
        html += "<h3>Metrics over time</h3>"
        html += SVGChart.lines(title: "\(h.model): \(headline.joined(separator: ", "))", series: series,
                               rules: rules(latest, metrics: Set(headline), classLevel: false), markers: markers, bands: bands, yRange: 0...1)
        // per class over time: windows without enough evidence are gaps
        let classMetric = latest.task == .detection ? "AP50" : "recall"
        let classNames = ReportHistory.perClass(latest).map(\.name)
        let classSeries = classNames.enumerated().map { k, name in
            SVGChart.Series(name: name, colour: SVGChart.palette[k % SVGChart.palette.count], points: zip(h.times, h.reports).map { t, r in
                let row = ReportHistory.perClass(r).first { $0.name == name && $0.evidence != .insufficientEvidence }
                return SVGChart.Point(time: t, value: row?.value, lower: nil, upper: nil)
            })
        }
        html += SVGChart.lines(title: "\(classMetric) per class (windows with enough evidence)", series: classSeries,
                               rules: rules(latest, metrics: [latest.task == .detection ? "ap50" : "recall"], classLevel: true),
                               markers: markers, bands: bands, yRange: 0...1, height: 260)
        // per class now
        let bars = ReportHistory.perClass(latest).map {
            SVGChart.Bar(label: $0.name, value: $0.value, interval: $0.interval, greyed: $0.evidence == .insufficientEvidence,
                         note: $0.evidence == .insufficientEvidence ? "(insufficient evidence)" : "")
        }
        html += "<h3>Per class, latest window (\(e(latest.window.from)) → \(e(latest.window.to)))</h3>"
        html += SVGChart.bars(title: "\(classMetric) per class; grey * = insufficient evidence; — = no reviewed item of the class", bars: bars,
                              rules: rules(latest, metrics: [latest.task == .detection ? "ap50" : "recall"], classLevel: true))
        // drift over time
        html += drift(h, markers: markers, bands: bands)
        // confusion
        html += "<h3>Confusion table, latest window</h3>"
        if let c = latest.confusionMatrix, latest.labeled > 0 {
            html += SVGChart.heatmap(title: "reviewed (rows) vs predicted (columns)", rows: latest.classes, columns: latest.classes,
                                     counts: c.counts, rowAxis: "observed class", columnAxis: "predicted class")
        } else if let d = latest.detection, latest.labeled > 0 {
            let names = latest.classes + ["background"]
            html += SVGChart.heatmap(title: "ground truth (rows) vs detections (columns) at IoU \(SVGChart.number(d.iouThreshold, 2)), score ≥ \(SVGChart.number(d.scoreThreshold, 2))",
                                     rows: names, columns: names, counts: d.confusion, rowAxis: "ground truth (background: false detections)",
                                     columnAxis: "detected (background: missed)")
            if let t = d.errorTaxonomy { html += ErrorTaxonomyTable.html(t) }
            html += ErrorTaxonomyTable.overTime(h, markers: markers, bands: bands)
            if let c = d.calibration { html += CalibrationTable.html(c) }
        } else {
            html += "<p class=\"muted\">No reviewed items in the latest window.</p>"
        }
        if let slices = latest.slices, latest.labeled > 0 { html += SliceTable.html(slices, confidence: latest.confidence) }
        if let d = latest.detection, latest.labeled > 0, !d.thresholdSweep.isEmpty {
            html += thresholdSweep(d.thresholdSweep, scoreThreshold: d.scoreThreshold, heading: "IoU \(SVGChart.number(d.iouThreshold, 2))", positives: "objects")
        } else if let m = latest.metrics, latest.labeled > 0, !m.thresholdSweep.isEmpty {
            html += thresholdSweep(m.thresholdSweep, scoreThreshold: 0, heading: "top-1 score", positives: "reviewed items")
        }
        html += episodes(h)
        html += events(h)
        return html
    }

    /// The threshold sweep of the latest window (a detector's boxes, or a classifier's top-1
    /// answers): a table of the operating point and the best-F1 point per class, and a
    /// precision–recall chart per class.
    static func thresholdSweep(_ sweeps: [ThresholdSweepSummary], scoreThreshold: Double, heading: String, positives: String) -> String {
        func cells(_ p: ThresholdSweep.Point?) -> String {
            guard let p else { return "<td class=\"num\">—</td><td class=\"num\">—</td><td class=\"num\">—</td><td class=\"num\">—</td>" }
            return [SVGChart.number(p.threshold, 2), SVGChart.number(p.precision, 3), SVGChart.number(p.recall, 3), SVGChart.number(p.f1, 3)]
                .map { "<td class=\"num\">\($0)</td>" }.joined()
        }
        var html = "<h3>Precision and recall against the score threshold, latest window (\(heading))</h3>"
        html += "<table><tr><th>class</th><th class=\"num\">\(positives)</th><th class=\"num\">now: score ≥</th><th class=\"num\">precision</th><th class=\"num\">recall</th><th class=\"num\">F1</th>"
            + "<th class=\"num\">best F1 at score ≥</th><th class=\"num\">precision</th><th class=\"num\">recall</th><th class=\"num\">F1</th></tr>"
        for s in sweeps {
            html += "<tr><td>\(SVGChart.escape(s.className ?? "all classes"))</td><td class=\"num\">\(s.positives)</td>\(cells(s.current))\(cells(s.best))</tr>"
        }
        html += "</table><div class=\"charts\">"
        for s in sweeps { html += SVGChart.precisionRecall(s, scoreThreshold: scoreThreshold, positives: positives) }
        return html + "</div>"
    }

    /// `episode 2: critical, 2026-10-14T… → 2026-10-21T…; 5 rules; 84 notifications`.
    static func episodeLabel(_ n: Int, _ ep: AlertEpisode) -> String {
        "alert episode \(n): \(ep.severity.rawValue), \(Timestamp.format(millis: ep.start)) → \(ep.end.map { Timestamp.format(millis: $0) } ?? "still firing"); "
            + "\(ep.rules.count) rule\(ep.rules.count == 1 ? "" : "s"): \(ep.rules.prefix(4).joined(separator: ", "))\(ep.rules.count > 4 ? ", …" : ""); "
            + "\(ep.notificationCount) notification\(ep.notificationCount == 1 ? "" : "s")"
    }

    static func verdict(_ r: EvaluationReport) -> String {
        let e = SVGChart.escape
        var html = "<p><span class=\"verdict\" style=\"background:\(statusColour[r.status] ?? "#757575")\">\(r.status.rawValue.uppercased())</span> "
        html += "latest window \(e(r.window.from)) → \(e(r.window.to)); \(r.labeled) reviewed of \(r.predictionsInWindow) predictions"
        let headline = ReportHistory.headlineMetrics(r.task).map { m in "\(m) " + (ReportHistory.value(m, in: r).map { SVGChart.number($0.value, 3) } ?? SVGChart.undefined) }
        html += "; " + headline.joined(separator: ", ") + "</p>"
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

    static func drift(_ h: ReportHistory, markers: [SVGChart.Marker], bands: [SVGChart.Band]) -> String {
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
                                       times: h.times, rows: keys.map { SVGChart.StripRow(label: $0, cells: cells[$0]!) }, markers: markers, bands: bands)
        // the effect sizes with fixed meaning: PSI and Jensen–Shannon distance of the class shares
        var series: [SVGChart.Series] = []
        for (i, test) in ["psi", "js_distance"].enumerated() {
            let points = zip(h.times, h.reports).map { t, r in
                let result = r.drift?.tests.first { $0.target == "class_distribution" && $0.test == test && $0.severity != .insufficientEvidence }
                return SVGChart.Point(time: t, value: result?.statistic, lower: nil, upper: nil)
            }
            if points.contains(where: { $0.value != nil }) { series.append(SVGChart.Series(name: "class distribution \(test)", colour: SVGChart.palette[i + 3], points: points)) }
        }
        if !series.isEmpty {
            html += SVGChart.lines(title: "class-distribution drift (PSI, Jensen–Shannon distance)", series: series,
                                   rules: [SVGChart.Rule(value: 0.1, label: "PSI 0.1", colour: "#ff9800"), SVGChart.Rule(value: 0.25, label: "PSI 0.25", colour: "#d62728")],
                                   markers: markers, bands: bands)
        }
        return html
    }

    /// `2026-10-14 01:00` (UTC, to the minute): a table's time.
    static func when(_ millis: Int64) -> String {
        let s = Timestamp.format(millis: millis)
        return String(s.prefix(10)) + " " + String(s.dropFirst(11).prefix(5))
    }

    /// One row per alert episode, with its notifications summarised by receiver.
    static func episodes(_ h: ReportHistory) -> String {
        let e = SVGChart.escape
        let list = h.timeline.episodes
        guard !list.isEmpty else { return "<h3>Alert episodes</h3><p class=\"muted\">No alert fired in this period.</p>" }
        var html = "<h3>Alert episodes</h3><table><tr><th>#</th><th>from</th><th>to</th><th class=\"num\">hours</th><th>worst</th><th>rules</th>"
            + "<th>notifications</th></tr>"
        for (i, ep) in list.enumerated() {
            let hours = ep.end.map { SVGChart.number(Double($0 - ep.start) / 3_600_000, 1) } ?? SVGChart.undefined
            let receivers = ep.notifications.sorted { $0.key < $1.key }.map { "\($0.key) ×\($0.value)" }.joined(separator: ", ")
            html += "<tr><td>\(i + 1)</td><td class=\"when\">\(when(ep.start))</td><td class=\"when\">\(ep.end.map(when) ?? "still firing")</td>"
                + "<td class=\"num\">\(hours)</td><td style=\"color:\(SVGChart.severityColour[ep.severity] ?? "#333")\">\(ep.severity.rawValue)</td>"
                + "<td>\(e(ep.rules.joined(separator: ", ")))</td><td>\(ep.notificationCount == 0 ? "none (not routed)" : "\(ep.notificationCount): " + e(receivers))</td></tr>"
        }
        html += "</table><p class=\"muted\">An episode runs from the first of the model's alerts firing to the last one resolving; "
            + "its notifications are every message sent meanwhile — the first, the repeats and the resolution — by receiver.</p>"
        if h.timeline.notices > 0 {
            html += "<p class=\"muted\">Besides, \(h.timeline.notices) notice\(h.timeline.notices == 1 ? " was" : "s were") sent about retraining, gate verdicts, promotions or tests (<code>vigil alerts outbox --all</code> lists them).</p>"
        }
        return html
    }

    /// What happened in the period: alerts opening and resolving, silences, retraining, registry
    /// changes, promotions and baseline changes (the newest 200).
    static func events(_ h: ReportHistory) -> String {
        let list = h.timeline.events
        guard !list.isEmpty else { return "<h3>Events</h3><p class=\"muted\">No events in this period.</p>" }
        let e = SVGChart.escape
        let shown = list.suffix(200)
        var html = "<h3>Events</h3><table><tr><th>when</th><th>kind</th><th>what</th></tr>"
        if list.count > shown.count { html += "<tr><td colspan=\"3\" class=\"muted\">(\(list.count - shown.count) earlier events not listed: <code>vigil log --model \(e(h.model))</code> has them)</td></tr>" }
        for event in shown {
            html += "<tr><td class=\"when\">\(when(event.time))</td><td style=\"color:\(markColour[event.kind] ?? "#333")\">\(event.kind.rawValue)</td><td>\(e(event.text))</td></tr>"
        }
        return html + "</table>"
    }
}
