import Foundation
import Testing
@testable import VigilCore

// MARK: - The scikit-learn fixture

/// `Fixtures/sklearn_classification.json`, written by `scripts/make_sklearn_fixture.py`:
/// small classification cases with scikit-learn's answers (`labels=range(K)`, `zero_division=0`)
/// and statsmodels' Wilson intervals.
struct SklearnFixture: Decodable {
    var confidence: Double
    var wilsonSource: String
    var cases: [SklearnCase]

    enum CodingKeys: String, CodingKey {
        case confidence, cases
        case wilsonSource = "wilson_source"
    }

    static func load() throws -> SklearnFixture {
        let url = try #require(Bundle.module.url(forResource: "sklearn_classification", withExtension: "json", subdirectory: "Fixtures"),
                               "Fixtures/sklearn_classification.json is missing: run scripts/make_sklearn_fixture.py")
        return try JSONDecoder().decode(SklearnFixture.self, from: Data(contentsOf: url))
    }
}

struct SklearnCase: Decodable, Sendable, CustomTestStringConvertible {
    struct Averaged: Decodable, Sendable {
        var precision: Double
        var recall: Double
        var f1: Double
    }

    struct PerClass: Decodable, Sendable {
        var precision: [Double]
        var recall: [Double]
        var f1: [Double]
        var support: [Int]
    }

    /// `[lower, upper]`, or `nil` where there were no trials.
    struct Wilson: Decodable, Sendable {
        var precision: [[Double]?]
        var recall: [[Double]?]
        var accuracy: [Double]?
    }

    struct Expected: Decodable, Sendable {
        var confusionMatrix: [[Int]]
        var accuracy: Double
        var perClass: PerClass
        var macro: Averaged
        var micro: Averaged
        var weighted: Averaged
        var wilson: Wilson

        enum CodingKeys: String, CodingKey {
            case accuracy, macro, micro, weighted, wilson
            case confusionMatrix = "confusion_matrix"
            case perClass = "per_class"
        }
    }

    var name: String
    var classes: [String]
    var yTrue: [Int]
    var yPred: [Int]
    var expected: Expected

    enum CodingKeys: String, CodingKey {
        case name, classes, expected
        case yTrue = "y_true"
        case yPred = "y_pred"
    }

    var testDescription: String { "\(name) (K=\(classes.count), n=\(yTrue.count))" }

    var matrix: ConfusionMatrix {
        var m = ConfusionMatrix(classCount: classes.count)
        for (t, p) in zip(yTrue, yPred) { m.add(trueClass: t, predicted: p) }
        return m
    }
}

/// Absolute tolerance for precision, recall, F1, accuracy and the averages against scikit-learn.
/// (Observed worst difference over the fixture: 3.3e-16, from the order of summation in the
/// macro/weighted averages; per-class values agree bit for bit.)
private let metricTolerance = 1e-12
/// Absolute tolerance for Wilson bounds against statsmodels. Vigil's normal quantile (AS 241) and
/// scipy's `ndtri` agree to the last bit at 0.975, so the bounds differ only by rounding
/// (observed worst difference over the fixture: 2.2e-16; the margin allows for another libm).
private let wilsonTolerance = 1e-14

private func close(_ a: Double, _ b: Double, _ tolerance: Double) -> Bool { abs(a - b) <= tolerance }

@Suite("Classification metrics match scikit-learn")
struct ClassificationMetricsTests {
    @Test("Fixture is present and complete")
    func fixtureLoads() throws {
        let fixture = try SklearnFixture.load()
        #expect(fixture.cases.count >= 4)
        #expect(fixture.confidence == 0.95)
        #expect(fixture.wilsonSource.contains("wilson"))
        for c in fixture.cases {
            let k = c.classes.count
            #expect(c.yTrue.count == c.yPred.count, "\(c.name)")
            #expect(c.expected.confusionMatrix.count == k, "\(c.name)")
            #expect(c.expected.perClass.precision.count == k && c.expected.wilson.recall.count == k, "\(c.name)")
        }
    }

    @Test("Every metric equals scikit-learn's", arguments: try SklearnFixture.load().cases)
    func matchesSklearn(_ c: SklearnCase) throws {
        let k = c.classes.count
        let matrix = c.matrix
        let e = c.expected

        // Confusion counts: exact, in scikit-learn's orientation (rows true, columns predicted).
        #expect(matrix.classCount == k)
        #expect(matrix.rows == e.confusionMatrix)
        #expect(matrix.total == c.yTrue.count)
        for j in 0..<k {
            #expect(matrix.support(j) == e.perClass.support[j], "support[\(j)]")
            #expect(matrix.predictedCount(j) == e.confusionMatrix.reduce(0) { $0 + $1[j] }, "predicted[\(j)]")
        }

        let m = ClassificationMetrics(matrix, confidence: 0.95)
        #expect(m.total == c.yTrue.count)
        #expect(m.perClass.count == k)
        #expect(close(m.accuracy, e.accuracy, metricTolerance), "accuracy \(m.accuracy) vs \(e.accuracy)")
        for j in 0..<k {
            let got = m.perClass[j]
            #expect(got.support == e.perClass.support[j], "support[\(j)]")
            #expect(got.truePositives == e.confusionMatrix[j][j], "tp[\(j)]")
            #expect(close(got.precision, e.perClass.precision[j], metricTolerance), "precision[\(j)] \(got.precision) vs \(e.perClass.precision[j])")
            #expect(close(got.recall, e.perClass.recall[j], metricTolerance), "recall[\(j)] \(got.recall) vs \(e.perClass.recall[j])")
            #expect(close(got.f1, e.perClass.f1[j], metricTolerance), "f1[\(j)] \(got.f1) vs \(e.perClass.f1[j])")
        }
        for (label, got, want) in [("macro", m.macro, e.macro), ("micro", m.micro, e.micro), ("weighted", m.weighted, e.weighted)] {
            #expect(close(got.precision, want.precision, metricTolerance), "\(label) precision \(got.precision) vs \(want.precision)")
            #expect(close(got.recall, want.recall, metricTolerance), "\(label) recall \(got.recall) vs \(want.recall)")
            #expect(close(got.f1, want.f1, metricTolerance), "\(label) f1 \(got.f1) vs \(want.f1)")
        }

        // Wilson intervals against statsmodels: nil exactly where there were no trials.
        func check(_ got: Interval?, _ want: [Double]?, _ label: String) {
            guard let want else {
                #expect(got == nil, "\(label): expected no interval (no trials), got \(String(describing: got))")
                return
            }
            guard let got else {
                Issue.record("\(label): expected [\(want[0]), \(want[1])], got nil")
                return
            }
            #expect(close(got.lower, want[0], wilsonTolerance), "\(label) lower \(got.lower) vs \(want[0])")
            #expect(close(got.upper, want[1], wilsonTolerance), "\(label) upper \(got.upper) vs \(want[1])")
        }
        for j in 0..<k {
            check(m.perClass[j].precisionInterval, e.wilson.precision[j], "precision interval[\(j)]")
            check(m.perClass[j].recallInterval, e.wilson.recall[j], "recall interval[\(j)]")
        }
        check(m.accuracyInterval, e.wilson.accuracy, "accuracy interval")
    }

    @Test("The fixture exercises every zero-division path")
    func zeroDivisionCaseIsWhatItSays() throws {
        let c = try #require(try SklearnFixture.load().cases.first { $0.name == "zero_division" })
        let m = ClassificationMetrics(c.matrix)
        let neverPredicted = m.perClass.indices.filter { m.perClass[$0].predicted == 0 && m.perClass[$0].support > 0 }
        let neverObserved = m.perClass.indices.filter { m.perClass[$0].support == 0 && m.perClass[$0].predicted > 0 }
        let absent = m.perClass.indices.filter { m.perClass[$0].support == 0 && m.perClass[$0].predicted == 0 }
        #expect(!neverPredicted.isEmpty && !neverObserved.isEmpty && !absent.isEmpty)
        for j in neverPredicted { #expect(m.perClass[j].precision == 0 && m.perClass[j].precisionInterval == nil) }
        for j in neverObserved { #expect(m.perClass[j].recall == 0 && m.perClass[j].recallInterval == nil) }
        for j in absent { #expect(m.perClass[j].f1 == 0) }
    }
}

// MARK: - Wilson interval and normal quantile

@Suite("Wilson interval and normal quantile")
struct WilsonIntervalTests {
    // Expected values: statsmodels 0.15.0 proportion_confint(k, n, alpha=0.05, method="wilson").

    // The lower bound of 0 of n is exactly 0 (the implementation sets it rather than leave the
    // 2.8e-17 rounding residue of `centre - half`).
    @Test("0 of n: lower bound 0, upper bound z²/(n+z²)")
    func noSuccesses() throws {
        let i = try #require(WilsonInterval.interval(successes: 0, trials: 10))
        #expect(i.lower == 0)
        #expect(abs(i.upper - 0.27753279986288926) <= 1e-15)
        let z = NormalDistribution.quantile(0.975)
        #expect(abs(i.upper - z * z / (10 + z * z)) <= 1e-15)
        let one = try #require(WilsonInterval.interval(successes: 0, trials: 1))
        #expect(one.lower == 0)
        #expect(abs(one.upper - 0.7934506856227627) <= 1e-15)
    }

    @Test("n of n: upper bound exactly 1, lower bound n/(n+z²)")
    func allSuccesses() throws {
        let i = try #require(WilsonInterval.interval(successes: 10, trials: 10))
        #expect(i.upper == 1)
        #expect(abs(i.lower - 0.7224672001371106) <= 1e-15)
        let one = try #require(WilsonInterval.interval(successes: 1, trials: 1))
        #expect(one.upper == 1)
        #expect(abs(one.lower - 0.2065493143772374) <= 1e-15)
    }

    @Test("A proportion inside (0, 1)")
    func interior() throws {
        let i = try #require(WilsonInterval.interval(successes: 7, trials: 12))
        #expect(abs(i.lower - 0.31951131254954973) <= 1e-15)
        #expect(abs(i.upper - 0.8067396863412435) <= 1e-15)
        #expect(i.lower < 7.0 / 12 && 7.0 / 12 < i.upper)
    }

    @Test("No trials: no interval")
    func noTrials() {
        #expect(WilsonInterval.interval(successes: 0, trials: 0) == nil)
        #expect(WilsonInterval.interval(successes: 0, trials: 0, confidence: 0.99) == nil)
    }

    @Test("A higher confidence gives a wider interval")
    func widerAtHigherConfidence() throws {
        let i95 = try #require(WilsonInterval.interval(successes: 30, trials: 50, confidence: 0.95))
        let i99 = try #require(WilsonInterval.interval(successes: 30, trials: 50, confidence: 0.99))
        #expect(i99.lower < i95.lower && i95.upper < i99.upper)
    }

    @Test("quantile(0.975) = 1.959963984540054")
    func quantile975() {
        #expect(abs(NormalDistribution.quantile(0.975) - 1.959963984540054) <= 1e-15)
        #expect(abs(NormalDistribution.quantile(0.025) + 1.959963984540054) <= 1e-15)
    }

    // Expected values: scipy.special.ndtri (scipy 1.17.1).
    @Test("Quantiles match scipy's ndtri in the centre and both tails",
          arguments: [(0.5, 0.0), (0.3, -0.5244005127080409), (0.9, 1.2815515655446004), (0.995, 2.5758293035489004),
                      (0.999999, 4.753424308817087), (1e-10, -6.361340902404056)])
    func quantiles(_ p: Double, _ expected: Double) {
        let got = NormalDistribution.quantile(p)
        #expect(abs(got - expected) <= 1e-15 * max(1, abs(expected)), "quantile(\(p)) = \(got), scipy \(expected)")
    }
}

// MARK: - Thresholds, evidence and status

@Suite("ClassificationEvaluation: thresholds, evidence, status")
struct ClassificationEvaluationTests {
    /// A confusion matrix with, per class, `support` items of which `correct` are predicted
    /// correctly and the rest predicted as the next class (mod K).
    static func matrix(_ rows: [(support: Int, correct: Int)]) -> ConfusionMatrix {
        var m = ConfusionMatrix(classCount: rows.count)
        for (k, row) in rows.enumerated() {
            m.add(trueClass: k, predicted: k, count: row.correct)
            if row.support > row.correct { m.add(trueClass: k, predicted: (k + 1) % rows.count, count: row.support - row.correct) }
        }
        return m
    }

    static func policy(minimum: Int, _ thresholds: [Threshold]) -> Policy {
        Policy(model: "shelf-classifier", task: .classification, classes: ["bottle", "can", "box"],
               evaluation: EvaluationSettings(minReviewedPerClass: minimum), thresholds: thresholds)
    }

    static let recallEveryClass = Threshold(metric: "recall", classSelector: "*", warning: 0.8, critical: 0.6)

    static func finding(_ e: ClassificationEvaluation, _ rule: String) throws -> Finding {
        try #require(e.findings.first { $0.rule == rule }, "no finding \(rule) in \(e.findings.map(\.rule))")
    }

    @Test("Support below min_reviewed_per_class is insufficient evidence, never ok/warning/critical")
    func insufficientEvidence() throws {
        // box: 5 reviewed, all wrong (recall 0, far below critical) — still only insufficient evidence.
        let e = ClassificationEvaluation(matrix: Self.matrix([(20, 19), (20, 19), (5, 0)]), policy: Self.policy(minimum: 12, [Self.recallEveryClass]))
        let box = try Self.finding(e, "recall[box]")
        #expect(box.severity == .insufficientEvidence)
        #expect(box.value == nil && box.interval == nil)
        #expect(box.evidence == 5)
        #expect(e.perClass.map(\.evidence) == [.ok, .ok, .insufficientEvidence])
        #expect(try Self.finding(e, "recall[bottle]").severity == .ok)
        // The short class does not decide the status: the decided findings are all ok.
        #expect(e.status == .ok)
        #expect(e.status.exitCode == 0)
    }

    @Test("Insufficient evidence at every possible support below the minimum",
          arguments: 0..<12)
    func insufficientForEverySmallSupport(_ support: Int) throws {
        for correct in Set([0, support / 2, support]) {
            let e = ClassificationEvaluation(matrix: Self.matrix([(20, 20), (20, 20), (support, correct)]),
                                             policy: Self.policy(minimum: 12, [Self.recallEveryClass,
                                                                               Threshold(metric: "f1", classSelector: "box", warning: 0.8, critical: 0.6),
                                                                               Threshold(metric: "precision", classSelector: "box", warning: 0.8, critical: 0.6)]))
            for rule in ["recall[box]", "f1[box]", "precision[box]"] {
                #expect(try Self.finding(e, rule).severity == .insufficientEvidence, "\(rule) with support \(support), \(correct) correct")
            }
        }
    }

    @Test("Precision needs enough items predicted as the class, even with enough support")
    func precisionNeedsPredictions() throws {
        // can: 20 reviewed, only 3 predicted as can (the rest predicted as box).
        var m = ConfusionMatrix(classCount: 3)
        m.add(trueClass: 0, predicted: 0, count: 20)
        m.add(trueClass: 1, predicted: 1, count: 3)
        m.add(trueClass: 1, predicted: 2, count: 17)
        m.add(trueClass: 2, predicted: 2, count: 20)
        let e = ClassificationEvaluation(matrix: m, policy: Self.policy(minimum: 12, [
            Threshold(metric: "precision", classSelector: "can", warning: 0.8, critical: 0.6),
            Threshold(metric: "recall", classSelector: "can", warning: 0.8, critical: 0.6),
        ]))
        #expect(try Self.finding(e, "precision[can]").severity == .insufficientEvidence)
        #expect(try Self.finding(e, "recall[can]").severity == .critical)  // 3/20 = 0.15
        #expect(e.status == .critical)
    }

    @Test("A level fires when the evidence puts the metric below it: critical, warning, ok")
    func thresholdBands() throws {
        // Recalls: bottle 95/100 (ok), can 60/100 (below 0.8 with evidence, not shown below 0.6: warning),
        // box 40/100 (below 0.6 with evidence: critical).
        let e = ClassificationEvaluation(matrix: Self.matrix([(100, 95), (100, 60), (100, 40)]), policy: Self.policy(minimum: 12, [Self.recallEveryClass]))
        #expect(try Self.finding(e, "recall[bottle]").severity == .ok)
        #expect(try Self.finding(e, "recall[can]").severity == .warning)
        let box = try Self.finding(e, "recall[box]")
        #expect(box.severity == .critical)
        #expect(box.value == 0.4)
        #expect(box.interval != nil)
        #expect(box.message.contains("below the critical level 0.6"))
        #expect(e.status == .critical)
        #expect(e.status.exitCode == 2)
    }

    @Test("A point estimate below a level without evidence is not a finding")
    func boundaries() throws {
        // can: 14/20 = 0.7 < 0.8, but the Wilson interval (0.48–0.85) reaches above 0.8: ok, and the message says why.
        // box: 16/20 = 0.8 exactly: ok.
        let e = ClassificationEvaluation(matrix: Self.matrix([(20, 20), (20, 14), (20, 16)]), policy: Self.policy(minimum: 12, [Self.recallEveryClass]))
        let can = try Self.finding(e, "recall[can]")
        #expect(can.severity == .ok)
        #expect(can.value == 0.7)
        #expect(can.message.contains("not shown to be below the warning level 0.8"))
        #expect(try Self.finding(e, "recall[box]").severity == .ok)
        #expect(e.status == .ok)
        #expect(e.status.exitCode == 0)
    }

    @Test("Status is the worst decided finding; insufficient findings do not count")
    func statusIsWorstDecided() throws {
        // bottle ok, can warning, box short (would be critical if it counted).
        let e = ClassificationEvaluation(matrix: Self.matrix([(100, 95), (100, 60), (4, 0)]), policy: Self.policy(minimum: 12, [Self.recallEveryClass]))
        #expect(e.findings.map(\.severity) == [.ok, .warning, .insufficientEvidence])
        #expect(e.status == .warning)

        // Model-level thresholds: accuracy decided on the total, macro_f1 short because box is short.
        let m = ClassificationEvaluation(matrix: Self.matrix([(100, 95), (100, 95), (4, 0)]), policy: Self.policy(minimum: 12, [
            Threshold(metric: "accuracy", warning: 0.99, critical: 0.5),
            Threshold(metric: "macro_f1", warning: 0.99, critical: 0.98),
        ]))
        #expect(try Self.finding(m, "accuracy").severity == .warning)  // 190/204 ≈ 0.931, far below 0.99 on 204 items
        #expect(try Self.finding(m, "macro_f1").severity == .insufficientEvidence)
        #expect(m.status == .warning)
    }

    @Test("Every finding insufficient: status unknown, exit code 3")
    func allInsufficientIsUnknown() throws {
        let e = ClassificationEvaluation(matrix: Self.matrix([(20, 5), (20, 5), (20, 5)]), policy: Self.policy(minimum: 100, [
            Self.recallEveryClass,
            Threshold(metric: "accuracy", warning: 0.9, critical: 0.8),
            Threshold(metric: "weighted_f1", warning: 0.9, critical: 0.8),
        ]))
        #expect(e.findings.count == 5)
        #expect(e.findings.allSatisfy { $0.severity == .insufficientEvidence })
        #expect(e.status == .unknown)
        #expect(e.status.exitCode == 3)
    }

    @Test("No labelled items: unknown")
    func nothingLabelled() {
        let e = ClassificationEvaluation(matrix: ConfusionMatrix(classCount: 3), policy: Self.policy(minimum: 12, [Self.recallEveryClass]))
        #expect(e.status == .unknown)
        #expect(e.status.exitCode == 3)
    }
}
