import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilQuickstart
import VigilRegistry
import VigilStore
import VigilWorkspace

/// `vigil quickstart --fast` end to end, and the story asserted from what the store holds —
/// not from the quickstart's own summary.
@Suite struct QuickstartStoryTests {
    @Test func theFastQuickstartTellsTheWholeStory() throws {
        let dir = NSTemporaryDirectory() + "vigil-quickstart-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        let settings = QuickstartSettings.fast
        let result = try DetectorQuickstart(directory: dir, settings: settings).run(progress: .lines { _ in })

        let ws = try Workspace.locate(from: dir)
        let store = try ws.openStore()
        let model = QuickstartFiles.model
        let change = settings.dayStart(settings.changeDay)
        let decoder = JSONDecoder()
        let runs = try store.evaluationHistory(model: model, since: settings.start, limit: 1000).sorted { $0.createdAt < $1.createdAt }
        let reports = try runs.map { ($0, try decoder.decode(EvaluationReport.self, from: Data($0.report.utf8))) }
        #expect(reports.count >= settings.days - 1)

        // Before the change: v1 is above the thresholds every day (a drift warning may come and go).
        let before = reports.filter { $0.0.window.from >= settings.start && $0.0.window.to <= change }
        #expect(before.count == settings.changeDay)
        #expect(before.allSatisfy { $0.1.status != .critical && ($0.1.detection?.coco["AP50"] ?? 0) >= 0.7 },
                "\(before.map { ($0.1.window.to, $0.1.status, $0.1.detection?.coco["AP50"] ?? -1) })")

        // The shift is caught within two simulated days: a non-ok evaluation with findings on
        // map50 or recall, and prediction-bias / distribution drift that fired.
        let firstBad = try #require(reports.first { $0.0.window.to > change && $0.1.status != .ok })
        #expect(firstBad.0.createdAt - change <= 2 * 86_400_000)
        #expect(firstBad.1.status == .critical)
        #expect(firstBad.1.findings.contains { $0.rule.contains("map50") || $0.rule.contains("recall") }, "\(firstBad.1.findings.map(\.rule))")
        #expect(firstBad.1.drift?.tests.contains { $0.severity != .ok } == true)
        let interval = try #require(firstBad.1.detection?.mapInterval)
        #expect(interval.lower <= (firstBad.1.detection?.coco["AP"] ?? -1) && interval.upper >= (firstBad.1.detection?.coco["AP"] ?? 2))

        // An alert was delivered to the local receiver, in Slack's format among others.
        let events = try store.events(model: model, limit: 100_000)
        let delivered = events.filter { $0.kind == "alert.delivery.delivered" && $0.ts >= change }
        #expect(delivered.contains { $0.ts - change <= 2 * 86_400_000 })
        // Alerts are few and meaningful: nothing reached the chat while the camera was unchanged.
        #expect(!events.contains { $0.kind == "alert.delivery.delivered" && $0.ts < change })
        #expect(result.timeline.deliveredBeforeChange == 0)
        let slack = result.received.filter { $0.path.hasSuffix("/slack") }
        #expect(!slack.isEmpty)
        let slackBody = try #require(slack.first.flatMap { try JSONSerialization.jsonObject(with: Data($0.body.utf8)) as? [String: Any] })
        #expect(slackBody["blocks"] != nil || slackBody["text"] != nil)
        #expect(result.received.contains { $0.path.hasSuffix("/webhook") && $0.headers["webhook-signature"] != nil })

        // A retraining job ran, and the gate promoted v2 with its reasons recorded.
        let jobs = try store.retrainJobs(model: model, limit: 10)
        #expect(jobs.contains { $0.state == .succeeded && $0.trainer == "embedded" })
        let registry = EmbeddedRegistry(store: store)
        #expect(try registry.alias("champion", model: model) == 2)
        let move = try #require(try registry.history(model: model, limit: 10).first { $0.alias == "champion" && $0.toVersion == 2 })
        #expect(move.kind == .promote)
        #expect(move.verdict != nil)
        let v2 = try #require(try registry.version(model: model, version: 2))
        let verdict = try #require(ModelCard.decode(v2.card, classes: v2.classes).gate)
        #expect(verdict.passed)
        #expect(verdict.champion == 1)
        #expect(verdict.checks.count >= 3 && verdict.checks.allSatisfy(\.passed))
        #expect((verdict.improvement ?? 0) >= 0.02)
        #expect(v2.parentVersion == 1)

        // Recovery: the last evaluations have no critical finding and map50 is at or above its
        // warning threshold (0.7), where the days after the change were far below it.
        for last in reports.suffix(2) {
            #expect(last.1.status != .critical)
            #expect((last.1.detection?.coco["AP50"] ?? 0) >= 0.7)
        }
        #expect((firstBad.1.detection?.coco["AP50"] ?? 1) < 0.5)
        #expect(result.timeline.recovered)
        #expect(result.timeline.promoted?.version == 2)
    }
}
