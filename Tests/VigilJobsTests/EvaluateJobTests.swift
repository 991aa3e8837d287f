import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore

@Suite struct EvaluateJobTests {
    /// Ingests `rows` example predictions with ground truth for a `fraction` of them.
    func loaded(rows: Int, fraction: Double) throws -> (TestWorkspace, ExampleData) {
        let ws = try TestWorkspace()
        let data = ExampleData(rows: rows, seed: 3)
        let files = try ExampleDataWriter.write(data, to: ws.root + "/data", labeledFraction: fraction, csv: false)
        #expect(try ws.ingest(.predictions, files.predictions).exitCode == 0)
        #expect(try ws.ingest(.labels, files.labels).exitCode == 0)
        return (ws, data)
    }

    @Test func matchesARecountOfTheGeneratedRowsAndStoresTheRun() throws {
        let (ws, data) = try loaded(rows: 6000, fraction: 0.5)
        let policy = try ws.workspace.policy(for: ExampleData.model)
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: policy, window: .last("7d"))
        // Recount straight from the generator.
        let window = (Timestamp.parseMillis("2026-10-24T00:00:00Z")!, Timestamp.parseMillis("2026-10-31T00:00:00Z")!)
        var expected = ConfusionMatrix(classCount: ExampleData.classes.count)
        var inWindow = 0
        for i in 0..<data.rows {
            let r = data.row(i)
            guard r.ts >= window.0 && r.ts < window.1 else { continue }
            inWindow += 1
            if data.isReviewed(i, fraction: 0.5) { expected.add(trueClass: r.observed, predicted: r.predicted) }
        }
        #expect(report.confusionMatrix?.counts == expected.rows)
        #expect(report.predictionsInWindow == inWindow)
        #expect(report.labeled == expected.total)
        let m = ClassificationMetrics(expected)
        #expect(report.metrics?.accuracy == m.accuracy)
        #expect(report.metrics?.macro == m.macro)
        #expect(report.status == .critical)
        // The drift after day 20 lowers bag's and tube's recall. On the evidence: tube 28/60 = 0.467 (interval 0.35–0.59) is below
        // the critical level 0.65; bag 37/62 = 0.597 (interval 0.47–0.71) is below the warning level 0.8 but not shown below 0.65.
        #expect(report.findings.contains { $0.rule == "recall[bag]" && $0.severity == .warning })
        #expect(report.findings.contains { $0.rule == "recall[tube]" && $0.severity == .critical })
        let runID = try #require(report.runID)
        // Newest first: the run's alert events (same transaction) follow its evaluation.run event.
        let events = try ws.store.events(model: ExampleData.model, limit: 50)
        #expect(events.first { $0.kind == "evaluation.run" }?.subject == "run/\(runID)")
        #expect(events.contains { $0.kind == "alert.firing" })
    }

    @Test func beforeTheDriftTheModelIsOK() throws {
        let (ws, data) = try loaded(rows: 6000, fraction: 0.5)
        let policy = try ws.workspace.policy(for: ExampleData.model)
        let from = Timestamp.date(millis: data.startMillis)
        let to = Timestamp.date(millis: data.startMillis + 20 * 86_400_000)
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: policy, window: .range(from: from, to: to))
        #expect(report.findings.first { $0.rule == "recall[bag]" }?.severity == .ok)
        #expect(report.exitCode == report.status.exitCode)
    }

    @Test func tooFewReviewedItemsIsInsufficientEvidenceNotAVerdict() throws {
        let (ws, _) = try loaded(rows: 3000, fraction: 0.02)
        let policy = try ws.workspace.policy(for: ExampleData.model)
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: policy, window: .last("2d"))
        #expect(report.labeled < 12 * ExampleData.classes.count)
        let perClass = report.findings.filter { $0.className != nil }
        #expect(!perClass.isEmpty)
        for f in perClass {
            let support = report.metrics!.perClass.first { $0.className == f.className }!.support
            if support < 12 { #expect(f.severity == .insufficientEvidence && f.value == nil, "\(f.rule)") }
        }
        #expect(report.metrics!.perClass.allSatisfy { $0.support >= 12 || $0.evidence == .insufficientEvidence })
    }

    @Test func noLabelsMeansUnknown() throws {
        let ws = try TestWorkspace()
        let files = try ExampleDataWriter.write(ExampleData(rows: 500), to: ws.root + "/data", labeledFraction: 0, csv: false)
        _ = try ws.ingest(.predictions, files.predictions)
        var policy = try ws.workspace.policy(for: ExampleData.model)
        policy.drift.enabled = false
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: policy, window: .last("30d"))
        #expect(report.status == .unknown && report.exitCode == 3)
        #expect(report.labeled == 0)
        #expect(report.notes.contains { $0.contains("no reviewed predictions") })
    }

    @Test func withoutLabelsDriftStillWatchesTheScores() throws {
        // The example data's scores drop from day 20 (two classes get harder); 20,000
        // predictions over 30 days give about 28 an hour, and the hourly mean score's CUSUM
        // (warm-up in the window, as there is no reference before it) finds the change.
        let ws = try TestWorkspace()
        let files = try ExampleDataWriter.write(ExampleData(rows: 20_000), to: ws.root + "/data", labeledFraction: 0, csv: false)
        _ = try ws.ingest(.predictions, files.predictions)
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: try ws.workspace.policy(for: ExampleData.model), window: .last("30d"))
        #expect(report.labeled == 0)
        #expect(report.status == .warning)
        let cusum = try #require(report.drift?.tests.first { $0.test == "cusum" })
        #expect(cusum.severity == .warning && cusum.data["last_change_index"]! > 19 * 24, "\(cusum.message)")
    }

    @Test func jsonReportHasTheDocumentedStableKeys() throws {
        let (ws, _) = try loaded(rows: 2000, fraction: 1)
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: try ws.workspace.policy(for: ExampleData.model), window: .last("30d"))
        let object = try JSONSerialization.jsonObject(with: Data(try report.json().utf8)) as! [String: Any]
        #expect(Set(object.keys) == ["schema", "model", "task", "run_id", "created_at", "window", "status", "exit_code", "estimator",
                                     "predictions_in_window", "labeled", "min_reviewed_per_class", "confidence", "classes",
                                     "confusion_matrix", "metrics", "drift", "findings", "notes"])
        #expect(object["schema"] as? String == "vigil.evaluation/v1")
        let drift = object["drift"] as! [String: Any]
        #expect(Set(drift.keys) == ["reference", "alpha", "tests", "notes"])
        let test = (drift["tests"] as! [[String: Any]]).first { $0["test"] as? String == "mcnemar" }!
        #expect(Set(test.keys).isSuperset(of: ["target", "test", "class", "statistic", "p_value", "adjusted_p_value", "effect_size",
                                               "effect_name", "interval", "data", "method", "severity", "message"]))
        let metrics = object["metrics"] as! [String: Any]
        #expect(Set(metrics.keys) == ["accuracy", "accuracy_interval", "macro", "micro", "weighted", "per_class", "threshold_sweep"])
        let sweep = (metrics["threshold_sweep"] as! [[String: Any]])
        #expect(sweep.count == 1 + ((object["classes"] as? [Any])?.count ?? 0), "all classes, then each class")
        #expect(Set(sweep[0].keys).isSuperset(of: ["positives", "current", "best", "curve"]))
        let row = (metrics["per_class"] as! [[String: Any]])[0]
        #expect(Set(row.keys) == ["class", "precision", "recall", "f1", "support", "predicted", "precision_interval", "recall_interval", "evidence"])
        let finding = (object["findings"] as! [[String: Any]])[0]
        #expect(Set(finding.keys).isSuperset(of: ["rule", "metric", "severity", "evidence", "message"]))
        // Decoding gives the same report back.
        let decoded = try JSONDecoder().decode(EvaluationReport.self, from: Data(try report.json().utf8))
        #expect(decoded == report)
    }
}
