import VigilCore

/// The latest window's accuracy by slice (`evaluation.slices`), for the HTML report: each
/// attribute value with its interval, the rest's accuracy and whether it differs after the
/// Benjamini–Hochberg adjustment across all slices.
enum SliceTable {
    static func html(_ rows: [SliceAnalysis.Row], confidence: Double) -> String {
        guard !rows.isEmpty else { return "" }
        let e = SVGChart.escape
        var html = "<h3>Accuracy by slice, latest window</h3><p class=\"muted\">Each slice against the reviewed items outside it "
            + "(two-proportion z-test, Benjamini–Hochberg across all slices; flagged when the adjusted p-value is below \(SVGChart.number(1 - confidence, 2)) "
            + "with enough items).</p>"
        html += "<table><tr><th>attribute</th><th>value</th><th class=\"num\">reviewed</th><th class=\"num\">accuracy</th><th class=\"interval\">interval</th>"
            + "<th class=\"num\">rest</th><th class=\"num\">adjusted p</th><th></th></tr>"
        for r in rows {
            let interval = r.interval.map { "\(SVGChart.number($0.lower, 3)) – \(SVGChart.number($0.upper, 3))" } ?? "—"
            let p = r.adjustedPValue.map { $0 < 0.0001 ? "< 0.0001" : SVGChart.number($0, 4) } ?? "—"
            html += "<tr><td>\(e(r.attribute))</td><td>\(e(r.value ?? "(not given)"))</td><td class=\"num\">\(r.reviewed)</td>"
                + "<td class=\"num\">\(SVGChart.number(r.accuracy, 3))</td><td class=\"interval\">\(interval)</td>"
                + "<td class=\"num\">\(r.restAccuracy.map { SVGChart.number($0, 3) } ?? "—")</td><td class=\"num\">\(p)</td>"
                + "<td>\(r.differs ? (r.accuracy < (r.restAccuracy ?? 0) ? "<strong>worse</strong>" : "better") : "")</td></tr>"
        }
        return html + "</table>"
    }
}
