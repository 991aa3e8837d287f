import Foundation
import VigilCore

/// Seeded simulations that check the drift tests' error rates: under no drift each test at
/// level α should fire at most about α of the time; under a known shift, how often it fires
/// is its power. `make bench-drift` prints the table (figures in the issue notes).
public struct DriftCalibration: Sendable {
    /// One test's rejection rate under the null and under a shift.
    public struct Row: Sendable, Codable {
        public var test: String
        public var setting: String
        public var simulations: Int
        public var falsePositiveRate: Double
        /// 95% Wilson interval of the false-positive rate.
        public var falsePositiveInterval: Interval?
        public var power: Double
    }

    public var simulations: Int
    public var alpha: Double
    public var seed: UInt64

    public init(simulations: Int = 1000, alpha: Double = 0.01, seed: UInt64 = 1) {
        self.simulations = simulations
        self.alpha = alpha
        self.seed = seed
    }

    /// A named test: given a generator and whether to shift, returns the p-value of one simulation.
    public typealias Simulation = @Sendable (_ rng: inout SplitMix64, _ shifted: Bool) -> Double

    /// The simulations of the tests in this module (others can be appended by the caller).
    public static var standard: [(test: String, setting: String, simulate: Simulation)] {
        let k = 10
        let base = (0..<k).map { 1.0 / Double(k) + (Double($0) - 4.5) * 0.01 }
        let shiftedShares: [Double] = { var s = base; s[0] += 0.02; s[k - 1] -= 0.02; return s }()
        return [
            ("chi_square (contingency)", "K=10, n_ref=5000, n_cur=2000; shift: 2 points moved between two classes", { rng, shifted in
                CategoricalTests.contingency(reference: multinomial(&rng, n: 5000, shares: base), current: multinomial(&rng, n: 2000, shares: shifted ? shiftedShares : base), statistic: .pearson).pValue
            }),
            ("g_test (contingency)", "as chi_square", { rng, shifted in
                CategoricalTests.contingency(reference: multinomial(&rng, n: 5000, shares: base), current: multinomial(&rng, n: 2000, shares: shifted ? shiftedShares : base), statistic: .logLikelihood).pValue
            }),
            ("chi_square (goodness of fit)", "K=10 vs training shares, n=2000", { rng, shifted in
                CategoricalTests.goodnessOfFit(observed: multinomial(&rng, n: 2000, shares: shifted ? shiftedShares : base), expectedShares: base, statistic: .pearson).pValue
            }),
            ("stuart_maxwell", "K=5 uniform, 600 reviewed, accuracy 0.8, symmetric errors; shift: 15% of class 4 predicted as class 0", { rng, shifted in
                PairedTests.stuartMaxwell(pairedTable(&rng, k: 5, n: 600, biased: shifted)).pValue
            }),
            ("mcnemar (class 0)", "as stuart_maxwell; exact below 25 discordant items", { rng, shifted in
                let t = pairedTable(&rng, k: 5, n: 600, biased: shifted)
                let b = t[0].reduce(0, +) - t[0][0], c = (0..<5).reduce(0) { $0 + t[$1][0] } - t[0][0]
                return PairedTests.mcnemar(b: b, c: c).pValue
            }),
        ]
    }

    /// Runs `tests`, each `simulations` times under the null and under its shift.
    public func run(_ tests: [(test: String, setting: String, simulate: Simulation)], progress: (String) -> Void = { _ in }) -> [Row] {
        tests.enumerated().map { index, t in
            progress(t.test)
            var rng = SplitMix64(seed: seed &+ UInt64(index) &* 0x9E37_79B9)
            var nullHits = 0, shiftHits = 0
            for _ in 0..<simulations {
                if t.simulate(&rng, false) < alpha { nullHits += 1 }
                if t.simulate(&rng, true) < alpha { shiftHits += 1 }
            }
            return Row(test: t.test, setting: t.setting, simulations: simulations,
                       falsePositiveRate: Double(nullHits) / Double(simulations),
                       falsePositiveInterval: WilsonInterval.interval(successes: nullHits, trials: simulations),
                       power: Double(shiftHits) / Double(simulations))
        }
    }

    /// Counts of `n` draws from `shares`.
    public static func multinomial(_ rng: inout SplitMix64, n: Int, shares: [Double]) -> [Double] {
        var counts = [Double](repeating: 0, count: shares.count)
        for _ in 0..<n { counts[draw(&rng, shares)] += 1 }
        return counts
    }

    static func draw(_ rng: inout SplitMix64, _ shares: [Double]) -> Int {
        var u = rng.unit() * shares.reduce(0, +), k = 0
        while k < shares.count - 1 && u >= shares[k] { u -= shares[k]; k += 1 }
        return k
    }

    /// A paired table (rows predicted, columns observed) with uniform classes and accuracy 0.8;
    /// errors go to a uniformly chosen other class (margins equal); when `biased`, 15% of the
    /// items of the last class are also predicted as class 0.
    static func pairedTable(_ rng: inout SplitMix64, k: Int, n: Int, biased: Bool) -> [[Int]] {
        var t = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for _ in 0..<n {
            let observed = Int(rng.next() % UInt64(k))
            var predicted = observed
            if biased && observed == k - 1 && rng.unit() < 0.15 {
                predicted = 0
            } else if rng.unit() >= 0.8 {
                predicted = (observed + 1 + Int(rng.next() % UInt64(k - 1))) % k
            }
            t[predicted][observed] += 1
        }
        return t
    }
}

extension DriftCalibration {
    /// Tests on samples (scores, embeddings) and the sequential detectors with the policy's
    /// default settings. A detector has no p-value: a simulation "fires" (returns 0) when it
    /// signals any change in the stream.
    public static var sampleTests: [(test: String, setting: String, simulate: Simulation)] {
        let sequential = SequentialSettings()
        return [
            ("ks", "normal scores, n_ref=500, n_cur=300; shift: mean +0.3σ", { rng, shifted in
                KolmogorovSmirnov.test(normals(&rng, 500, mean: 0), normals(&rng, 300, mean: shifted ? 0.3 : 0)).pValue ?? 1
            }),
            ("mmd", "d=8 normal embeddings, n=m=100, 199 permutations; shift: +0.5σ on 2 dims", { rng, shifted in
                let reference = normals(&rng, 100 * 8, mean: 0)
                var current = normals(&rng, 100 * 8, mean: 0)
                if shifted { for row in 0..<100 { current[row * 8] += 0.5; current[row * 8 + 1] += 0.5 } }
                let seed = rng.next()
                return MaximumMeanDiscrepancy.test(reference: reference, current: current, dimension: 8,
                                                   settings: MMDSettings(permutations: 199, maxSamples: 100, seed: seed)).pValue ?? 1
            }),
            ("adwin (correctness)", "policy default δ=0.002; 2,000 reviewed items, accuracy 0.9; shift: 0.8 from item 1,000", { rng, shifted in
                let stream = (0..<2000).map { i in rng.unit() < (shifted && i >= 1000 ? 0.8 : 0.9) ? 1.0 : 0.0 }
                return sequential.changePoints(.adwin, on: stream).isEmpty ? 1 : 0
            }),
            ("page_hinkley (correctness)", "river defaults (opt-in); as adwin", { rng, shifted in
                let stream = (0..<2000).map { i in rng.unit() < (shifted && i >= 1000 ? 0.8 : 0.9) ? 1.0 : 0.0 }
                return sequential.changePoints(.pageHinkley, on: stream).isEmpty ? 1 : 0
            }),
            ("cusum (hourly mean score)", "policy default k=0.5, h=10, μ₀ and σ from a 168-hour reference; 168 hours N(0.8, 0.02); shift: −0.02 from hour 100", { rng, shifted in
                let reference = (0..<168).map { _ in 0.8 + 0.02 * normal(&rng) }
                let stream = (0..<168).map { h in 0.8 - (shifted && h >= 100 ? 0.02 : 0) + 0.02 * normal(&rng) }
                return sequential.changePoints(.cusum, on: stream, reference: reference).isEmpty ? 1 : 0
            }),
            ("cusum (no reference)", "k=0.5, h=10, 72-hour warm-up in the window; as above", { rng, shifted in
                let stream = (0..<168).map { h in 0.8 - (shifted && h >= 100 ? 0.02 : 0) + 0.02 * normal(&rng) }
                return sequential.changePoints(.cusum, on: stream).isEmpty ? 1 : 0
            }),
        ]
    }

    /// A standard normal draw (Box–Muller).
    static func normal(_ rng: inout SplitMix64) -> Double {
        let u = Swift.max(rng.unit(), 1e-300), v = rng.unit()
        return (-2 * Foundation.log(u)).squareRoot() * Foundation.cos(2 * Double.pi * v)
    }

    static func normals(_ rng: inout SplitMix64, _ n: Int, mean: Double) -> [Double] {
        (0..<n).map { _ in mean + normal(&rng) }
    }
}
