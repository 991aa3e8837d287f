import Foundation
import Testing
import VigilCore

/// The decision rule of threshold findings against statsmodels and SciPy
/// (Fixtures/decision_cases.json, written by scripts/make_decision_fixture.py): p-values to
/// 1e-9 absolute, Benjamini–Hochberg across a rule's classes, and the severity they give.
@Suite struct EvidenceDecisionTests {
    struct Cases: Decodable {
        struct Family: Decodable {
            var warning: Double
            var critical: Double
            var rows: [[Int]]
            var warning_p: [Double]
            var warning_bh: [Double]
            var critical_p: [Double]
            var critical_bh: [Double]
            var severity: [String]
        }
        struct Relative: Decodable {
            var x: Int, n: Int, xb: Int, nb: Int
            var drop: Double
            var p: Double
        }
        var confidence: Double
        var absolute: [Family]
        var relative: [Relative]
    }

    static let cases: Cases = {
        let url = Bundle.module.url(forResource: "decision_cases", withExtension: "json", subdirectory: "Fixtures")!
        return try! JSONDecoder().decode(Cases.self, from: Data(contentsOf: url))
    }()

    static func reading(_ x: Int, _ n: Int) -> MetricReading {
        MetricReading(value: Double(x) / Double(n), interval: WilsonInterval.interval(successes: x, trials: n, confidence: cases.confidence),
                      successes: x, trials: n)
    }

    @Test func absoluteLevelsMatchTheScoreTestAndBenjaminiHochberg() throws {
        for (f, family) in Self.cases.absolute.enumerated() {
            let threshold = Threshold(metric: "recall", classSelector: "*", warning: family.warning, critical: family.critical)
            let tests = family.rows.enumerated().map { k, row in
                ThresholdTest(rule: "recall[c\(k)]", metric: "recall", className: "c\(k)", label: "recall of 'c\(k)'", evidence: row[1],
                              threshold: threshold, family: 0, current: Self.reading(row[0], row[1]))
            }
            let findings = EvidenceDecision.findings(tests, confidence: Self.cases.confidence)
            for (k, finding) in findings.enumerated() {
                #expect(finding.severity.rawValue == family.severity[k], "family \(f) class \(k): \(finding.message)")
                let expected = finding.severity == .critical ? family.critical_bh[k] : family.warning_bh[k]
                let got = try #require(finding.pValue)
                #expect(abs(got - expected) < 1e-9, "family \(f) class \(k): p \(got) vs statsmodels \(expected)")
            }
        }
    }

    @Test func relativeLevelsCountTheSamplingErrorOfBothWindows() throws {
        for (i, c) in Self.cases.relative.enumerated() {
            let threshold = Threshold(metric: "accuracy", drop: .init(warning: c.drop))
            let test = ThresholdTest(rule: "accuracy", metric: "accuracy", className: nil, label: "accuracy", evidence: c.n, threshold: threshold,
                                     family: 0, current: Self.reading(c.x, c.n), baseline: Self.reading(c.xb, c.nb))
            let finding = try #require(EvidenceDecision.findings([test], confidence: Self.cases.confidence).first)
            let p = try #require(finding.pValue)
            #expect(abs(p - c.p) < 1e-9, "case \(i): p \(p) vs SciPy \(c.p)")
            #expect((finding.severity == .warning) == (c.p < (1 - Self.cases.confidence) / 2), "case \(i): \(finding.message)")
            #expect(abs(finding.warning! - (Double(c.xb) / Double(c.nb) - c.drop)) < 1e-12, "the level is the baseline minus the drop")
            #expect(finding.baseline == Double(c.xb) / Double(c.nb))
        }
    }

    @Test func aRelativeRuleWithoutABaselineIsInsufficientEvidenceNotAVerdict() throws {
        var policy = Policy(model: "m", task: .classification, classes: ["a", "b"],
                            thresholds: [Threshold(metric: "accuracy", drop: .init(warning: 0.03, critical: 0.06))])
        policy.evaluation.minReviewedPerClass = 5
        var m = ConfusionMatrix(classCount: 2)
        m.add(trueClass: 0, predicted: 0, count: 20)
        m.add(trueClass: 1, predicted: 0, count: 20)
        let e = ClassificationEvaluation(matrix: m, policy: policy)
        #expect(e.findings.first?.severity == .insufficientEvidence)
        #expect(e.findings.first?.message.contains("no baseline") == true)
        // With a baseline of 95% accuracy over 400 items, 50% on 40 is critical.
        var b = ConfusionMatrix(classCount: 2)
        b.add(trueClass: 0, predicted: 0, count: 190)
        b.add(trueClass: 1, predicted: 1, count: 190)
        b.add(trueClass: 1, predicted: 0, count: 20)
        let judged = ClassificationEvaluation(matrix: m, policy: policy, baseline: .init(matrix: b, policy: policy))
        #expect(judged.findings.first?.severity == .critical, "\(judged.findings.first?.message ?? "")")
        #expect(judged.findings.first?.message.contains("baseline 0.95") == true)
    }

    @Test func policiesRefuseDropAndAbsoluteLevelsTogether() {
        let mixed = Policy(model: "m", task: .classification, classes: ["a"],
                           thresholds: [Threshold(metric: "accuracy", warning: 0.8, drop: .init(warning: 0.03))])
        #expect(mixed.problems().contains { $0.contains("either absolute levels") })
        let backwards = Policy(model: "m", task: .classification, classes: ["a"],
                               thresholds: [Threshold(metric: "accuracy", drop: .init(warning: 0.1, critical: 0.05))])
        #expect(backwards.problems().contains { $0.contains("must not be smaller than warning") })
    }
}
