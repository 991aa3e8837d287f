import VigilCore

/// The compact TIDE table of a detection window, for the run page and the HTML report: per
/// error type its count and the AP50 points it costs (dAP × 100, as TIDE prints it), then the
/// error counts per class.
enum ErrorTaxonomyTable {
    static func html(_ t: ErrorTaxonomy) -> String {
        let e = SVGChart.escape
        let kinds = ErrorTaxonomy.Kind.allCases
        var html = "<h3>Why the mAP moved: errors by type (dAP)</h3>"
        html += "<p>TIDE, as tidecv computes it: AP50 \(SVGChart.number(t.ap50 * 100, 2)); dAP = AP50 points gained by fixing every error of the type. "
            + "cls wrong class, loc poorly placed, both wrong class and poorly placed, dupe duplicate, bkg on background, miss ground truth not found.</p>"
        html += "<table><tr><th></th>" + kinds.map { "<th class=\"num\">\($0.rawValue)</th>" }.joined() + "</tr>"
        html += "<tr><td>dAP</td>" + kinds.map { "<td class=\"num\">\(SVGChart.number(t.errors[$0].dap * 100, 2))</td>" }.joined() + "</tr>"
        html += "<tr><td>errors</td>" + kinds.map { "<td class=\"num\">\(t.errors[$0].count)</td>" }.joined() + "</tr>"
        for row in t.perClass {
            html += "<tr><td>\(e(row.className))</td>" + kinds.map { "<td class=\"num\">\(row.counts[$0])</td>" }.joined() + "</tr>"
        }
        return html + "</table>"
    }

    /// The AP50 points each error type cost, window by window: the line that rose after a
    /// change says which kind of error grew (a shifted camera: `loc` and `miss`). Windows
    /// without reviewed boxes are gaps.
    static func overTime(_ h: ReportHistory, markers: [SVGChart.Marker], bands: [SVGChart.Band]) -> String {
        let series = ErrorTaxonomy.Kind.allCases.enumerated().map { i, kind in
            SVGChart.Series(name: kind.rawValue, colour: SVGChart.palette[i], points: zip(h.times, h.reports).map { t, r in
                SVGChart.Point(time: t, value: r.detection?.errorTaxonomy.map { $0.errors[kind].dap * 100 }, lower: nil, upper: nil)
            })
        }
        guard series.contains(where: { $0.points.contains { $0.value != nil } }) else { return "" }
        return SVGChart.lines(title: "AP50 points lost to each error type, per window (TIDE dAP)", series: series,
                              markers: markers, bands: bands, yRange: 0...100, height: 260)
    }
}
