import Testing
import VigilCore
@testable import VigilSampling

struct ReservoirTests {
    /// Over many seeded runs each of 20 items is held about capacity / N of the time.
    @Test func holdsEveryItemWithEqualProbability() {
        var counts = [Int](repeating: 0, count: 20)
        let runs = 20_000
        for r in 0..<runs {
            var rng = SplitMix64(seed: UInt64(r))
            var reservoir = Reservoir<Int64>(capacity: 5)
            for i in 0..<20 { reservoir.offer(Int64(i), rng: &rng) }
            #expect(reservoir.items.count == 5)
            for i in reservoir.items { counts[Int(i)] += 1 }
        }
        for c in counts { #expect(abs(Double(c) / Double(runs) - 0.25) < 0.02) }
    }
}
