import Foundation
import VigilCore

/// The page of one stored evaluation run, where an alert's link leads (`vigil serve`,
/// `/models/<model>/runs/<id>`): the verdict, the window, the metrics with their intervals, the
/// findings, the drift tests and a link to the model's report. Undefined values show "—".
/// XHTML, no scripts, no network, like ``HTMLReport``.
public enum RunPage {
    /// The page of run `runID` made at `createdAt` (ms), whose stored report is `report`;
    /// `modelLink` is the href of the model's page.
    public static func render(runID: Int64, createdAt: Int64, report r: EvaluationReport, modelLink: String) -> String {
        let e = SVGChart.escape
        var body = "<h1>\(e(r.model)) — evaluation run \(runID)</h1>"
        body += "<p><span class=\"verdict\" style=\"background:\(HTMLReport.statusColour[r.status] ?? "#757575")\">\(r.status.rawValue.uppercased())</span> "
            + "window \(e(r.window.from)) → \(e(r.window.to)); evaluated \(Timestamp.format(millis: createdAt)); "
            + "\(r.labeled) reviewed of \(r.predictionsInWindow) predictions\(r.adHoc == true ? "; an ad-hoc run (it moves no alert)" : "")</p>"
        body += "<p><a href=\"\(e(modelLink))\">\(e(r.model)): every window of the last 30 days, alert episodes and events →</a></p>"
        body += findings(r)
        body += metrics(r)
        body += drift(r)
        if !r.notes.isEmpty {
            body += "<h2>Notes</h2><ul>" + r.notes.map { "<li>\(e($0))</li>" }.joined() + "</ul>"
        }
        body += "<p class=\"muted\">Repeat this evaluation: <code>vigil evaluate --model \(e(r.model)) --from \(e(r.window.from)) --to \(e(r.window.to))</code></p>"
        return HTMLReport.document(title: "\(r.model): run \(runID)", body: body)
    }

    /// `0.912`, or "—" for an undefined value.
    static func value(_ v: Double?, _ digits: Int = 3) -> String { v.map { SVGChart.number($0, digits) } ?? SVGChart.undefined }

    /// `[0.881, 0.936]`, or "" without an interval or value.
    static func interval(_ i: Interval?, defined: Bool = true) -> String {
        guard defined, let i else { return "" }
        return "[\(SVGChart.number(i.lower, 3)), \(SVGChart.number(i.upper, 3))]"
    }

    static func findings(_ r: EvaluationReport) -> String {
        let e = SVGChart.escape
        guard !r.findings.isEmpty else { return "<h2>Findings</h2><p class=\"muted\">No findings: the policy judged nothing in this window.</p>" }
        var html = "<h2>Findings</h2><table><tr><th>severity</th><th>rule</th><th>class</th><th class=\"num\">value</th><th>interval</th>"
            + "<th class=\"num\">warning</th><th class=\"num\">critical</th><th>what</th></tr>"
        for f in r.findings.sorted(by: { $0.severity > $1.severity }) {
            html += "<tr><td style=\"color:\(SVGChart.severityColour[f.severity] ?? "#333")\">\(f.severity.rawValue)</td><td>\(e(f.rule))</td>"
                + "<td>\(e(f.className ?? ""))</td><td class=\"num\">\(value(f.value))</td><td class=\"interval\">\(interval(f.interval, defined: f.value != nil))</td>"
                + "<td class=\"num\">\(f.warning.map { SVGChart.number($0, 3) } ?? "")</td><td class=\"num\">\(f.critical.map { SVGChart.number($0, 3) } ?? "")</td>"
                + "<td>\(e(f.message))</td></tr>"
        }
        return html + "</table>"
    }

    static func metrics(_ r: EvaluationReport) -> String {
        let e = SVGChart.escape
        var html = "<h2>Metrics</h2>"
        if let m = r.metrics {
            html += "<table><tr><th>metric</th><th class=\"num\">value</th><th>95% interval</th></tr>"
            html += "<tr><td>accuracy</td><td class=\"num\">\(value(m.definedAccuracy))</td><td class=\"interval\">\(interval(m.accuracyInterval, defined: m.definedAccuracy != nil))</td></tr>"
            for (name, average) in [("macro", m.macro), ("micro", m.micro), ("weighted", m.weighted)] {
                let a = m.defined(average)
                for (part, v) in [("precision", a?.precision), ("recall", a?.recall), ("f1", a?.f1)] {
                    html += "<tr><td>\(name)_\(part)</td><td class=\"num\">\(value(v))</td><td></td></tr>"
                }
            }
            html += "</table><h3>Per class</h3><table><tr><th>class</th><th class=\"num\">precision</th><th>interval</th><th class=\"num\">recall</th>"
                + "<th>interval</th><th class=\"num\">F1</th><th class=\"num\">reviewed</th><th class=\"num\">predicted</th><th>evidence</th></tr>"
            for c in m.perClass {
                let p = c.definedPrecision, rc = c.definedRecall
                html += "<tr><td>\(e(c.className))</td><td class=\"num\">\(value(p))</td><td class=\"interval\">\(interval(c.precisionInterval, defined: p != nil))</td>"
                    + "<td class=\"num\">\(value(rc))</td><td class=\"interval\">\(interval(c.recallInterval, defined: rc != nil))</td>"
                    + "<td class=\"num\">\(value(c.definedF1))</td><td class=\"num\">\(c.support)</td><td class=\"num\">\(c.predicted)</td>"
                    + "<td>\(c.evidence.rawValue)</td></tr>"
            }
            html += "</table>"
        } else if let d = r.detection {
            html += "<p>\(d.images) reviewed images; operating point IoU \(SVGChart.number(d.iouThreshold, 2)), score ≥ \(SVGChart.number(d.scoreThreshold, 2)).</p>"
            html += "<table><tr><th>COCO statistic</th><th class=\"num\">value</th><th>95% interval</th></tr>"
            for name in DetectionEvaluation.statNames {
                let v = d.defined(name)
                html += "<tr><td>\(e(name))</td><td class=\"num\">\(value(v))</td><td class=\"interval\">\(name == "AP" ? interval(d.mapInterval, defined: v != nil) : "")</td></tr>"
            }
            html += "</table><h3>Per class</h3><table><tr><th>class</th><th class=\"num\">AP</th><th class=\"num\">AP50</th><th class=\"num\">precision</th>"
                + "<th class=\"num\">recall</th><th class=\"num\">F1</th><th class=\"num\">ground-truth boxes</th><th class=\"num\">detections</th><th>evidence</th></tr>"
            for c in d.perClass {
                let p = c.definedPrecision, rc = c.definedRecall
                html += "<tr><td>\(e(c.className))</td><td class=\"num\">\(value(c.definedAP))</td><td class=\"num\">\(value(c.definedAP50))</td>"
                    + "<td class=\"num\">\(value(p))</td><td class=\"num\">\(value(rc))</td>"
                    + "<td class=\"num\">\(value(c.definedF1))</td>"
                    + "<td class=\"num\">\(c.groundTruthBoxes)</td><td class=\"num\">\(c.predictedBoxes)</td><td>\(c.evidence.rawValue)</td></tr>"
            }
            html += "</table>"
            if let t = d.errorTaxonomy { html += ErrorTaxonomyTable.html(t) }
            if let c = d.calibration { html += CalibrationTable.html(c) }
        } else {
            html += "<p class=\"muted\">No metrics: no reviewed items in the window.</p>"
        }
        return html
    }

    static func drift(_ r: EvaluationReport) -> String {
        let e = SVGChart.escape
        guard let d = r.drift, !d.tests.isEmpty else { return "" }
        var html = "<h2>Drift</h2><p>Reference: \(e(d.reference.kind.replacingOccurrences(of: "_", with: " ")))"
            + (d.reference.from.flatMap { f in d.reference.to.map { " \(e(f)) → \(e($0))" } } ?? "") + ".</p>"
        html += "<table><tr><th>severity</th><th>target</th><th>test</th><th>class</th><th class=\"num\">statistic</th><th class=\"num\">adjusted p</th><th>effect</th></tr>"
        for t in d.tests.sorted(by: { $0.severity > $1.severity }) {
            let p = (t.adjustedPValue ?? t.pValue).map { String(format: "%.3g", $0) } ?? SVGChart.undefined
            let effect = t.effectSize.map { "\(t.effectName ?? "effect") \(SVGChart.number($0, 4))" } ?? ""
            html += "<tr><td style=\"color:\(SVGChart.severityColour[t.severity] ?? "#333")\">\(t.severity.rawValue)</td><td>\(e(t.target))</td><td>\(e(t.test))</td>"
                + "<td>\(e(t.className ?? ""))</td><td class=\"num\">\(SVGChart.number(t.statistic, 4))</td><td class=\"num\">\(p)</td><td>\(e(effect))</td></tr>"
        }
        return html + "</table>"
    }
}
