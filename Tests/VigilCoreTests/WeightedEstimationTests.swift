import Foundation
import Testing
import VigilCore

/// Uncertainty-heavy sampling over a simulated window, 200 seeded repetitions: the Hájek
/// (1/π-weighted) precision and recall land on the truth, the plain counts do not.
struct WeightedEstimationTests {
    /// A population where hard predictions (small margin) are wrong far more often.
    struct Population {
        var observed: [Int] = [], predicted: [Int] = [], weight: [Double] = []
        init(size: Int, seed: UInt64) {
            var rng = SplitMix64(seed: seed)
            for _ in 0..<size {
                let truth = rng.unit() < 0.6 ? 0 : (rng.unit() < 0.6 ? 1 : 2)
                let uncertainty = rng.unit()
                let wrong = rng.unit() < 0.02 + 0.5 * uncertainty * uncertainty
                let predicted = wrong ? (truth + 1 + Int(rng.next() % 2)) % 3 : truth
                observed.append(truth)
                self.predicted.append(predicted)
                weight.append(0.05 + 0.95 * uncertainty)
            }
        }
        func truth(_ c: Int) -> (precision: Double, recall: Double) {
            var tp = 0.0, predictedC = 0.0, observedC = 0.0
            for i in observed.indices {
                if predicted[i] == c { predictedC += 1 }
                if observed[i] == c { observedC += 1 }
                if predicted[i] == c && observed[i] == c { tp += 1 }
            }
            return (tp / predictedC, tp / observedC)
        }
    }

    @Test func weightedEstimatesAreUnbiasedUnderUncertaintySampling() {
        let population = Population(size: 20_000, seed: 42)
        let n = 500.0
        let totalWeight = population.weight.reduce(0, +)
        var weightedError = [0.0, 0.0], plainError = [0.0, 0.0]  // mean signed error: precision, recall of class 0
        let repetitions = 200
        let truth = population.truth(0)
        for rep in 0..<repetitions {
            var rng = SplitMix64(seed: UInt64(1_000 + rep))
            var sample: [(observed: Int, predicted: Int, pi: Double)] = []
            for i in population.observed.indices {
                let pi = min(1, n * population.weight[i] / totalWeight)
                if rng.unit() < pi { sample.append((population.observed[i], population.predicted[i], pi)) }
            }
            let weighted = WeightedEstimation(reviews: sample, classNames: ["a", "b", "c"], resamples: 0)
            let plain = WeightedEstimation(reviews: sample.map { ($0.observed, $0.predicted, 1.0) }, classNames: ["a", "b", "c"], resamples: 0)
            weightedError[0] += (weighted.perClass[0].precision - truth.precision) / Double(repetitions)
            weightedError[1] += (weighted.perClass[0].recall - truth.recall) / Double(repetitions)
            plainError[0] += (plain.perClass[0].precision - truth.precision) / Double(repetitions)
            plainError[1] += (plain.perClass[0].recall - truth.recall) / Double(repetitions)
        }
        print("weighted bias: precision \(weightedError[0] * 100) pp, recall \(weightedError[1] * 100) pp; unweighted: precision \(plainError[0] * 100) pp, recall \(plainError[1] * 100) pp")
        #expect(abs(weightedError[0]) < 0.005 && abs(weightedError[1]) < 0.005, "\(weightedError)")
        #expect(plainError[0] < -0.03 && plainError[1] < -0.03, "\(plainError)")
    }

    @Test func equalProbabilitiesGiveThePlainCounts() {
        let reviews: [(observed: Int, predicted: Int, pi: Double)] = [(0, 0, 0.1), (0, 1, 0.1), (1, 1, 0.1), (1, 1, 0.1), (1, 0, 0.1)]
        let e = WeightedEstimation(reviews: reviews, classNames: ["x", "y"], resamples: 100, seed: 3)
        #expect(abs(e.perClass[0].precision - 0.5) < 1e-12 && abs(e.perClass[0].recall - 0.5) < 1e-12)
        #expect(abs(e.perClass[1].precision - 2.0 / 3) < 1e-12 && abs(e.perClass[1].recall - 2.0 / 3) < 1e-12)
        #expect(abs(e.accuracy - 0.6) < 1e-12 && abs(e.representedPredictions - 50) < 1e-9)
        #expect(!WeightedEstimation.isWeighted(reviews.map(\.pi)))
        // Seeded: the same intervals every time.
        #expect(e == WeightedEstimation(reviews: reviews, classNames: ["x", "y"], resamples: 100, seed: 3))
        #expect(e.accuracyInterval!.lower <= 0.6 && e.accuracyInterval!.upper >= 0.6)
    }

    @Test func weightsCountAsCopies() {
        // An item with π = 0.25 counts as 4 items with π = 1.
        let a = WeightedEstimation(reviews: [(0, 0, 0.25), (0, 1, 1), (1, 1, 1)], classNames: ["x", "y"], resamples: 0)
        let b = WeightedEstimation(reviews: Array(repeating: (0, 0, 1.0), count: 4) + [(0, 1, 1), (1, 1, 1)], classNames: ["x", "y"], resamples: 0)
        #expect(abs(a.perClass[0].recall - b.perClass[0].recall) < 1e-12 && abs(a.perClass[1].precision - b.perClass[1].precision) < 1e-12)
        #expect(abs(a.perClass[0].recall - 0.8) < 1e-12)
    }
}
