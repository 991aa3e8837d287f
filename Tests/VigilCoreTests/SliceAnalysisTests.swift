import Foundation
import Testing
@testable import VigilCore

@Suite struct SliceAnalysisTests {
    /// `n` items of which `k` correct.
    func items(_ value: String?, _ k: Int, _ n: Int) -> [(value: String?, correct: Bool)] {
        (0..<n).map { (value: value, correct: $0 < k) }
    }

    /// p-values from statsmodels 0.14 `proportions_ztest([k1, k2], [n1, n2])[1]`.
    @Test func theTestIsStatsmodelsTwoProportionZTest() throws {
        let cases: [(Int, Int, Int, Int, Double)] = [(30, 50, 140, 160, 1.5428586774848984e-05), (45, 50, 125, 160, 0.061967954736585756),
                                                     (10, 10, 12, 20, 0.019517481182177766)]
        for (k1, n1, k2, n2, expected) in cases {
            let p = try #require(SliceAnalysis.twoProportionP(k1, n1, k2, n2))
            #expect(abs(p - expected) <= 1e-12 * max(1, expected), "\(k1)/\(n1) vs \(k2)/\(n2): \(p) vs statsmodels \(expected)")
        }
        #expect(SliceAnalysis.twoProportionP(5, 5, 7, 7) == nil, "all correct: nothing to test")
        #expect(SliceAnalysis.twoProportionP(5, 5, 0, 0) == nil)
    }

    @Test func aWorseSliceIsFlaggedAfterAdjustingAcrossEverySlice() throws {
        // camera b is much worse than the rest; site x and y are alike; one item lacks a site.
        let camera = items("a", 140, 160) + items("b", 30, 50)
        let site = items("x", 90, 105) + items("y", 79, 104) + items(nil, 1, 1)
        let rows = SliceAnalysis(items: [(attribute: "camera", values: camera), (attribute: "site", values: site)],
                                 confidence: 0.95, minimumReviewed: 12).rows
        #expect(rows.map { "\($0.attribute)=\($0.value ?? "-")" } == ["camera=a", "camera=b", "site=x", "site=y", "site=-"])
        let b = try #require(rows.first { $0.value == "b" })
        #expect(b.reviewed == 50 && b.correct == 30 && b.accuracy == 0.6 && b.restAccuracy == 140.0 / 160.0)
        #expect(b.differs && (b.adjustedPValue ?? 1) < 0.05)
        let pValues = rows.compactMap(\.pValue)
        #expect(rows.compactMap(\.adjustedPValue) == BenjaminiHochberg.adjust(pValues), "adjusted across both attributes together")
        #expect(!rows.contains { $0.attribute == "site" && $0.differs }, "\(rows.filter { $0.attribute == "site" })")
        let missing = try #require(rows.last)
        #expect(missing.value == nil && missing.reviewed == 1 && !missing.differs, "one item is too few to flag, whatever its p-value")
    }
}
