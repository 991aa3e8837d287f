import Foundation
import Testing
@testable import VigilCore

/// A drift statistic that comes out NaN or infinite is reported as undefined
/// (insufficient evidence), never as a number, so the report's JSON always encodes.
@Suite struct DriftUndefinedTests {
    @Test func nonFiniteResultsBecomeUndefinedAndEncode() throws {
        var analysis = DriftAnalysis(settings: DriftSettings(), classes: ["a", "b"], minReviewedPerClass: 12, confidence: 0.95)
        analysis.add(DriftTestResult(target: "prediction_bias", test: "stuart_maxwell", statistic: .nan, pValue: .nan,
                                     data: ["n": 40, "df": .infinity], message: "Stuart–Maxwell"))
        analysis.add(DriftTestResult(target: "score_distribution", test: "ks", statistic: 0.5, pValue: 1e-9,
                                     effectSize: .infinity, interval: Interval(lower: -.infinity, upper: 1), data: ["n_current": 300]))
        analysis.add(DriftTestResult(target: "class_distribution", test: "chi_square", statistic: 3.2, pValue: 0.2, data: ["n_current": 300]))
        let (results, findings) = analysis.finished()
        #expect(results.map(\.severity) == [.insufficientEvidence, .insufficientEvidence, .ok])
        #expect(results[0].statistic == 0 && results[0].pValue == nil && results[0].data == ["n": 40])
        #expect(results[1].statistic == 0.5 && results[1].effectSize == nil && results[1].interval == nil)
        #expect(results[0].message.contains("undefined"))
        #expect(findings.isEmpty)
        // The finite one is untouched; all of them encode.
        #expect(results[2].pValue == 0.2 && results[2].adjustedPValue != nil)
        _ = try JSONEncoder().encode(results)
    }
}
