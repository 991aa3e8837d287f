import Foundation
#if canImport(FoundationXML)
import FoundationXML  // XMLParser on Linux (libxml2, installed by scripts/install-deps.sh)
#endif
import Testing
import VigilAlerts
import VigilCore
@testable import VigilJobs
import VigilStore

/// `vigil report --html` and the trend lines of `vigil evaluate --format table`, on a backfilled
/// history of the example classifier whose two classes degrade after day 20.
@Suite struct HTMLReportTests {
    static let model = "shelf-classifier"
    static func at(_ text: String) -> Int64 { Timestamp.parseMillis(text)! }

    /// A workspace with 13 daily slots (19 … 31 October) evaluated in windows of `window`, with
    /// the reviews of the predictions made on `unreviewedDay` (yyyy-mm-dd) left out; a promotion
    /// and (with `oneAlert`) an alert recorded through the store's real paths.
    static func history(window: String = "7d", unreviewedDay: String? = nil, oneAlert: Bool = true) throws -> (TestWorkspace, [EvaluationReport]) {
        let ws = try TestWorkspace()
        let data = ExampleData(rows: 8000, seed: 5)
        let files = try ExampleDataWriter.write(data, to: ws.root + "/data", labeledFraction: 0.5, csv: false)
        _ = try ws.ingest(.predictions, files.predictions)
        if let unreviewedDay {
            let lines = (0..<data.rows).filter { data.isReviewed($0, fraction: 0.5) && !Timestamp.format(millis: data.row($0).ts).hasPrefix(unreviewedDay) }
            _ = try ws.ingest(.labels, try ws.file("labels-with-a-gap.ndjson", lines.map(data.labelLine).joined(separator: "\n") + "\n"))
        } else {
            _ = try ws.ingest(.labels, files.labels)
        }
        let job = EvaluateJob(store: ws.store, clock: ws.clock)
        var policy = try #require(try ws.workspace.loadPolicies().first { $0.model == model })
        policy.evaluation.window = window
        let runs = try job.backfill(policy: policy, from: Timestamp.date(millis: at("2026-10-19T00:00:00Z")),
                                    to: Timestamp.date(millis: at("2026-10-31T00:00:00Z")), zone: TimeZone(identifier: "UTC")!)
        // The planner's events of one alert that fires from 06:00 on the 24th for a day and resolves two clear runs later, with its notifications.
        if oneAlert {
            try planAlerts(ws, receivers: ["team-chat"], repeatInterval: "24h", hours: at("2026-10-24T06:00:00Z")..<at("2026-10-26T06:00:00Z"),
                           firing: { $0 < at("2026-10-25T06:00:00Z") })
        }
        // A promotion: v2 registered and made champion.
        _ = try ws.store.registerVersion(ModelVersionDraft(model: model, artifactSHA256: String(repeating: "a", count: 64), artifactPath: "a", classes: policy.classes),
                                         now: at("2026-10-27T11:00:00Z"), actor: "test")
        _ = try ws.store.registerVersion(ModelVersionDraft(model: model, artifactSHA256: String(repeating: "b", count: 64), artifactPath: "b", classes: policy.classes,
                                                           parentVersion: 1), now: at("2026-10-27T11:30:00Z"), actor: "test")
        _ = try ws.store.moveAlias(AliasMoveRequest(model: model, alias: "champion", version: 2, expected: nil, checkExpected: false, kind: .promote,
                                                    actor: "test", now: at("2026-10-27T12:00:00Z")))
        return (ws, runs.map(\.report))
    }

    /// Runs the real alert planner once an hour over `hours` for `receivers` (every alert to
    /// each): the `accuracy` rule fires critical in the hours where `firing` says so and is ok
    /// otherwise; repeats are due every `repeatInterval`. Returns how many notifications were queued.
    @discardableResult
    static func planAlerts(_ ws: TestWorkspace, receivers: [String], repeatInterval: String, hours: Range<Int64>,
                           firing: (Int64) -> Bool) throws -> Int {
        let setup = try AlertSetup(receivers: receivers.map { Receiver(name: $0, kind: .webhook, url: "http://127.0.0.1:9/\($0)") }, serverURL: nil,
                                   delivery: DeliverySettings(), workspaceRoot: nil)
        var policy = try #require(try ws.workspace.loadPolicies().first { $0.model == model })
        policy.alerts = AlertRouting(repeatInterval: repeatInterval, routes: [AlertRoute(receivers: receivers)])
        let planner = try setup.planner(for: policy, actor: "scheduler")
        var queued = 0
        for now in stride(from: hours.lowerBound, to: hours.upperBound, by: 3_600_000) {
            let severity: Severity = firing(now) ? .critical : .ok
            let finding = Finding(rule: "accuracy", metric: "accuracy", className: nil, severity: severity, value: severity == .ok ? 0.93 : 0.61,
                                  interval: nil, warning: 0.85, critical: 0.75, evidence: 400, message: "accuracy is \(severity == .ok ? 0.93 : 0.61)")
            try ws.store.updateAlerts(model: model, now: now) { book in
                let changes = try planner.plan(book, findings: [finding], run: .init(id: 1, window: TimeWindow(from: now - 86_400_000, to: now)))
                queued += changes.notifications.count
                return changes
            }
        }
        return queued
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
        // The alert episode is a span on the time lines (with its notification counted), the promotion a marker; both are listed.
        #expect(counter.titles.contains { $0.hasPrefix("alert episode 1: critical, 2026-10-24T06:00:00.000Z → 2026-10-25T07:00:00.000Z") && $0.hasSuffix("2 notifications") })
        #expect(counter.titles.contains { $0 == "champion promoted: v2 at 2026-10-27T12:00:00.000Z" })
        #expect(html.contains("<td style=\"color:#2ca02c\">promotion</td><td>champion promoted: v2</td>"))
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
        #expect(history.timeline.episodes.count == 1)
        #expect(Set(history.timeline.events.map(\.kind)) == [.alert, .registry, .promotion])
        let trend = ReportRenderer.trend(history)
        let accuracy = try #require(trend.split(separator: "\n").first { $0.hasPrefix("accuracy ") })
        let spark = accuracy.dropFirst(13).prefix(runs.count)
        #expect(spark.allSatisfy { Sparkline.levels.contains($0) }, "\(accuracy)")
        #expect(accuracy.contains("now " + String(format: "%.4f", runs.last!.metrics!.accuracy)))
    }
}

extension HTMLReportTests {
    @Test func aMonthOfRepeatNotificationsIsOneSpanPerAlertEpisode() throws {
        let (ws, _) = try Self.history(oneAlert: false)
        // Over the month, two outbreaks to three receivers with hourly repeats: hundreds of notifications.
        let first = Self.at("2026-10-20T06:00:00Z")..<Self.at("2026-10-23T06:00:00Z")
        let second = Self.at("2026-10-28T00:00:00Z")..<Self.at("2026-10-29T12:00:00Z")
        let queued = try Self.planAlerts(ws, receivers: ["team-slack", "team-teams", "on-call"], repeatInterval: "1h",
                                         hours: Self.at("2026-10-01T00:00:00Z")..<Self.at("2026-10-31T00:00:00Z"),
                                         firing: { first.contains($0) || second.contains($0) })
        #expect(queued > 300, "the month has many notifications: \(queued)")
        let history = try ReportHistory.load(store: ws.store, model: Self.model, since: Self.at("2026-10-01T00:00:00Z"))
        let episodes = history.timeline.episodes
        try #require(episodes.count == 2, "\(episodes)")
        // Each episode runs from the first firing to the resolution (two clear evaluations later), and counts its notifications.
        #expect(episodes[0].start == first.lowerBound && episodes[0].end == first.upperBound + 3_600_000)
        #expect(episodes[1].start == second.lowerBound && episodes[1].end == second.upperBound + 3_600_000)
        #expect(episodes.map(\.severity) == [.critical, .critical] && episodes.allSatisfy { $0.rules == ["accuracy"] })
        #expect(episodes.map(\.notificationCount).reduce(0, +) == queued)
        #expect(Set(episodes[0].notifications.keys) == ["team-slack", "team-teams", "on-call"])
        // The page: one span per episode in every chart that draws them, no marker per notification, one table row per episode.
        let html = HTMLReport.render([history], generatedAt: Self.at("2026-10-31T00:00:00Z"))
        let counter = ElementCounter()
        let parser = XMLParser(data: Data(html.utf8))
        parser.delegate = counter
        #expect(parser.parse())
        let spans = counter.titles.filter { $0.hasPrefix("alert episode ") }
        #expect(Set(spans).count == 2 && spans.count % 2 == 0 && !spans.isEmpty)
        #expect(!html.contains("alert.notification.queued"))
        #expect(counter.count["g", default: 0] < 2000, "no element per notification")
        #expect(html.contains("<td>1</td><td class=\"when\">2026-10-20 06:00</td><td class=\"when\">2026-10-23 07:00</td>"))
        #expect(html.contains(">\(episodes[0].notificationCount): on-call ×"))
    }

    @Test func aWindowWithoutReviewsIsAGapNotAZero() throws {
        let (ws, runs) = try Self.history(window: "1d", unreviewedDay: "2026-10-25")
        // The window of the 25th (ending at 00:00 on the 26th) has predictions but no reviewed item: unknown.
        let empty = try #require(runs.first { $0.window.from.hasPrefix("2026-10-25") })
        #expect(empty.labeled == 0 && empty.status == .unknown && empty.predictionsInWindow > 0)
        #expect(ReportHistory.value("accuracy", in: empty) == nil)
        let history = try ReportHistory.load(store: ws.store, model: Self.model, since: 0)
        let html = HTMLReport.render([history], generatedAt: Self.at("2026-10-31T00:00:00Z"))
        let counter = ElementCounter()
        let parser = XMLParser(data: Data(html.utf8))
        parser.delegate = counter
        #expect(parser.parse())
        // Every other window has its accuracy point; the empty one has none (no 0.0000), and the line breaks there.
        let points = counter.titles.filter { $0.hasPrefix("accuracy 2026-") }
        #expect(points.count == runs.count - 1)
        #expect(!points.contains { $0.hasPrefix("accuracy 2026-10-26") })
        #expect(!counter.titles.contains { $0.hasPrefix("accuracy ") && $0.contains(": 0.0000") })
        #expect(counter.polylines.filter { $0.svg == 1 && $0.stroke == SVGChart.palette[0] }.count == 2, "the accuracy line is two pieces")
        // The run's own page shows "—" for the undefined metrics, not 0.
        let page = RunPage.render(runID: try #require(empty.runID), createdAt: 0, report: empty, modelLink: "../../shelf-classifier")
        #expect(page.contains("<td>accuracy</td><td class=\"num\">—</td>"))
        #expect(page.contains("<td>macro_f1</td><td class=\"num\">—</td>"))
        #expect(XMLParser(data: Data(page.utf8)).parse())
    }

    @Test func theEventsTableListsWhatHappenedNotNotifications() throws {
        let (ws, _) = try Self.history()
        try BaselineWindow.record(store: ws.store, model: Self.model, window: TimeWindow(from: Self.at("2026-10-27T12:00:00Z"), to: Self.at("2026-11-03T12:00:00Z")),
                                  reason: "v2 became champion", actor: "test", now: Self.at("2026-10-27T12:00:00Z"))
        let job = try ws.store.createRetrainJob(RetrainJobDraft(model: Self.model, trigger: "alert", trainer: "command"), now: Self.at("2026-10-26T08:00:00Z"), actor: "test")
        let history = try ReportHistory.load(store: ws.store, model: Self.model, since: 0)
        let html = HTMLReport.render([history], generatedAt: Self.at("2026-10-31T00:00:00Z"))
        let table = try #require(html.components(separatedBy: "<h3>Events</h3>").last)
        for row in [">alert</td>", "alert firing critical: accuracy", "alert resolved: accuracy", "retraining job \(job.id) queued (trigger alert)",
                    "v2 registered", "champion promoted: v2", "baseline set to 2026-10-27T12:00:00.000Z → 2026-11-03T12:00:00.000Z: v2 became champion"] {
            #expect(table.contains(row), "\(row)")
        }
        #expect(!table.contains("notification"), "notifications are summarised with their episode, not listed as events")
    }
}

/// Counts elements and collects `<title>` texts.
final class ElementCounter: NSObject, XMLParserDelegate {
    var count: [String: Int] = [:]
    var titles: [String] = []
    /// The stroke colour of every `<polyline>` and the number of its `<svg>` (1 for the first chart).
    var polylines: [(svg: Int, stroke: String)] = []
    private var inTitle = false
    private var text = ""

    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
        count[name, default: 0] += 1
        if name == "title" { inTitle = true; text = "" }
        if name == "polyline" { polylines.append((count["svg", default: 0], attributes["stroke"] ?? "")) }
    }

    func parser(_ parser: XMLParser, foundCharacters string: String) { if inTitle { text += string } }

    func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) {
        if name == "title" { inTitle = false; titles.append(text) }
    }
}
