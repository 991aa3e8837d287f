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
}
