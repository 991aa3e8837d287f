import Foundation
import Testing
@testable import VigilCore

/// Cases and the peers' answers from `scripts/make_twosample_fixture.py` (scipy, numpy).
struct TwoSampleFixture: Decodable {
    struct KS: Decodable, CustomStringConvertible {
        var name: String
        var x: [Double]?
        var y: [Double]?
        /// [seed, count, shift] per sample: value = SplitMix64(seed).unit() + shift
        var splitmix: [String: [Double]]?
        var statistic: Double
        var pvalue: Double
        var location: Double
        var sign: Int
        var description: String { name }

        func samples() -> ([Double], [Double]) {
            if let x, let y { return (x, y) }
            func draw(_ spec: [Double]) -> [Double] {
                var rng = SplitMix64(seed: UInt64(spec[0]))
                return (0..<Int(spec[1])).map { _ in rng.unit() + spec[2] }
            }
            return (draw(splitmix!["x"]!), draw(splitmix!["y"]!))
        }
    }
    struct Wasserstein: Decodable, CustomStringConvertible {
        var name: String
        var u: [Double]
        var v: [Double]
        var u_weights: [Double]?
        var v_weights: [Double]?
        var distance: Double
        var description: String { name }
    }
    struct MMD: Decodable, CustomStringConvertible {
        var name: String
        var dim: Int
        var x: [Double]
        var y: [Double]
        var bandwidth_h: Double
        var mmd2: Double
        var description: String { name }
    }
    var scipy: String
    var ks: [KS]
    var wasserstein: [Wasserstein]
    var mmd: [MMD]

    static let loaded: TwoSampleFixture? = {
        guard let url = Bundle.module.url(forResource: "twosample_cases", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(TwoSampleFixture.self, from: data)
    }()
}

private func relativeError(_ a: Double, _ b: Double) -> Double {
    a == b ? 0 : abs(a - b) / max(abs(a), abs(b))
}

/// Standard normal draws (Box–Muller) from a seeded SplitMix64.
private func normals(_ count: Int, seed: UInt64, shift: Double = 0) -> [Double] {
    var rng = SplitMix64(seed: seed)
    return (0..<count).map { _ in
        let u1 = 1 - rng.unit(), u2 = rng.unit()
        return (-2 * log(u1)).squareRoot() * cos(2 * Double.pi * u2) + shift
    }
}

@Suite("Two-sample tests match scipy and numpy")
struct TwoSampleTests {
    @Test func fixtureIsThere() throws {
        let fixture = try #require(TwoSampleFixture.loaded)
        #expect(fixture.ks.count >= 20 && fixture.wasserstein.count >= 5 && fixture.mmd.count >= 3)
    }

    @Test(arguments: TwoSampleFixture.loaded?.ks ?? [])
    func kolmogorovSmirnovAsScipy(_ c: TwoSampleFixture.KS) throws {
        let (x, y) = c.samples()
        let r = KolmogorovSmirnov.test(x, y)
        #expect(abs(r.statistic - c.statistic) <= 1e-12, "D \(r.statistic) vs scipy \(c.statistic)")
        let p = try #require(r.pValue)
        #expect(abs(p - c.pvalue) <= 1e-9, "p \(p) vs scipy \(c.pvalue) (\(r.method))")
        #expect(r.method == (max(x.count, y.count) <= 10_000 ? "exact" : "asymptotic"))
        #expect(r.details["statistic_location"] == c.location && r.details["statistic_sign"] == Double(c.sign))
        #expect(r.n == x.count && r.m == y.count)
    }

    @Test func kolmogorovSmirnovEdgeCases() throws {
        let same = KolmogorovSmirnov.test([1, 2, 3], [3, 2, 1])
        #expect(same.statistic == 0 && same.pValue == 1)
        let apart = KolmogorovSmirnov.test([0, 1], [5, 6, 7])
        #expect(apart.statistic == 1 && apart.pValue! > 0 && apart.pValue! < 1)
        #expect(KolmogorovSmirnov.test([.nan, 1], [2]).statistic.isNaN)
    }

    @Test(arguments: TwoSampleFixture.loaded?.wasserstein ?? [])
    func wassersteinAsScipy(_ c: TwoSampleFixture.Wasserstein) {
        let d = Wasserstein.distance(c.u, c.v, uWeights: c.u_weights, vWeights: c.v_weights)
        #expect(relativeError(d, c.distance) <= 1e-12, "W1 \(d) vs scipy \(c.distance)")
    }

    @Test(arguments: TwoSampleFixture.loaded?.mmd ?? [])
    func mmdBandwidthAndStatisticAsNumpy(_ c: TwoSampleFixture.MMD) {
        let settings = MMDSettings(permutations: 50, maxSamples: 5_000, seed: 3)
        let r = MaximumMeanDiscrepancy.test(reference: c.x, current: c.y, dimension: c.dim, settings: settings)
        #expect(relativeError(r.details["bandwidth_h"]!, c.bandwidth_h) <= 1e-9, "h vs numpy \(c.bandwidth_h)")
        #expect(relativeError(r.statistic, c.mmd2) <= 1e-9, "MMD² \(r.statistic) vs numpy \(c.mmd2)")
        #expect(r.n == c.x.count / c.dim && r.m == c.y.count / c.dim && r.method == "permutation")
        let again = MaximumMeanDiscrepancy.test(reference: c.x, current: c.y, dimension: c.dim, settings: settings)
        #expect(again == r, "the same seed gives the same p-value")
    }

    @Test func bandwidthIsTheMedianOfThePairs() {
        // integer coordinates: many tied distances; 7 rows = 21 pairs (odd), 8 rows = 28 (even)
        for count in [7, 8] {
            var rng = SplitMix64(seed: UInt64(count))
            let rows = (0..<(count * 2)).map { _ in Double(rng.next() % 4) }
            let kernel = rows.withUnsafeBufferPointer { RBFKernelMatrix(rows: $0, count: count, dimension: 2, firstCount: 3) }
            var pairs: [Double] = []
            for i in 0..<count {
                for j in (i + 1)..<count {
                    let dx = rows[2 * i] - rows[2 * j], dy = rows[2 * i + 1] - rows[2 * j + 1]
                    pairs.append(dx * dx + dy * dy)
                }
            }
            pairs.sort()
            let k = pairs.count
            let median = k % 2 == 1 ? pairs[k / 2] : (pairs[k / 2 - 1] + pairs[k / 2]) / 2
            #expect(kernel.bandwidth == median)
        }
    }

    @Test func kernelExponentialIsWithinTwoUlpOfLibm() {
        var worst = 0.0
        var rng = SplitMix64(seed: 5)
        for i in 0..<200_000 {
            let x = i < 100_000 ? -rng.unit() * 12 : -rng.unit() * 700
            let exact = exp(x), mine = kernelExponential(x)
            worst = max(worst, abs(mine - exact) / exact.ulp)
        }
        #expect(worst <= 2, "\(worst) ulp")
        #expect(kernelExponential(0) == 1)
        #expect(kernelExponential(-1e6) > 0 && kernelExponential(-1e6) < 1e-300)
    }

    @Test func floatRowsGiveTheSameResult() {
        let x = normals(60, seed: 1).map(Float.init), y = normals(60, seed: 2, shift: 0.3).map(Float.init)
        let rows = { (v: [Float]) in stride(from: 0, to: v.count, by: 3).map { Array(v[$0..<($0 + 3)]) } }
        let settings = MMDSettings(permutations: 20)
        let a = MaximumMeanDiscrepancy.test(reference: rows(x), current: rows(y), settings: settings)
        let b = MaximumMeanDiscrepancy.test(reference: x.map(Double.init), current: y.map(Double.init), dimension: 3,
                                            settings: settings)
        #expect(a == b)
    }

    /// The permutations run on the centred single-precision triangle; the observed split through
    /// that path stays within 1e-7 of the double-precision MMD², and within 1% of the spread of
    /// the permutation distribution (so it can change a comparison only for near-ties).
    @Test func singlePrecisionSplitsTrackTheDoubleStatistic() {
        let x = normals(300 * 8, seed: 21), y = normals(250 * 8, seed: 22, shift: 0.1)
        let kernel = (x + y).withUnsafeBufferPointer { RBFKernelMatrix(rows: $0, count: 550, dimension: 8, firstCount: 300) }
        let (observed, splits) = MaximumMeanDiscrepancy.statistics(kernel: kernel, permutations: 50, seed: 1)
        let permuted = splits.dropFirst()
        let mean = permuted.reduce(0, +) / Double(permuted.count)
        let sd = (permuted.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(permuted.count - 1)).squareRoot()
        #expect(abs(splits[0] - observed) <= 1e-7, "float path \(splits[0]) vs double \(observed)")
        #expect(abs(splits[0] - observed) <= 0.01 * sd, "float path error vs permutation spread \(sd)")
        #expect(splits.count == 51)
    }

    @Test func largeSamplesAreSubsampledToTheCap() {
        let settings = MMDSettings(permutations: 10, maxSamples: 30, seed: 9)
        let r = MaximumMeanDiscrepancy.test(reference: normals(100, seed: 4), current: normals(50, seed: 5),
                                            dimension: 2, settings: settings)
        #expect(r.n == 30 && r.m == 25)
    }

    /// Under no drift the permutation p-value is (super-)uniform: over 40 seeded same-distribution
    /// pairs, p < 0.05 about twice (Binomial(40, ≈0.05)); 11 or more has probability < 1e-5.
    /// A clear shift gets the smallest possible p-value, 1/(P+1).
    @Test func permutationNullIsCalibrated() {
        let settings = MMDSettings(permutations: 100, maxSamples: 5_000, seed: 11)
        var small = 0
        var meanP = 0.0
        for pair in 0..<40 {
            let x = normals(30 * 4, seed: UInt64(1_000 + 2 * pair)), y = normals(30 * 4, seed: UInt64(1_001 + 2 * pair))
            let p = MaximumMeanDiscrepancy.test(reference: x, current: y, dimension: 4,
                                                settings: MMDSettings(permutations: 100, seed: UInt64(pair))).pValue!
            if p < 0.05 { small += 1 }
            meanP += p / 40
        }
        #expect(small <= 10, "\(small) of 40 no-drift pairs had p < 0.05")
        #expect(meanP > 0.35 && meanP < 0.65, "mean p-value under no drift \(meanP)")
        let shifted = MaximumMeanDiscrepancy.test(reference: normals(30 * 4, seed: 7), current: normals(30 * 4, seed: 8, shift: 1.5),
                                                  dimension: 4, settings: settings)
        #expect(shifted.pValue == 1.0 / 101)
        #expect(shifted.statistic > 0.1)
    }

    @Test func settingsDecodeWithDefaultsAndSnakeCase() throws {
        let s = try JSONDecoder().decode(MMDSettings.self, from: Data(#"{"max_samples": 1000}"#.utf8))
        #expect(s == MMDSettings(permutations: 200, maxSamples: 1_000, seed: 1))
        let r = TwoSampleTestResult(test: "ks_2samp", statistic: 0.5, pValue: 0.01, effectSize: 0.5, n: 3, m: 4, method: "exact")
        let json = String(decoding: try JSONEncoder().encode(r), as: UTF8.self)
        #expect(json.contains("\"p_value\"") && json.contains("\"effect_size\""))
        #expect(try JSONDecoder().decode(TwoSampleTestResult.self, from: Data(json.utf8)) == r)
    }
}

extension TwoSampleTests {
    /// Prints the largest differences from the peers (run with --filter agreementReport).
    @Test func agreementReport() throws {
        let f = try #require(TwoSampleFixture.loaded)
        var dD = 0.0, dP = 0.0, dW = 0.0, dH = 0.0, dM = 0.0
        for c in f.ks {
            let (x, y) = c.samples()
            let r = KolmogorovSmirnov.test(x, y)
            dD = max(dD, abs(r.statistic - c.statistic))
            dP = max(dP, abs(r.pValue! - c.pvalue))
        }
        for c in f.wasserstein {
            dW = max(dW, relativeError(Wasserstein.distance(c.u, c.v, uWeights: c.u_weights, vWeights: c.v_weights), c.distance))
        }
        for c in f.mmd {
            let r = MaximumMeanDiscrepancy.test(reference: c.x, current: c.y, dimension: c.dim, settings: MMDSettings(permutations: 1))
            dH = max(dH, relativeError(r.details["bandwidth_h"]!, c.bandwidth_h))
            dM = max(dM, relativeError(r.statistic, c.mmd2))
        }
        print("agreement: KS |ΔD| \(dD), |Δp| \(dP); W1 rel \(dW); MMD h rel \(dH), MMD² rel \(dM)")
        #expect(dD <= 1e-12 && dP <= 1e-9 && dW <= 1e-12 && dH <= 1e-9 && dM <= 1e-9)
    }
}
