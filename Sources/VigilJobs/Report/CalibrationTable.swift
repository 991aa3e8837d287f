import VigilCore

/// The compact reliability table of a detection window, for the HTML report: the pooled D-ECE
/// with its interval, each class's D-ECE, and per non-empty score bin the detections, their mean
/// score and the share that were true positives (what a calibrated score would equal).
enum CalibrationTable {
    static func html(_ c: DetectionCalibrationReport) -> String {
        let e = SVGChart.escape
        func value(_ v: Double?) -> String { v.map { SVGChart.number($0, 3) } ?? SVGChart.undefined }
        var html = "<h3>Reliability of box scores (D-ECE at IoU \(SVGChart.number(c.iouThreshold, 2)))</h3>"
        let interval = c.interval.map { " [\(SVGChart.number($0.lower, 3)), \(SVGChart.number($0.upper, 3))]" } ?? ""
        let perClass = c.perClass.map { "\(e($0.className)) \(value($0.calibration.ece))" }.joined(separator: ", ")
        html += "<p>D-ECE \(value(c.overall.ece))\(interval) over \(c.overall.detections) detections, as netcal computes it "
            + "(\(c.overall.bins.count) equal-width score bins; |precision − mean score| weighted by the bin's share); per class: \(perClass).</p>"
        html += "<table><tr><th>score bin</th><th class=\"num\">detections</th><th class=\"num\">mean score</th><th class=\"num\">precision</th></tr>"
        for bin in c.overall.bins where bin.count > 0 {
            html += "<tr><td>\(SVGChart.number(bin.lower, 2))–\(SVGChart.number(bin.upper, 2))</td><td class=\"num\">\(bin.count)</td>"
                + "<td class=\"num\">\(value(bin.meanScore))</td><td class=\"num\">\(value(bin.precision))</td></tr>"
        }
        return html + "</table>"
    }
}
