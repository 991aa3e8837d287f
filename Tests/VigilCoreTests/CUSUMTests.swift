import Foundation
import Testing
@testable import VigilCore

@Suite("Sequential: tabular CUSUM")
struct SequentialCUSUMTests {
    /// μ₀ = 0, σ = 1, k = 0.5, h = 2, so K = 0.5 and H = 2; by hand:
    ///
    ///     t  x     S⁺ = max(0, S⁺ + x − 0.5)   S⁻ = max(0, S⁻ − 0.5 − x)
    ///     0   0    0                           0
    ///     1   1    0.5                         0
    ///     2   1.5  1.5                         0
    ///     3   2    3.0 > 2: alarm, both to 0   0
    ///     4  −1    0                           0.5
    ///     5   0    0                           0
    ///     6   3    2.5 > 2: alarm              0
    ///     7  −1    0                           0.5
    ///     8  −1    0                           1.0
    ///     9  −1    0                           1.5
    ///    10  −2    0                           3.0 > 2: alarm
    @Test func handComputedStream() {
        var cusum = CUSUM(CUSUM.Settings(target: 0, sigma: 1, k: 0.5, h: 2))
        let stream: [Double] = [0, 1, 1.5, 2, -1, 0, 3, -1, -1, -1, -2]
        let upper: [Double] = [0, 0.5, 1.5, 3, 0, 0, 2.5, 0, 0, 0, 0]
        let lower: [Double] = [0, 0, 0, 0, 0.5, 0, 0, 0.5, 1, 1.5, 3]
        var alarms: [Int] = []
        for (t, x) in stream.enumerated() {
            if cusum.update(x) { alarms.append(t) }
            #expect(cusum.upper == upper[t], "S⁺ at \(t)")
            #expect(cusum.lower == lower[t], "S⁻ at \(t)")
        }
        #expect(alarms == [3, 6, 10])
        #expect(cusum.totalDetections == 3)
    }

    /// A sum exactly at H is no alarm (strictly greater is): K = 0.5, H = 1;
    /// S⁺ = 1.5 − 0.5 = 1, then 1 + 0.5 − 0.5 = 1, then 1 + 0.6 − 0.5 = 1.1 > 1.
    @Test func exactlyAtTheDecisionIntervalIsNoAlarm() {
        #expect(changePoints(CUSUM(CUSUM.Settings(target: 0, sigma: 1, k: 0.5, h: 1)), on: [1.5, 0.5, 0.6]) == [2])
    }

    /// Warm-up of 4 values 1, 3, 1, 3: μ₀ = 2, σ = √(4/3) ≈ 1.1547, K ≈ 0.5774, H ≈ 1.1547.
    /// Then x = 4 gives S⁺ = 4 − 2.5774 ≈ 1.4226 > H: alarm at index 4. The next four values
    /// (10, 12, 10, 12) are a new warm-up (μ₀ = 11), so 11 is no alarm and 14 is one.
    @Test func warmUpEstimatesTargetAndSigmaAndStartsAgainAfterAnAlarm() {
        var cusum = CUSUM(CUSUM.Settings(k: 0.5, h: 1, warmup: 4))
        #expect(cusum.target == nil)
        let alarms = (0..<4).map { _ in false } + [true]
        for (x, alarm) in zip([1.0, 3, 1, 3, 4], alarms) {
            let fired = cusum.update(x)
            #expect(fired == alarm, "x = \(x)")
        }
        #expect(cusum.target == 2, "the alarm's μ₀ stays visible until the next value")
        let warmUp = [10.0, 12, 10, 12].map { cusum.update($0) }
        #expect(warmUp == [false, false, false, false])
        #expect(cusum.target == 11)
        #expect(abs((cusum.sigma ?? 0) - (4.0 / 3).squareRoot()) < 1e-15)
        let after = [11.0, 14].map { cusum.update($0) }
        #expect(after == [false, true])
    }

    /// All-equal warm-up values give no σ: the warm-up continues until a value differs.
    @Test func constantWarmUpWaitsForSpread() {
        var cusum = CUSUM(CUSUM.Settings(k: 0.5, h: 5, warmup: 3))
        let ones = (0..<10).map { _ in cusum.update(1) }
        #expect(!ones.contains(true))
        #expect(cusum.sigma == nil)
        let zero = cusum.update(0)
        #expect(!zero)
        #expect(cusum.target == 10.0 / 11)
        #expect((cusum.sigma ?? 0) > 0)
    }

    /// Seeded standard normal values (Box–Muller on SplitMix64).
    struct Normal {
        var rng: SplitMix64
        mutating func next() -> Double {
            let u = 1 - rng.unit(), v = rng.unit()
            return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
        }
    }

    /// 2,000 N(0, 1) values then 2,000 N(1.5, 1) values: with the defaults (μ₀ and σ from
    /// a 30-value warm-up, k = 0.5, h = 5) an alarm comes within a few values of the shift
    /// (Montgomery's ARL for a 1.5σ shift is about 6), after which μ₀ is learnt afresh.
    @Test func detectsASimulatedMeanShift() throws {
        var normal = Normal(rng: SplitMix64(seed: 42))
        let before = (0..<2000).map { _ in normal.next() }
        let after = (0..<2000).map { _ in 1.5 + normal.next() }
        let alarms = changePoints(CUSUM(), on: before + after)
        let first = try #require(alarms.first { $0 >= 2000 })
        #expect(first - 2000 < 20)
        var cusum = CUSUM()
        for x in (before + after)[...(first + 30)] { _ = cusum.update(x) }
        let target = try #require(cusum.target, "warm-up of 30 after the alarm done")
        #expect(abs(target - 1.5) < 0.5, "μ₀ re-estimated at the new level: \(target)")
    }

    /// Average run lengths against Montgomery's table for k = 1/2, h = 5 with known μ₀ and
    /// σ: 465 values between false alarms in control, 10.4 until the alarm after a 1σ shift
    /// (Siegmund's approximation gives 469 and 10.3). Simulated: 400,000 in-control values
    /// (about 860 alarms, so a standard error near 3.5%) and 2,000 runs after a shift.
    @Test func averageRunLengthsMatchMontgomery() {
        var normal = Normal(rng: SplitMix64(seed: 7))
        let known = CUSUM.Settings(target: 0, sigma: 1)
        let n = 400_000
        let inControl = changePoints(CUSUM(known), on: (0..<n).map { _ in normal.next() }).count
        let arl0 = Double(n) / Double(inControl)
        #expect(arl0 > 465 * 0.85 && arl0 < 465 * 1.15, "in-control ARL \(arl0)")
        var lengths = 0
        for _ in 0..<2000 {
            var cusum = CUSUM(known)
            var t = 1
            while !cusum.update(1 + normal.next()) { t += 1 }
            lengths += t
        }
        let arl1 = Double(lengths) / 2000
        #expect(arl1 > 10.4 * 0.9 && arl1 < 10.4 * 1.1, "ARL after a 1σ shift \(arl1)")
    }

    @Test func settingsKeysAndProblems() throws {
        let s = try JSONDecoder().decode(CUSUM.Settings.self, from: Data(#"{"target": 0.9, "h": 4}"#.utf8))
        #expect(s == CUSUM.Settings(target: 0.9, h: 4))
        #expect(CUSUM.Settings().k == 0.5 && CUSUM.Settings().warmup == 30)
        #expect(CUSUM.Settings(sigma: -1).problems() == ["sigma: must be a positive number"])
        #expect(CUSUM.Settings(warmup: 1).problems() == ["warmup: must be at least 2 to estimate sigma"])
    }
}
