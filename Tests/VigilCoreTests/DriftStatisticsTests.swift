import Foundation
import Testing
@testable import VigilCore

/// The fixture written by scripts/make_drift_fixture.py from SciPy and statsmodels.
nonisolated(unsafe) private let drift: [String: Any] = {
    let url = Bundle.module.url(forResource: "drift_cases", withExtension: "json", subdirectory: "Fixtures")!
    return try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
}()

private func doubles(_ any: Any?) -> [Double] { (any as! [Any]).map { ($0 as! NSNumber).doubleValue } }

/// Relative agreement for statistics, absolute for p-values.
private func expectStatistic(_ got: Double, _ want: Double, _ what: String) {
    let scale = Swift.max(1, Swift.abs(want))
    #expect(Swift.abs(got - want) <= 1e-9 * scale, "\(what): \(got) vs \(want)")
}

private func expectP(_ got: Double, _ want: Double, _ what: String) {
    #expect(Swift.abs(got - want) <= 1e-9, "\(what): p \(got) vs \(want)")
}

@Suite("Drift statistics against SciPy and statsmodels")
struct DriftStatisticsTests {
    @Test("χ² survival function equals scipy.stats.chi2.sf")
    func chiSquareSurvival() {
        for row in drift["chi2_sf"] as! [[Any]] {
            let x = (row[0] as! NSNumber).doubleValue, df = (row[1] as! NSNumber).doubleValue, want = (row[2] as! NSNumber).doubleValue
            let got = SpecialFunctions.chiSquareSurvival(x, degreesOfFreedom: df)
            #expect(Swift.abs(got - want) <= 1e-12 + 1e-10 * want, "chi2.sf(\(x), \(df)): \(got) vs \(want)")
        }
    }

    @Test("Exact sign test equals scipy.stats.binomtest")
    func signTest() {
        for row in drift["binomial"] as! [[Any]] {
            let k = (row[0] as! NSNumber).intValue, n = (row[1] as! NSNumber).intValue
            expectP(SpecialFunctions.signTestPValue(k, trials: n), (row[2] as! NSNumber).doubleValue, "binomtest(\(k), \(n))")
        }
    }

    @Test("Class-count tests, PSI and Jensen–Shannon equal SciPy")
    func categorical() {
        let cases = drift["categorical"] as! [[String: Any]]
        #expect(cases.count >= 15)
        for (i, c) in cases.enumerated() {
            let r = doubles(c["reference"]), cur = doubles(c["current"])
            let gof = CategoricalTests.goodnessOfFit(observed: cur, expectedShares: r, statistic: .pearson)
            let gofG = CategoricalTests.goodnessOfFit(observed: cur, expectedShares: r, statistic: .logLikelihood)
            let cont = CategoricalTests.contingency(reference: r, current: cur, statistic: .pearson)
            let contG = CategoricalTests.contingency(reference: r, current: cur, statistic: .logLikelihood)
            for (name, got) in [("gof_chi2", gof), ("gof_g", gofG), ("cont_chi2", cont), ("cont_g", contG)] {
                let want = doubles(c[name])
                expectStatistic(got.statistic, want[0], "case \(i) \(name) statistic")
                expectP(got.pValue, want[1], "case \(i) \(name)")
                if want.count > 2 { #expect(got.degreesOfFreedom == Int(want[2]), "case \(i) \(name) dof") }
            }
            let psi = CategoricalTests.populationStabilityIndex(currentShares: CategoricalTests.shares(cur), referenceShares: CategoricalTests.shares(r))
            expectStatistic(psi, (c["psi"] as! NSNumber).doubleValue, "case \(i) psi")
            expectStatistic(CategoricalTests.jensenShannonDistance(cur, r), (c["js"] as! NSNumber).doubleValue, "case \(i) js")
        }
    }

    @Test("Stuart–Maxwell and McNemar equal statsmodels")
    func paired() {
        let cases = drift["paired"] as! [[String: Any]]
        for (i, c) in cases.enumerated() {
            let table = (c["table"] as! [[Any]]).map { $0.map { ($0 as! NSNumber).intValue } }
            let want = doubles(c["stuart_maxwell"])
            let got = PairedTests.stuartMaxwell(table)
            expectStatistic(got.statistic, want[0], "case \(i) Stuart–Maxwell statistic")
            expectP(got.pValue, want[1], "case \(i) Stuart–Maxwell")
            #expect(got.degreesOfFreedom == Int(want[2]), "case \(i) df")
            for (k, m) in (c["mcnemar"] as! [[String: Any]]).enumerated() {
                let b = (m["b"] as! NSNumber).intValue, cc = (m["c"] as! NSNumber).intValue
                let exact = PairedTests.mcnemar(b: b, c: cc, exact: true)
                let wantExact = doubles(m["exact"])
                expectStatistic(exact.statistic, wantExact[0], "case \(i) class \(k) exact statistic")
                expectP(exact.pValue, wantExact[1], "case \(i) class \(k) exact McNemar")
                if let corrected = m["corrected"] as? [Any] {
                    let want = doubles(corrected)
                    let got = PairedTests.mcnemar(b: b, c: cc, exact: false)
                    expectStatistic(got.statistic, want[0], "case \(i) class \(k) corrected statistic")
                    expectP(got.pValue, want[1], "case \(i) class \(k) corrected McNemar")
                }
                // The automatic choice: exact below 25 discordant items.
                #expect(PairedTests.mcnemar(b: b, c: cc).method == (b + cc < 25 ? "exact" : "chi_square_corrected"))
            }
        }
    }

    @Test("Benjamini–Hochberg equals statsmodels multipletests(fdr_bh)")
    func benjaminiHochberg() {
        for c in drift["bh"] as! [[String: Any]] {
            let got = BenjaminiHochberg.adjust(doubles(c["p"]))
            for (g, w) in zip(got, doubles(c["adjusted"])) { #expect(Swift.abs(g - w) <= 1e-12, "\(g) vs \(w)") }
        }
    }

    @Test("Newcombe's paired interval holds the estimate, stays in [-1, 1] and narrows with n")
    func newcombe() throws {
        let small = try #require(PairedTests.newcombeDifference(both: 8, onlyFirst: 5, onlySecond: 1, total: 30, confidence: 0.95))
        let estimate = Double(5 - 1) / 30
        #expect(small.lower < estimate && estimate < small.upper)
        let large = try #require(PairedTests.newcombeDifference(both: 80, onlyFirst: 50, onlySecond: 10, total: 300, confidence: 0.95))
        #expect(large.upper - large.lower < small.upper - small.lower)
        let extreme = try #require(PairedTests.newcombeDifference(both: 0, onlyFirst: 10, onlySecond: 0, total: 10, confidence: 0.95))
        #expect(extreme.upper == 1 && extreme.lower > 0.5)
        // No discordant pairs: the interval still straddles zero.
        let none = try #require(PairedTests.newcombeDifference(both: 12, onlyFirst: 0, onlySecond: 0, total: 40, confidence: 0.95))
        #expect(none.lower < 0 && none.upper > 0)
    }

    @Test("Drift analysis: BH across the run, policy levels, insufficient evidence, findings")
    func analysis() {
        let classes = ["a", "b", "c"]
        var matrix = ConfusionMatrix(classCount: 3)
        // The model calls many 'c' items 'a': predicted share of 'a' far above its observed share.
        matrix.add(trueClass: 0, predicted: 0, count: 200)
        matrix.add(trueClass: 1, predicted: 1, count: 200)
        matrix.add(trueClass: 2, predicted: 2, count: 100)
        matrix.add(trueClass: 2, predicted: 0, count: 60)
        var analysis = DriftAnalysis(settings: DriftSettings(), classes: classes, minReviewedPerClass: 12, confidence: 0.95)
        analysis.addPredictionBias(matrix)
        analysis.addClassDistribution(reference: [1000, 1000, 1000], current: [1000, 1000, 1000], referenceIsShares: false)
        analysis.addClassDistribution(reference: [10, 10, 10], current: [5, 5, 5], referenceIsShares: false)
        let (results, findings) = analysis.finished()
        let biasA = results.first { $0.test == "mcnemar" && $0.className == "a" }!
        // A significant test is `drift.test_severity`, info by default: reported, never paged.
        #expect(biasA.severity == .info && biasA.adjustedPValue! < 0.01 && biasA.effectSize! > 0.1)
        #expect(biasA.interval!.lower > 0.05)
        #expect(results.first { $0.test == "mcnemar" && $0.className == "b" }!.severity == .ok)
        #expect(results.first { $0.test == "stuart_maxwell" }!.severity == .info)
        #expect(findings.contains { $0.rule == "drift.prediction_bias.stuart_maxwell" && $0.severity == .info }, "info findings are reported")
        let psi = results.first { $0.test == "psi" }!
        #expect(psi.statistic == 0 && psi.severity == .ok)
        #expect(results.contains { $0.target == "class_distribution" && $0.severity == .insufficientEvidence })
        #expect(findings.contains { $0.rule == "drift.prediction_bias.mcnemar.a" })
        #expect(!findings.contains { $0.rule.hasPrefix("drift.class_distribution") })
        // Every hypothesis test got an adjusted p-value at least as large as its raw one.
        for r in results where r.isHypothesisTest { #expect(r.adjustedPValue! >= r.pValue!) }
    }

    @Test("Detector box-count bias: the sign test on images where predicted and ground-truth counts differ")
    func boxCountBias() throws {
        // 60 images: class 0 gets one extra predicted box on 20 of them, class 1 is exact.
        let predicted = (0..<60).map { i in [1 + (i % 3 == 0 ? 1 : 0), 2] }
        let truth = (0..<60).map { _ in [1, 2] }
        var analysis = DriftAnalysis(settings: DriftSettings(), classes: ["a", "b", "c"], minReviewedPerClass: 12, confidence: 0.95)
        analysis.addBoxCountBias(predicted: predicted.map { $0 + [0] }, groundTruth: truth.map { $0 + [0] })
        let (results, findings) = analysis.finished()
        let a = try #require(results.first { $0.className == "a" })
        #expect(a.statistic == 0 && a.data["images_more"] == 20)
        #expect(Swift.abs(a.pValue! - SpecialFunctions.signTestPValue(0, trials: 20)) < 1e-15)
        #expect(Swift.abs(a.effectSize! - 20.0 / 60) < 1e-12 && a.interval!.lower > 0)
        #expect(a.severity == .info && findings.contains { $0.rule == "drift.box_count_bias.sign_test.a" })
        let b = try #require(results.first { $0.className == "b" })
        #expect(b.pValue == 1 && b.severity == .ok)
        // No boxes of 'c' at all: no verdict.
        #expect(results.first { $0.className == "c" }?.severity == .insufficientEvidence)
    }
}
