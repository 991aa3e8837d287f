import Foundation
import VigilCore

/// Inline SVG charts for the HTML report: plain strings, no scripts, no external resources.
/// Every mark carries a `<title>`, so hovering a point shows its value.
enum SVGChart {
    /// A point of a time series; `lower`/`upper` draw the interval band. A `nil` value is a
    /// window where the metric is undefined (no reviewed items): a gap in the line, never a 0.
    struct Point {
        var time: Int64
        var value: Double?
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

    /// A vertical marker at an instant, e.g. a promotion.
    struct Marker {
        var time: Int64
        var label: String
        var colour: String
    }

    /// A shaded span of time, e.g. an alert episode from its first firing to its resolution;
    /// `end` nil: it lasts past the chart's end.
    struct Band {
        var start: Int64
        var end: Int64?
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

    /// Lines over time with interval bands, shaded spans (`bands`), horizontal rules and
    /// vertical markers. A point without a value breaks its line. The y axis spans `yRange`,
    /// or the data (rules included) when nil.
    static func lines(title: String, series: [Series], rules: [Rule] = [], markers: [Marker] = [], bands: [Band] = [],
                      yRange: ClosedRange<Double>? = nil, width: Double = 760, height: Double = 240) -> String {
        let left = 48.0, right = 16.0, top = 44.0, bottom = 28.0
        let plotW = width - left - right, plotH = height - top - bottom
        let times = series.flatMap { $0.points.map(\.time) } + markers.map(\.time) + bands.flatMap { [$0.start] + ($0.end.map { [$0] } ?? []) }
        var svg = open(width, height, title: title)
        let values = series.flatMap { $0.points.flatMap { p in p.value.map { [$0, p.lower ?? $0, p.upper ?? $0] } ?? [] } }
        guard let t0 = times.min(), let t1 = times.max(), !values.isEmpty else {
            return svg + "<text x=\"\(number(left))\" y=\"\(number(top + plotH / 2))\">no data yet: no window in this period has a value</text></svg>"
        }
        let scale = values + rules.map(\.value)
        // the data's range (rules included) with a margin, inside `yRange` when one is given
        var lo = scale.min() ?? 0, hi = scale.max() ?? 1
        let pad = max((hi - lo) * 0.08, 0.01)
        // (a non-negative quantity keeps a floor of 0)
        lo = (scale.min() ?? 0) >= 0 ? max(0, lo - pad) : lo - pad
        hi += pad
        if let bounds = yRange { lo = max(lo, bounds.lowerBound); hi = min(hi, bounds.upperBound) }
        if !(hi > lo) { lo -= 0.5; hi += 0.5 }
        let span = Double(max(t1 - t0, 1))
        func x(_ t: Int64) -> Double { left + (t1 == t0 ? plotW / 2 : Double(min(max(t, t0), t1) - t0) / span * plotW) }
        func y(_ v: Double) -> Double { top + (1 - (min(max(v, lo), hi) - lo) / (hi - lo)) * plotH }
        // alert episodes and other spans, behind everything
        for band in bands {
            let x0 = x(band.start), x1 = max(x(band.end ?? t1), x0 + 2)
            svg += "<g class=\"band\"><title>\(escape(band.label))</title>"
            svg += "<rect x=\"\(number(x0))\" y=\"\(number(top))\" width=\"\(number(x1 - x0))\" height=\"\(number(plotH))\" fill=\"\(band.colour)\" fill-opacity=\"0.12\"/>"
            svg += "<rect x=\"\(number(x0))\" y=\"\(number(top - 4))\" width=\"\(number(x1 - x0))\" height=\"4\" fill=\"\(band.colour)\"/></g>"
        }
        // axes and gridlines
        svg += "<g class=\"axis\">"
        for k in 0...4 {
            let v = lo + (hi - lo) * Double(k) / 4
            svg += "<line x1=\"\(number(left))\" x2=\"\(number(left + plotW))\" y1=\"\(number(y(v)))\" y2=\"\(number(y(v)))\" class=\"grid\"/>"
            svg += "<text x=\"\(number(left - 6))\" y=\"\(number(y(v) + 4))\" text-anchor=\"end\">\(number(v, 2))</text>"
        }
        svg += timeTicks(from: t0, to: t1, x: x, y: height - 8, width: width, plotWidth: plotW)
        svg += "</g>"
        // rule labels at the right end; one that would overlap the previous label moves left of it
        var labelled: [(y: Double, left: Double)] = []
        for rule in rules {
            let ly = y(rule.value) - 4
            var right = left + plotW - 4
            for l in labelled where abs(l.y - ly) < 12 { right = min(right, l.left - 10) }
            labelled.append((ly, right - Double(rule.label.count) * TimeAxis.characterWidth))
            svg += "<g class=\"rule\"><title>\(escape(rule.label)): \(number(rule.value, 3))</title>"
            svg += "<line x1=\"\(number(left))\" x2=\"\(number(left + plotW))\" y1=\"\(number(y(rule.value)))\" y2=\"\(number(y(rule.value)))\" stroke=\"\(rule.colour)\" stroke-dasharray=\"6 4\"/>"
            svg += "<text x=\"\(number(right))\" y=\"\(number(ly))\" text-anchor=\"end\" fill=\"\(rule.colour)\">\(escape(rule.label))</text></g>"
        }
        for marker in markers {
            svg += "<g class=\"marker\"><title>\(escape(marker.label)) at \(Timestamp.format(millis: marker.time))</title>"
            svg += "<line x1=\"\(number(x(marker.time)))\" x2=\"\(number(x(marker.time)))\" y1=\"\(number(top))\" y2=\"\(number(top + plotH))\" stroke=\"\(marker.colour)\" stroke-width=\"1.5\" stroke-dasharray=\"3 2\"/>"
            svg += "<path d=\"M\(number(x(marker.time) - 4)),\(number(top - 9))h8l-4,6z\" fill=\"\(marker.colour)\"/></g>"
        }
        for s in series {
            // one line per run of windows with a value: undefined windows are gaps
            for segment in segments(s.points) {
                let banded = segment.filter { $0.lower != nil && $0.upper != nil }
                if banded.count >= 2 {
                    let upper = banded.map { "\(number(x($0.time))),\(number(y($0.upper!)))" }
                    let lower = banded.reversed().map { "\(number(x($0.time))),\(number(y($0.lower!)))" }
                    svg += "<polygon class=\"interval\" points=\"\((upper + lower).joined(separator: " "))\" fill=\"\(s.colour)\" fill-opacity=\"0.15\" stroke=\"none\"/>"
                }
                if segment.count >= 2 {
                    let line = segment.map { "\(number(x($0.time))),\(number(y($0.value!)))" }.joined(separator: " ")
                    svg += "<polyline class=\"series\" points=\"\(line)\" fill=\"none\" stroke=\"\(s.colour)\" stroke-width=\"2\"/>"
                }
            }
            for p in s.points {
                guard let value = p.value else { continue }
                let interval = p.lower.flatMap { l in p.upper.map { " [\(number(l, 3)), \(number($0, 3))]" } } ?? ""
                svg += "<circle cx=\"\(number(x(p.time)))\" cy=\"\(number(y(value)))\" r=\"2.5\" fill=\"\(s.colour)\"><title>\(escape(s.name)) \(day(p.time)): \(number(value, 4))\(interval)</title></circle>"
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

    /// The runs of consecutive points that have a value.
    static func segments(_ points: [Point]) -> [[Point]] {
        var out: [[Point]] = [], current: [Point] = []
        for p in points {
            if p.value == nil {
                if !current.isEmpty { out.append(current); current = [] }
            } else {
                current.append(p)
            }
        }
        if !current.isEmpty { out.append(current) }
        return out
    }

    /// The time axis's labels (``TimeAxis``), kept inside the chart at its edges.
    static func timeTicks(from t0: Int64, to t1: Int64, x: (Int64) -> Double, y: Double, width: Double, plotWidth: Double) -> String {
        var svg = ""
        for tick in TimeAxis.ticks(from: t0, to: t1, width: plotWidth) {
            let half = Double(tick.label.count) * TimeAxis.characterWidth / 2
            let tx = x(tick.time)
            let anchor = tx - half < 2 ? "start" : tx + half > width - 2 ? "end" : "middle"
            let at = anchor == "start" ? max(tx, 2) : anchor == "end" ? min(tx, width - 2) : tx
            svg += "<line x1=\"\(number(tx))\" x2=\"\(number(tx))\" y1=\"\(number(y - 20))\" y2=\"\(number(y - 15))\" stroke=\"#999\"/>"
            svg += "<text x=\"\(number(at))\" y=\"\(number(y))\" text-anchor=\"\(anchor)\">\(tick.label)</text>"
        }
        return svg
    }

    /// A bar per row (value in 0…1) with its interval as a whisker; greyed rows are flagged
    /// (e.g. insufficient evidence); a row without a value (undefined) shows "—" and no bar.
    struct Bar {
        var label: String
        var value: Double?
        var interval: Interval?
        var greyed: Bool
        var note: String
    }

    /// What a table or a label shows for an undefined value.
    static let undefined = "—"

    static func bars(title: String, bars: [Bar], rules: [Rule] = [], width: Double = 760) -> String {
        let rowH = 18.0, left = 20.0 + 6.2 * Double(bars.map(\.label.count).max() ?? 10), right = 70.0, top = 26.0
        let height = top + Double(bars.count) * rowH + 10
        let plotW = width - left - right
        func x(_ v: Double) -> Double { left + min(max(v, 0), 1) * plotW }
        var svg = open(width, height, title: title)
        for (i, bar) in bars.enumerated() {
            let y = top + Double(i) * rowH
            let colour = bar.greyed ? "#bdbdbd" : palette[0]
            let text = bar.value.map { number($0, 3) } ?? undefined
            svg += "<g><title>\(escape(bar.label)): \(bar.value.map { number($0, 4) } ?? "undefined")\(bar.interval.map { " [\(number($0.lower, 3)), \(number($0.upper, 3))]" } ?? "") \(escape(bar.note))</title>"
            svg += "<text x=\"\(number(left - 6))\" y=\"\(number(y + 12))\" text-anchor=\"end\">\(escape(bar.label))</text>"
            if let value = bar.value {
                svg += "<rect x=\"\(number(left))\" y=\"\(number(y + 3))\" width=\"\(number(max(0, x(value) - left)))\" height=\"\(number(rowH - 6))\" fill=\"\(colour)\"/>"
            }
            if let iv = bar.interval, bar.value != nil {
                svg += "<line x1=\"\(number(x(iv.lower)))\" x2=\"\(number(x(iv.upper)))\" y1=\"\(number(y + rowH / 2))\" y2=\"\(number(y + rowH / 2))\" stroke=\"#333\" stroke-width=\"1.5\"/>"
            }
            svg += "<text x=\"\(number(width - right + 6))\" y=\"\(number(y + 12))\">\(text)\(bar.greyed ? " *" : "")</text></g>"
        }
        for rule in rules {
            svg += "<g class=\"rule\"><title>\(escape(rule.label)): \(number(rule.value, 3))</title><line x1=\"\(number(x(rule.value)))\" x2=\"\(number(x(rule.value)))\" y1=\"\(number(top))\" y2=\"\(number(height - 10))\" stroke=\"\(rule.colour)\" stroke-dasharray=\"6 4\"/></g>"
        }
        return svg + "</svg>"
    }

    /// A confusion table as a heat map: each cell shaded by its share of its row. Column labels
    /// are written level above their columns when they fit; otherwise columns are numbered and
    /// the rows carry the numbers, so no label is rotated or overlaps another.
    static func heatmap(title: String, rows: [String], columns: [String], counts: [[Int]], rowAxis: String, columnAxis: String) -> String {
        let widest = Double(columns.map(\.count).max() ?? 4) * 6.2 + 8
        let numbered = widest * Double(columns.count) > 680
        let cell = numbered ? max(22.0, min(44.0, 520.0 / Double(max(columns.count, 1)))) : max(36.0, widest)
        let rowNames = rows.enumerated().map { numbered && $0.offset < columns.count ? "\($0.offset + 1)  \($0.element)" : $0.element }
        let left = 20.0 + 6.2 * Double(rowNames.map(\.count).max() ?? 10), top = 58.0
        let caption = "columns: \(columnAxis); rows: \(rowAxis)" + (numbered ? "; columns are numbered as the rows" : "")
        let width = max(left + Double(columns.count) * cell + 20, 16 + 7.0 * Double(title.count), 16 + 6.0 * Double(caption.count))
        let cellH = max(22.0, min(cell, 30.0))
        let height = top + Double(rows.count) * cellH + 12
        var svg = open(width, height, title: title)
        svg += "<text x=\"8\" y=\"32\">\(escape(caption))</text>"
        for (j, name) in columns.enumerated() {
            let cx = left + Double(j) * cell + cell / 2
            svg += "<text x=\"\(number(cx))\" y=\"\(number(top - 6))\" text-anchor=\"middle\"><title>\(escape(name))</title>\(escape(numbered ? String(j + 1) : name))</text>"
        }
        for (i, name) in rows.enumerated() {
            let y = top + Double(i) * cellH
            svg += "<text x=\"\(number(left - 6))\" y=\"\(number(y + cellH / 2 + 4))\" text-anchor=\"end\">\(escape(rowNames[i]))</text>"
            let row = i < counts.count ? counts[i] : []
            let total = max(1, row.reduce(0, +))
            for (j, count) in row.enumerated() where j < columns.count {
                let share = Double(count) / Double(total)
                let diagonal = i == j
                let colour = diagonal ? "rgba(44,160,44,\(number(0.1 + 0.9 * share, 3)))" : "rgba(214,39,40,\(number(share == 0 ? 0 : 0.1 + 0.9 * share, 3)))"
                svg += "<g><title>\(escape(name)) → \(escape(columns[j])): \(count) (\(number(100 * share, 1))% of the row)</title>"
                svg += "<rect x=\"\(number(left + Double(j) * cell))\" y=\"\(number(y))\" width=\"\(number(cell - 1))\" height=\"\(number(cellH - 1))\" fill=\"\(colour)\" stroke=\"#eee\"/>"
                if count > 0 && cell >= 24 {
                    svg += "<text x=\"\(number(left + Double(j) * cell + cell / 2))\" y=\"\(number(y + cellH / 2 + 4))\" text-anchor=\"middle\" class=\"cell\">\(count)</text>"
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

    /// The drift tests' severities per run, under a lane of the alert episodes (`bands`: the
    /// runs whose window overlaps an episode) and with vertical `markers`.
    static func severityStrip(title: String, times: [Int64], rows: [StripRow], markers: [Marker] = [], bands: [Band] = [], width: Double = 760) -> String {
        let laneLabel = "alert episodes"
        let left = 20.0 + 6.2 * Double((rows.map(\.label.count) + [laneLabel.count]).max() ?? 10), right = 12.0, top = 26.0, rowH = 16.0
        let lane = bands.isEmpty ? 0.0 : rowH + 4
        let height = top + lane + Double(rows.count) * rowH + 26
        let plotW = width - left - right
        let cellW = times.isEmpty ? plotW : plotW / Double(times.count)
        var svg = open(width, height, title: title)
        if !bands.isEmpty {
            svg += "<text x=\"\(number(left - 6))\" y=\"\(number(top + 12))\" text-anchor=\"end\">\(laneLabel)</text>"
            for band in bands {
                // the runs whose window (from the previous run's end to its own) overlaps the episode
                let cells = times.indices.filter { j in times[j] > band.start && (band.end.map { j == 0 || times[j - 1] < $0 } ?? true) }
                guard let first = cells.first, let last = cells.last else { continue }
                svg += "<g class=\"band\"><title>\(escape(band.label))</title><rect x=\"\(number(left + Double(first) * cellW))\" y=\"\(number(top + 3))\" "
                    + "width=\"\(number(max(2, Double(last - first + 1) * cellW - 1)))\" height=\"\(number(rowH - 6))\" fill=\"\(band.colour)\"/></g>"
            }
        }
        for (i, row) in rows.enumerated() {
            let y = top + lane + Double(i) * rowH
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
                svg += "<g class=\"marker\"><title>\(escape(marker.label)) at \(Timestamp.format(millis: marker.time))</title><line x1=\"\(number(mx))\" x2=\"\(number(mx))\" y1=\"\(number(top))\" y2=\"\(number(height - 22))\" stroke=\"\(marker.colour)\" stroke-width=\"1.5\" stroke-dasharray=\"3 2\"/></g>"
            }
        }
        return svg + "</svg>"
    }
}
