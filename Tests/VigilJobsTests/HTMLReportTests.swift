import Foundation
#if canImport(FoundationXML)
import FoundationXML  // XMLParser on Linux (libxml2, installed by scripts/install-deps.sh)
#endif
import Testing
import VigilCore
import VigilJobs
import VigilStore

/// `vigil report --html` and the trend lines of `vigil evaluate --format table`, on a backfilled
/// history of the example classifier whose two classes degrade after day 20.
@Suite struct HTMLReportTests {
    /// A workspace with 13 daily windows evaluated, an alert and a promotion in the event log.
    static func history() throws -> (TestWorkspace, [EvaluationReport]) {
        let ws = try TestWorkspace()
        let files = try ExampleDataWriter.write(ExampleData(rows: 8000, seed: 5), to: ws.root + "/data", labeledFraction: 0.5, csv: false)
        _ = try ws.ingest(.predictions, files.predictions)
        _ = try ws.ingest(.labels, files.labels)
        let job = EvaluateJob(store: ws.store, clock: ws.clock)
        let policy = try #require(try ws.workspace.loadPolicies().first { $0.model == "shelf-classifier" })
        let runs = try job.backfill(policy: policy, from: Timestamp.date(millis: Timestamp.parseMillis("2026-10-19T00:00:00Z")!),
                                    to: Timestamp.date(millis: Timestamp.parseMillis("2026-10-31T00:00:00Z")!), zone: TimeZone(identifier: "UTC")!)
        try ws.store.append(Event(ts: Timestamp.parseMillis("2026-10-24T06:00:00Z")!, actor: "test", kind: "alert.notification.queued",
                                  model: "shelf-classifier", subject: "notification/abc", details: #"{"receiver":"team-chat","status":"firing"}"#))
        try ws.store.append(Event(ts: Timestamp.parseMillis("2026-10-27T12:00:00Z")!, actor: "test", kind: "registry.promote",
                                  model: "shelf-classifier", subject: "version/2", details: "{}"))
        return (ws, runs.map(\.report))
    }

    @Test func theReportIsOneWellFormedSelfContainedFile() throws {
        let (ws, runs) = try Self.history()
        #expect(runs.count == 13)  // the daily 00:00 slots of 19 … 31 October
        let path = ws.root + "/out/report.html"
        let summary = try HTMLReportJob(store: ws.store, clock: ws.clock).write(models: ["shelf-classifier"], seconds: 30 * 86_400, to: path)
        #expect(summary.evaluations == runs.count)
        let html = try String(contentsOfFile: path, encoding: .utf8)
        // Well-formed (XHTML syntax), so any XML parser reads it; nothing fetched from elsewhere.
        let parser = XMLParser(data: Data(html.utf8))
        let counter = ElementCounter()
        parser.delegate = counter
        #expect(parser.parse(), "\(parser.parserError.map { "\($0)" } ?? "")")
        #expect(!html.contains("<script") && !html.contains("src=") && !html.contains("<link"))
        let urls = html.components(separatedBy: "://").count - 1
        let namespaces = html.components(separatedBy: "http://www.w3.org/").count - 1
        #expect(urls == namespaces, "only XML namespace URIs may appear")
        // One point per window per headline metric in the metrics chart, plus the class lines.
        #expect(counter.count["svg", default: 0] >= 5)
        #expect(counter.titles.filter { $0.hasPrefix("accuracy 2026-") }.count == runs.count)
        // The verdict of the latest window, and its interval band.
        let latest = try #require(runs.last)
        #expect(html.contains(">\(latest.status.rawValue.uppercased())</span>"))
        #expect(counter.count["polygon", default: 0] >= 1)
        // Every model-level threshold the latest run judged is drawn as a rule with its value.
        for f in latest.findings where f.className == nil && ["accuracy", "macro_f1"].contains(f.metric) {
            for v in [f.warning, f.critical].compactMap({ $0 }) {
                #expect(counter.titles.contains { $0.contains(f.metric) && $0.hasSuffix(String(format: ": %.3f", v)) }, "rule \(f.metric) \(v)")
            }
        }
        // The alert and the promotion are marked on the time lines and listed.
        #expect(counter.titles.contains { $0.hasPrefix("alert.notification.queued firing → team-chat") && $0.hasSuffix("2026-10-24T06:00:00.000Z") })
        #expect(counter.titles.contains { $0.hasPrefix("registry.promote (version/2)") })
        #expect(html.contains("<td style=\"color:#2ca02c\">promotion</td>"))
        // Drift tests per window, with their severities, and the confusion heat map.
        #expect(counter.titles.contains { $0.hasPrefix("class_distribution · chi_square · ") == false && $0.hasPrefix("class_distribution · chi_square 2026-") })
        #expect(counter.titles.contains { $0.hasPrefix("bottle → bottle: ") })
    }

    @Test func aModelWithoutRunsSaysWhatToDo() throws {
        let ws = try TestWorkspace()
        let path = ws.root + "/empty.html"
        let summary = try HTMLReportJob(store: ws.store, clock: ws.clock).write(models: ["shelf-classifier"], seconds: 86_400, to: path)
        #expect(summary.evaluations == 0)
        #expect(try String(contentsOfFile: path, encoding: .utf8).contains("vigil evaluate --model shelf-classifier"))
        #expect(throws: JobError.self) { try HTMLReportJob(store: ws.store, clock: ws.clock).write(models: [], seconds: 0, to: path) }
    }

    @Test func theTableReportEndsWithTrendLines() throws {
        let (ws, runs) = try Self.history()
        let history = try ReportHistory.load(store: ws.store, model: "shelf-classifier", since: 0, limit: 30)
        #expect(history.reports.count == runs.count && history.times == history.times.sorted())
        #expect(history.marks.map(\.kind) == [.alert, .promotion])
        let trend = ReportRenderer.trend(history)
        let accuracy = try #require(trend.split(separator: "\n").first { $0.hasPrefix("accuracy ") })
        let spark = accuracy.dropFirst(13).prefix(runs.count)
        #expect(spark.allSatisfy { Sparkline.levels.contains($0) }, "\(accuracy)")
        #expect(accuracy.contains("now " + String(format: "%.4f", runs.last!.metrics!.accuracy)))
    }
}

/// Counts elements and collects `<title>` texts.
final class ElementCounter: NSObject, XMLParserDelegate {
    var count: [String: Int] = [:]
    var titles: [String] = []
    private var inTitle = false
    private var text = ""

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        count[name, default: 0] += 1
        if name == "title" { inTitle = true; text = "" }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { if inTitle { text += string } }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "title" { inTitle = false; titles.append(text) }
    }
}
