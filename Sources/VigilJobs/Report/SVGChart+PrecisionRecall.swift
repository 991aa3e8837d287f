import VigilCore

extension SVGChart {
    /// A precision–recall chart of one threshold sweep: the curve as the score threshold falls
    /// from 1 to 0, the operating point the model runs at (filled dot) and the best-F1 point
    /// (ring). Hovering a mark shows its threshold, precision, recall and F1.
    /// `positives` names what recall divides by ("objects", "reviewed items").
    static func precisionRecall(_ sweep: ThresholdSweepSummary, scoreThreshold: Double, positives: String) -> String {
        let name = sweep.className ?? "all classes"
        let width = 250.0, height = 230.0, left = 40.0, top = 44.0, plotW = 190.0, plotH = 150.0
        func x(_ recall: Double) -> Double { left + recall * plotW }
        func y(_ precision: Double) -> Double { top + (1 - precision) * plotH }
        func label(_ p: ThresholdSweep.Point, _ what: String) -> String {
            "\(what): score ≥ \(number(p.threshold, 2)): precision \(number(p.precision, 3)), recall \(number(p.recall, 3)), F1 \(number(p.f1, 3)) (\(p.truePositives) tp, \(p.falsePositives) fp)"
        }
        var svg = open(width, height, title: "\(name) (\(sweep.positives) \(positives))")
        svg += "<g class=\"axis\">"
        for v in [0.0, 0.5, 1.0] {
            svg += "<line x1=\"\(number(left))\" x2=\"\(number(left + plotW))\" y1=\"\(number(y(v)))\" y2=\"\(number(y(v)))\" class=\"grid\"/>"
            svg += "<text x=\"\(number(left - 4))\" y=\"\(number(y(v) + 4))\" text-anchor=\"end\">\(number(v, 1))</text>"
            svg += "<text x=\"\(number(x(v)))\" y=\"\(number(top + plotH + 14))\" text-anchor=\"middle\">\(number(v, 1))</text>"
        }
        svg += "<text x=\"\(number(left + plotW / 2))\" y=\"\(number(top + plotH + 28))\" text-anchor=\"middle\">recall</text>"
        svg += "<text x=\"10\" y=\"\(number(top + plotH / 2))\" transform=\"rotate(-90 10 \(number(top + plotH / 2)))\" text-anchor=\"middle\">precision</text></g>"
        guard sweep.positives > 0, sweep.curve.contains(where: { $0.truePositives + $0.falsePositives > 0 }) else {
            return svg + "<text x=\"\(number(left + 8))\" y=\"\(number(top + plotH / 2))\">nothing to sweep in the window</text></svg>"
        }
        let kept = sweep.curve.filter { $0.truePositives + $0.falsePositives > 0 }
        let path = kept.map { "\(number(x($0.recall), 1)),\(number(y($0.precision), 1))" }.joined(separator: " ")
        svg += "<polyline points=\"\(path)\" fill=\"none\" stroke=\"\(palette[0])\" stroke-width=\"1.5\"/>"
        let now = sweep.current
        svg += "<circle cx=\"\(number(x(now.recall)))\" cy=\"\(number(y(now.precision)))\" r=\"4\" fill=\"\(palette[1])\"><title>\(escape(label(now, "now")))</title></circle>"
        if let best = sweep.best {
            svg += "<circle cx=\"\(number(x(best.recall)))\" cy=\"\(number(y(best.precision)))\" r=\"6\" fill=\"none\" stroke=\"\(palette[2])\" stroke-width=\"2\"><title>\(escape(label(best, "best F1")))</title></circle>"
        }
        svg += "<text x=\"8\" y=\"32\"><tspan fill=\"\(palette[1])\">● now \(number(scoreThreshold, 2))</tspan>"
            + (sweep.best.map { "  <tspan fill=\"\(palette[2])\">○ best F1 at \(number($0.threshold, 2))</tspan>" } ?? "") + "</text>"
        return svg + "</svg>"
    }
}
