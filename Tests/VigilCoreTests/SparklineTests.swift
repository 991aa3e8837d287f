import Testing
@testable import VigilCore

@Suite struct SparklineTests {
    @Test func levelsFollowTheRange() {
        #expect(Sparkline.render([0, 0.5, 1], range: 0...1) == "▁▅█")
        #expect(Sparkline.render([2, 4, 6, 8]) == "▁▃▆█")
        // clamped to the range; gaps and non-finite values are spaces; a flat line sits mid-way
        #expect(Sparkline.render([-1, nil, .nan, 2], range: 0...1) == "▁  █")
        #expect(Sparkline.render([3, 3, 3]) == "▅▅▅")
        #expect(Sparkline.render([nil, nil]) == "  ")
    }
}
