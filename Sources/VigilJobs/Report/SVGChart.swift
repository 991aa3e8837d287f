import Foundation
import VigilCore

/// Inline SVG charts for the HTML report: plain strings, no scripts, no external resources.
/// Every mark carries a `<title>`, so hovering a point shows its value.
enum SVGChart {
    /// A point of a time series; `lower`/`upper` draw the interval band.
    struct Point {
        var time: Int64
        var value: Double
        var lower: Double?
        var upper: Double?
    }

    struct Series {
        var name: String
        var colour: String
        var points: [Point]
    }

    /// A horizontal rule, e.g. a policy threshold.
    struct Rule {
        var value: Double
        var label: String
        var colour: String
    }

    /// A vertical marker at an instant, e.g. an alert or a promotion.
    struct Marker {
        var time: Int64
        var label: String
        var colour: String
    }

    static let palette = ["#1f77b4", "#ff7f0e", "#2ca02c", "#d62728", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf"]
    static let severityColour: [Severity: String] = [.ok: "#2ca02c", .info: "#1f77b4", .insufficientEvidence: "#bdbdbd", .warning: "#ff9800", .critical: "#d62728"]

    static func escape(_ s: String) -> String {
        var out = ""
        for c in s {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            default: out.append(c)
            }
        }
        return out
    }

    static func number(_ v: Double, _ digits: Int = 1) -> String { String(format: "%.\(digits)f", v) }

    /// The opening tag of a chart (font set here, so the chart looks the same outside the page).
    static func open(_ width: Double, _ height: Double, title: String) -> String {
        "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" width=\"\(number(width, 0))\" height=\"\(number(height, 0))\" "
            + "viewBox=\"0 0 \(number(width, 0)) \(number(height, 0))\" font-family=\"sans-serif\" font-size=\"11\" role=\"img\">"
            + "<title>\(escape(title))</title><text x=\"8\" y=\"16\" font-size=\"13\" font-weight=\"600\">\(escape(title))</text>"
    }

    static func day(_ millis: Int64) -> String { String(Timestamp.format(millis: millis).prefix(10)) }

    /// Lines over time with interval bands, horizontal rules and vertical markers. The y axis
    /// spans `yRange`, or the data (rules included) when nil.
    static func lines(title: String, series: [Series], rules: [Rule] = [], markers: [Marker] = [],
                      yRange: ClosedRange<Double>? = nil, width: Double = 760, height: Double = 240) -> String {
        let left = 48.0, right = 12.0, top = 44.0, bottom = 28.0
        let plotW = width - left - right, plotH = height - top - bottom
        let times = series.flatMap { $0.points.map(\.time) } + markers.map(\.time)
        var svg = open(width, height, title: title)
        guard let t0 = times.min(), let t1 = times.max() else {
            return svg + "<text x=\"\(number(left))\" y=\"\(number(top + plotH / 2))\">no data yet</text></svg>"
        }
        let values = series.flatMap { $0.points.flatMap { [$0.value, $0.lower ?? $0.value, $0.upper ?? $0.value] } } + rules.map(\.value)
        // the data's range (rules included) with a margin, inside `yRange` when one is given
        var lo = values.min() ?? 0, hi = values.max() ?? 1
        let pad = max((hi - lo) * 0.08, 0.01)
        // (a non-negative quantity keeps a floor of 0)
        lo = (values.min() ?? 0) >= 0 ? max(0, lo - pad) : lo - pad
        hi += pad
        if let bounds = yRange { lo = max(lo, bounds.lowerBound); hi = min(hi, bounds.upperBound) }
        if !(hi > lo) { lo -= 0.5; hi += 0.5 }
        let span = Double(max(t1 - t0, 1))
        func x(_ t: Int64) -> Double { left + (t1 == t0 ? plotW / 2 : Double(t - t0) / span * plotW) }
        func y(_ v: Double) -> Double { top + (1 - (min(max(v, lo), hi) - lo) / (hi - lo)) * plotH }
        // axes and gridlines
        svg += "<g class=\"axis\">"
        for k in 0...4 {
            let v = lo + (hi - lo) * Double(k) / 4
            svg += "<line x1=\"\(number(left))\" x2=\"\(number(left + plotW))\" y1=\"\(number(y(v)))\" y2=\"\(number(y(v)))\" class=\"grid\"/>"
            svg += "<text x=\"\(number(left - 6))\" y=\"\(number(y(v) + 4))\" text-anchor=\"end\">\(number(v, 2))</text>"
        }
        let ticks = t1 == t0 ? [t0] : (0...4).map { t0 + (t1 - t0) * Int64($0) / 4 }
        for (k, t) in ticks.enumerated() {
            let anchor = ticks.count == 1 ? "middle" : k == 0 ? "start" : k == ticks.count - 1 ? "end" : "middle"
            svg += "<text x=\"\(number(x(t)))\" y=\"\(number(height - 8))\" text-anchor=\"\(anchor)\">\(day(t))</text>"
        }
        svg += "</g>"
        for rule in rules {
            svg += "<g class=\"rule\"><title>\(escape(rule.label)): \(number(rule.value, 3))</title>"
            svg += "<line x1=\"\(number(left))\" x2=\"\(number(left + plotW))\" y1=\"\(number(y(rule.value)))\" y2=\"\(number(y(rule.value)))\" stroke=\"\(rule.colour)\" stroke-dasharray=\"6 4\"/>"
            svg += "<text x=\"\(number(left + plotW - 4))\" y=\"\(number(y(rule.value) - 4))\" text-anchor=\"end\" fill=\"\(rule.colour)\">\(escape(rule.label))</text></g>"
        }
        for marker in markers {
            svg += "<g class=\"marker\"><title>\(escape(marker.label)) at \(Timestamp.format(millis: marker.time))</title>"
            svg += "<line x1=\"\(number(x(marker.time)))\" x2=\"\(number(x(marker.time)))\" y1=\"\(number(top))\" y2=\"\(number(top + plotH))\" stroke=\"\(marker.colour)\" stroke-width=\"1.5\"/>"
            svg += "<circle cx=\"\(number(x(marker.time)))\" cy=\"\(number(top))\" r=\"3\" fill=\"\(marker.colour)\"/></g>"
        }
        for s in series where !s.points.isEmpty {
            let banded = s.points.filter { $0.lower != nil && $0.upper != nil }
            if banded.count >= 2 {
                let upper = banded.map { "\(number(x($0.time))),\(number(y($0.upper!)))" }
                let lower = banded.reversed().map { "\(number(x($0.time))),\(number(y($0.lower!)))" }
                svg += "<polygon class=\"band\" points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(s.colour)\" fill-opacity=\"0.15\" stroke=\"none\"/>"
            }
            let line = s.points.map { "\(number(x($0.time))),\(number(y($0.value)))" }.joined(separator: " ")
            svg += "<polyline class=\"series\" points=\"\(line)\" fill=\"none\" stroke=\"\(s.colour)\" stroke-width=\"2\"/>"
            for p in s.points {
                let interval = p.lower.flatMap { l in p.upper.map { " [\(number(l, 3)), \(number($0, 3))]" } } ?? ""
                svg += "<circle cx=\"\(number(x(p.time)))\" cy=\"\(number(y(p.value)))\" r=\"2.5\" fill=\"\(s.colour)\"><title>\(escape(s.name)) \(day(p.time)): \(number(p.value, 4))\(interval)</title></circle>"
            }
        }
        // legend, under the title
        var lx = left
        for s in series {
            svg += "<rect x=\"\(number(lx))\" y=\"23\" width=\"10\" height=\"10\" fill=\"\(s.colour)\"/><text x=\"\(number(lx + 14))\" y=\"32\">\(escape(s.name))</text>"
            lx += 24 + Double(s.name.count) * 6.5
        }
        return svg + "</svg>"
    }

    /// A bar per row (value in 0…1) with its interval as a whisker; greyed rows are flagged
    /// (e.g. insufficient evidence).
    struct Bar {
        var label: String
        var value: Double
        var interval: Interval?
        var greyed: Bool
        var note: String
    }

    static func bars(title: String, bars: [Bar], rules: [Rule] = [], width: Double = 760) -> String {
        let rowH = 18.0, left = 20.0 + 6.2 * Double(bars.map(\.label.count).max() ?? 10), right = 70.0, top = 26.0
        let height = top + Double(bars.count) * rowH + 10
        let plotW = width - left - right
        func x(_ v: Double) -> Double { left + min(max(v, 0), 1) * plotW }
        var svg = open(width, height, title: title)
        for (i, bar) in bars.enumerated() {
            let y = top + Double(i) * rowH
            let colour = bar.greyed ? "#bdbdbd" : palette[0]
            svg += "<g><title>\(escape(bar.label)): \(number(bar.value, 4))\(bar.interval.map { " [\(number($0.lower, 3)), \(number($0.upper, 3))]" } ?? "") \(escape(bar.note))</title>"
            svg += "<text x=\"\(number(left - 6))\" y=\"\(number(y + 12))\" text-anchor=\"end\">\(escape(bar.label))</text>"
            svg += "<rect x=\"\(number(left))\" y=\"\(number(y + 3))\" width=\"\(number(max(0, x(bar.value) - left)))\" height=\"\(number(rowH - 6))\" fill=\"\(colour)\"/>"
            if let iv = bar.interval {
                svg += "<line x1=\"\(number(x(iv.lower)))\" x2=\"\(number(x(iv.upper)))\" y1=\"\(number(y + rowH / 2))\" y2=\"\(number(y + rowH / 2))\" stroke=\"#333\" stroke-width=\"1.5\"/>"
            }
            svg += "<text x=\"\(number(width - right + 6))\" y=\"\(number(y + 12))\">\(number(bar.value, 3))\(bar.greyed ? " *" : "")</text></g>"
        }
        for rule in rules {
            svg += "<g class=\"rule\"><title>\(escape(rule.label)): \(number(rule.value, 3))</title><line x1=\"\(number(x(rule.value)))\" x2=\"\(number(x(rule.value)))\" y1=\"\(number(top))\" y2=\"\(number(height - 10))\" stroke=\"\(rule.colour)\" stroke-dasharray=\"6 4\"/></g>"
        }
        return svg + "</svg>"
    }

    /// A confusion table as a heat map: each cell shaded by its share of its row.
    static func heatmap(title: String, rows: [String], columns: [String], counts: [[Int]], rowAxis: String, columnAxis: String) -> String {
        let cell = max(18.0, min(44.0, 520.0 / Double(max(columns.count, 1))))
        let left = 20.0 + 6.2 * Double(rows.map(\.count).max() ?? 10), top = 40.0 + 5.4 * Double(columns.map(\.count).max() ?? 10)
        let width = left + Double(columns.count) * cell + 20, height = top + Double(rows.count) * cell + 30
        var svg = open(width, height, title: title)
        svg += "<text x=\"8\" y=\"32\">columns: \(escape(columnAxis)); rows: \(escape(rowAxis))</text>"
        for (j, name) in columns.enumerated() {
            let cx = left + Double(j) * cell + cell / 2
            svg += "<text transform=\"translate(\(number(cx + 4)),\(number(top - 6))) rotate(-60)\">\(escape(name))</text>"
        }
        for (i, name) in rows.enumerated() {
            let y = top + Double(i) * cell
            svg += "<text x=\"\(number(left - 6))\" y=\"\(number(y + cell / 2 + 4))\" text-anchor=\"end\">\(escape(name))</text>"
            let row = i < counts.count ? counts[i] : []
            let total = max(1, row.reduce(0, +))
            for (j, count) in row.enumerated() where j < columns.count {
                let share = Double(count) / Double(total)
                let diagonal = i == j
                let colour = diagonal ? "rgba(44,160,44,\(number(0.1 + 0.9 * share, 3)))" : "rgba(214,39,40,\(number(share == 0 ? 0 : 0.1 + 0.9 * share, 3)))"
                svg += "<g><title>\(escape(name)) → \(escape(columns[j])): \(count) (\(number(100 * share, 1))% of the row)</title>"
                svg += "<rect x=\"\(number(left + Double(j) * cell))\" y=\"\(number(y))\" width=\"\(number(cell - 1))\" height=\"\(number(cell - 1))\" fill=\"\(colour)\" stroke=\"#eee\"/>"
                if count > 0 && cell >= 24 {
                    svg += "<text x=\"\(number(left + Double(j) * cell + cell / 2))\" y=\"\(number(y + cell / 2 + 4))\" text-anchor=\"middle\" class=\"cell\">\(count)</text>"
                }
                svg += "</g>"
            }
        }
        return svg + "</svg>"
    }

    /// One row per drift test, one cell per run, coloured by severity.
    struct StripRow {
        var label: String
        /// Per run (in time order): the severity and the hover text, or nil when the run lacks the test.
        var cells: [(Severity, String)?]
    }

    static func severityStrip(title: String, times: [Int64], rows: [StripRow], markers: [Marker] = [], width: Double = 760) -> String {
        let left = 20.0 + 6.2 * Double(rows.map(\.label.count).max() ?? 10), right = 12.0, top = 26.0, rowH = 16.0
        let height = top + Double(rows.count) * rowH + 26
        let plotW = width - left - right
        let cellW = times.isEmpty ? plotW : plotW / Double(times.count)
        var svg = open(width, height, title: title)
        for (i, row) in rows.enumerated() {
            let y = top + Double(i) * rowH
            svg += "<text x=\"\(number(left - 6))\" y=\"\(number(y + 12))\" text-anchor=\"end\">\(escape(row.label))</text>"
            for (j, cell) in row.cells.enumerated() {
                guard let (severity, text) = cell else { continue }
                svg += "<rect x=\"\(number(left + Double(j) * cellW))\" y=\"\(number(y + 1))\" width=\"\(number(max(1, cellW - 1)))\" height=\"\(number(rowH - 2))\" fill=\"\(severityColour[severity] ?? "#999")\"><title>\(escape(text))</title></rect>"
            }
        }
        if let first = times.first, let last = times.last {
            svg += "<text x=\"\(number(left))\" y=\"\(number(height - 8))\">\(day(first))</text>"
            svg += "<text x=\"\(number(width - right))\" y=\"\(number(height - 8))\" text-anchor=\"end\">\(day(last))</text>"
            for marker in markers {
                // the marker sits in the cell of the first run at or after it
                let j = times.firstIndex { $0 >= marker.time } ?? times.count - 1
                let mx = left + Double(j) * cellW
                svg += "<g class=\"marker\"><title>\(escape(marker.label)) at \(Timestamp.format(millis: marker.time))</title><line x1=\"\(number(mx))\" x2=\"\(number(mx))\" y1=\"\(number(top))\" y2=\"\(number(height - 22))\" stroke=\"\(marker.colour)\" stroke-width=\"1.5\"/></g>"
            }
        }
        return svg + "</svg>"
    }
}
