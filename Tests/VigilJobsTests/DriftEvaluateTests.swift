import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore

/// `vigil evaluate` with drift: data made so that the answer is known.
@Suite("Drift in vigil evaluate")
struct DriftEvaluateTests {
    static let policy = Policy(model: "drift-demo", task: .classification, classes: ["a", "b", "c"],
                               evaluation: EvaluationSettings(window: "7d", minReviewedPerClass: 12),
                               drift: DriftSettings(embedding: .init(mmd: MMDSettings(permutations: 200, maxSamples: 800, seed: 1))))

    /// One week of reference predictions (uniform classes) and one current week whose class
    /// shares are `currentShares`; in the current week `reviewed` items are labelled, with the
    /// model calling a `confusedShare` of true `c` items `a`.
    static func workspace(currentShares: [Double], confusedShare: Double, seed: UInt64, scoreShift: Double = 0, embeddingShift: Double = 0) throws -> TestWorkspace {
        let ws = try TestWorkspace(extraPolicies: [policy])
        var rng = SplitMix64(seed: seed)
        var predictions = "", labels = ""
        let start = Timestamp.parseMillis("2026-10-17T00:00:00Z")!
        let weekMs: Int64 = 7 * 86_400_000
        func pick(_ shares: [Double]) -> Int {
            var u = rng.unit(), k = 0
            while k < shares.count - 1 && u >= shares[k] { u -= shares[k]; k += 1 }
            return k
        }
        for i in 0..<6000 {
            let current = i >= 3000
            let ts = start + (current ? weekMs : 0) + Int64(i % 3000) * (weekMs / 3000)
            let truth = pick(current ? currentShares : [1.0 / 3, 1.0 / 3, 1.0 / 3])
            let predicted = truth == 2 && rng.unit() < (current ? confusedShare : 0) ? 0 : truth
            let score = 0.5 + 0.5 * rng.unit() - (current ? scoreShift : 0)
            let embedding = (0..<4).map { d in rng.unit() + (current && d == 0 ? embeddingShift : 0) }
            predictions += "{\"id\":\"p\(i)\",\"ts\":\"\(Timestamp.format(millis: ts))\",\"model\":\"drift-demo\",\"label\":\"\(Self.policy.classes[predicted])\",\"score\":\(score),\"input\":{\"uri\":\"img\(i).jpg\",\"embedding\":[\(embedding.map { String($0) }.joined(separator: ","))]}}\n"
            if current && i % 5 == 0 { labels += "{\"prediction_id\":\"p\(i)\",\"label\":\"\(Self.policy.classes[truth])\"}\n" }
        }
        _ = try ws.ingest(.predictions, try ws.file("p.ndjson", predictions))
        _ = try ws.ingest(.labels, try ws.file("l.ndjson", labels))
        return ws
    }

    static func evaluate(_ ws: TestWorkspace) throws -> EvaluationReport {
        // The policy as a value: the YAML the workspace writes carries only the usual fields.
        try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: policy, window: .last("7d"))
    }

    @Test func shiftedClassesAndABiasedModelAreFound() throws {
        let ws = try Self.workspace(currentShares: [0.2, 0.3, 0.5], confusedShare: 0.4, seed: 3, scoreShift: 0.1, embeddingShift: 0.3)
        let report = try Self.evaluate(ws)
        let drift = try #require(report.drift)
        func test(_ name: String, _ cls: String? = nil) -> DriftTestResult? { drift.tests.first { $0.test == name && $0.className == cls } }
        // The default reference is the baseline: the first 7 days of predictions, here the week before.
        #expect(drift.reference.kind == "baseline")
        #expect(report.baseline?.source.hasPrefix("default") == true)
        // Distribution drift is info by default (drift.test_severity): reported, shown, never paged.
        #expect(try #require(test("chi_square")).severity == .info)
        #expect(try #require(test("g_test")).adjustedPValue! < 0.01)
        let psi = try #require(test("psi"))
        #expect(psi.statistic > 0.01 && psi.severity == DriftSettings().psi.severity(of: psi.statistic))
        let biasA = try #require(test("mcnemar", "a"))
        #expect(biasA.severity == .info && biasA.effectSize! > 0.1 && biasA.interval!.lower > 0)
        let biasC = try #require(test("mcnemar", "c"))
        #expect(biasC.effectSize! < -0.1)
        #expect(try #require(test("stuart_maxwell")).severity == .info)
        #expect(report.findings.contains { $0.rule == "drift.prediction_bias.mcnemar.a" })
        let ks = try #require(test("ks"))
        #expect(ks.target == "score_distribution" && ks.severity == .info && ks.data["n_current"] == 3000)
        #expect(try #require(test("wasserstein")).statistic > 0.05)
        let mmd = try #require(test("mmd"))
        #expect(mmd.target == "embedding" && mmd.severity == .info && mmd.pValue! <= 1.0 / 201 + 1e-12)
        #expect(mmd.data["n_current"] == 800 && mmd.data["dimension"] == 4)
        #expect(report.status == .warning || report.status == .critical)
        #expect(ReportRenderer.table(report).contains("drift (reference: baseline"))
    }

    /// Windows larger than `drift.max_raw_values` run the score tests on the stored sample, and
    /// the verdict says so.
    @Test func largeWindowsAreTestedOnTheStoredSampleAndSaySo() throws {
        let ws = try Self.workspace(currentShares: [0.2, 0.3, 0.5], confusedShare: 0.4, seed: 3, scoreShift: 0.1)
        var policy = Self.policy
        policy.drift.maxRawValues = 1_000  // each week holds 3,000 predictions
        policy.drift.minPredictions = 20
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: policy, window: .last("7d"))
        let ks = try #require(report.drift?.tests.first { $0.test == "ks" && $0.target == "score_distribution" })
        #expect(ks.data["n_window_current"] == 3000 && ks.data["n_window_reference"] == 3000)
        #expect(ks.data["sample_level_current"] == 5 && ks.data["sample_level_reference"] == 5)
        let n = try #require(ks.data["n_current"])
        #expect(n >= 40 && n <= 160, "1 in 32 of 3,000 is about 94, got \(n)")
        #expect(ks.message.contains("1 in 32 of 3000 predictions"))
        let full = try Self.evaluate(ws)
        let exact = try #require(full.drift?.tests.first { $0.test == "ks" && $0.target == "score_distribution" })
        #expect(exact.data["n_current"] == 3000 && exact.data["sample_level_current"] == nil)
    }

    @Test func noDriftRaisesNoDriftFinding() throws {
        let ws = try Self.workspace(currentShares: [1.0 / 3, 1.0 / 3, 1.0 / 3], confusedShare: 0, seed: 4)
        let report = try Self.evaluate(ws)
        let drift = try #require(report.drift)
        #expect(drift.tests.contains { $0.test == "chi_square" && $0.pValue != nil })
        #expect(drift.tests.contains { $0.test == "mmd" && $0.severity == .ok })
        #expect(drift.tests.contains { $0.test == "adwin" && $0.target == "correctness_stream" })
        #expect(!report.findings.contains { $0.rule.hasPrefix("drift.") }, "\(report.findings.map(\.message))")
    }

    /// A fall of accuracy exactly at the start of a 1-day window: the detector replays the days
    /// before, so it sees the change; on the window's values alone it could not.
    @Test func aChangeAtAWindowBoundaryIsSeenByTheChangeDetector() throws {
        var policy = Policy(model: "boundary", task: .classification, classes: ["a", "b"],
                            evaluation: EvaluationSettings(window: "1d", minReviewedPerClass: 12),
                            drift: DriftSettings(reference: .previousWindow, referenceWindow: "5d"))
        policy.drift.embedding.enabled = false
        policy.drift.sequential.hourlyMeanScore = []
        let ws = try TestWorkspace(extraPolicies: [policy])
        var rng = SplitMix64(seed: 5)
        let start = Timestamp.parseMillis("2026-10-20T00:00:00Z")!, day: Int64 = 86_400_000
        var predictions = "", labels = "", windowValues: [Double] = []
        for i in 0..<600 {
            let ts = start + Int64(i) * (day / 100)
            let changed = ts >= start + 5 * day
            let correct = rng.unit() < (changed ? 0.5 : 0.97)
            predictions += "{\"id\":\"q\(i)\",\"ts\":\"\(Timestamp.format(millis: ts))\",\"model\":\"boundary\",\"label\":\"a\",\"score\":0.9}\n"
            labels += "{\"prediction_id\":\"q\(i)\",\"label\":\"\(correct ? "a" : "b")\"}\n"
            if changed { windowValues.append(correct ? 1 : 0) }
        }
        _ = try ws.ingest(.predictions, try ws.file("q.ndjson", predictions))
        _ = try ws.ingest(.labels, try ws.file("ql.ndjson", labels))
        #expect(policy.drift.sequential.changePoints(.adwin, on: windowValues).isEmpty, "the window alone shows no change: the test needs the run-up")
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(
            policy: policy, window: .range(from: Timestamp.date(millis: start + 5 * day), to: Timestamp.date(millis: start + 6 * day)))
        let adwin = try #require(report.drift?.tests.first { $0.test == "adwin" })
        #expect(adwin.data["replayed"] == 500 && adwin.data["n"] == 100, "\(adwin.data)")
        #expect(adwin.statistic >= 1 && adwin.severity == .warning, "\(adwin.message)")
        #expect(adwin.message.contains("after 500 earlier ones"))
    }

    /// Two weeks of a two-class model that calls `biasWeek1` / `biasWeek2` of true 'b' items 'a', a third of them reviewed.
    static func biasedWorkspace(model: String, biasWeek1: Double, biasWeek2: Double) throws -> (TestWorkspace, Policy) {
        var policy = Policy(model: model, task: .classification, classes: ["a", "b"], evaluation: EvaluationSettings(window: "7d", minReviewedPerClass: 12))
        policy.drift.embedding.enabled = false
        let ws = try TestWorkspace(extraPolicies: [policy])
        var rng = SplitMix64(seed: 11)
        let start = Timestamp.parseMillis("2026-10-17T00:00:00Z")!, week: Int64 = 7 * 86_400_000
        var predictions = "", labels = ""
        for i in 0..<3000 {
            let ts = start + Int64(i) * (2 * week / 3000)
            let truth = rng.unit() < 0.5 ? "a" : "b"
            let bias = ts < start + week ? biasWeek1 : biasWeek2
            let predicted = truth == "b" && rng.unit() < bias ? "a" : truth
            predictions += "{\"id\":\"\(model)\(i)\",\"ts\":\"\(Timestamp.format(millis: ts))\",\"model\":\"\(model)\",\"label\":\"\(predicted)\",\"score\":0.8}\n"
            if i % 3 == 0 { labels += "{\"prediction_id\":\"\(model)\(i)\",\"label\":\"\(truth)\"}\n" }
        }
        _ = try ws.ingest(.predictions, try ws.file("b.ndjson", predictions))
        _ = try ws.ingest(.labels, try ws.file("bl.ndjson", labels))
        return (ws, policy)
    }

    @Test func aBiasTheBaselineAlreadyHadIsAPropertyOfTheModelNotDrift() throws {
        let week2 = (Timestamp.date(millis: Timestamp.parseMillis("2026-10-24T00:00:00Z")!), Timestamp.date(millis: Timestamp.parseMillis("2026-10-31T00:00:00Z")!))
        let (ws, policy) = try Self.biasedWorkspace(model: "standing", biasWeek1: 0.3, biasWeek2: 0.3)
        let report = try EvaluateJob(store: ws.store, clock: ws.clock).run(policy: policy, window: .range(from: week2.0, to: week2.1))
        let a = try #require(report.drift?.tests.first { $0.test == "mcnemar" && $0.className == "a" })
        #expect(a.adjustedPValue! < 0.01 && a.severity == .ok, "\(a.message)")
        #expect(a.message.contains("a property of the model, not drift"))
        #expect(!report.findings.contains { $0.rule.hasPrefix("drift.prediction_bias") })
        #expect(report.drift?.notes.contains { $0.hasPrefix("prediction bias present since the baseline") } == true)

        // The same bias appearing only in week 2 is drift.
        let (ws2, policy2) = try Self.biasedWorkspace(model: "fresh", biasWeek1: 0, biasWeek2: 0.3)
        let fresh = try EvaluateJob(store: ws2.store, clock: ws2.clock).run(policy: policy2, window: .range(from: week2.0, to: week2.1))
        #expect(fresh.findings.contains { $0.rule == "drift.prediction_bias.mcnemar.a" && $0.severity == .info })
    }
}
