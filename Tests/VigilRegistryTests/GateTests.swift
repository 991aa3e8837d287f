import Testing
import VigilCore
@testable import VigilRegistry

/// The gate on hand-built holdouts: each case is built so that exactly one rule decides.
struct GateTests {
    static let classes = ["a", "b", "c"]

    /// `n` items per class; each version predicts the truth with its per-class hit rate (the
    /// first `rate·n` items of a class are right, the rest go to the next class), so recall is exact.
    static func holdout(n: Int, candidate: [Double], champion: [Double]) -> GateHoldout {
        var truth: [Int] = [], cand: [Int] = [], champ: [Int] = []
        for k in 0..<3 {
            for i in 0..<n {
                truth.append(k)
                cand.append(Double(i) < candidate[k] * Double(n) ? k : (k + 1) % 3)
                champ.append(Double(i) < champion[k] * Double(n) ? k : (k + 1) % 3)
            }
        }
        return .classification(truth: truth, candidate: cand, champion: champ)
    }

    static let evidence = ArtifactEvidence(recordedSHA256: "ab", currentSHA256: "ab", jobClasses: classes, versionClasses: classes)

    static func judge(_ h: GateHoldout, settings: GateSettings = GateSettings(minHoldoutPerClass: 20), evidence: ArtifactEvidence = evidence) -> GateVerdict {
        Gate(settings: settings, task: .classification, classes: classes).judge(h, model: "m", candidate: 2, champion: 1, artifact: evidence, now: 0)
    }

    func failed(_ v: GateVerdict) -> Set<String> { Set(v.checks.filter { !$0.passed }.map(\.rule)) }

    @Test func acceptsAGenuinelyBetterModel() {
        let v = Self.judge(Self.holdout(n: 60, candidate: [0.95, 0.9, 0.9], champion: [0.7, 0.65, 0.7]))
        #expect(v.passed, "\(v.summary)")
        #expect(failed(v).isEmpty)
        #expect((v.improvement ?? 0) > 0.2)
        #expect((v.pValue ?? 1) <= 0.05)
        #expect((v.improvementLower ?? 0) > 0)
        #expect(v.perClass.map(\.support) == [60, 60, 60])
    }

    @Test func rejectsAWorseModel() {
        let v = Self.judge(Self.holdout(n: 60, candidate: [0.6, 0.6, 0.6], champion: [0.8, 0.8, 0.8]))
        #expect(!v.passed)
        #expect(failed(v).isSuperset(of: ["improvement", "significance", "class-regression"]))
        #expect((v.improvement ?? 0) < 0)
        #expect((v.pValue ?? 0) > 0.5)
    }

    @Test func rejectsABetterOnAverageModelThatRegressesOneClass() {
        // Macro-F1 improves clearly, but class c's recall falls 0.85 → 0.75 (ε = 0.05).
        let v = Self.judge(Self.holdout(n: 100, candidate: [1.0, 1.0, 0.75], champion: [0.6, 0.6, 0.85]))
        #expect(!v.passed)
        #expect(failed(v) == ["class-regression"], "\(v.summary)")
        #expect((v.improvement ?? 0) > 0.1)
        #expect(v.reasons.joined().contains("'c'"))
    }

    @Test func rejectsOnTooSmallAHoldout() {
        // The same clear improvement as the accepted case, on 10 items per class (20 needed).
        let v = Self.judge(Self.holdout(n: 10, candidate: [1.0, 0.9, 0.9], champion: [0.7, 0.6, 0.7]))
        #expect(!v.passed)
        #expect(failed(v).contains("holdout-size"))
        #expect(v.reasons.joined().contains("'a' has 10"))
    }

    @Test func aSmallImprovementOnFewItemsIsNotSignificant() {
        let v = Self.judge(Self.holdout(n: 20, candidate: [0.8, 0.75, 0.75], champion: [0.75, 0.75, 0.75]),
                           settings: GateSettings(minImprovement: 0.01, minHoldoutPerClass: 20))
        #expect(!v.passed)
        #expect(failed(v).contains("significance"), "\(v.summary)")
        #expect(!failed(v).contains("improvement"))
    }

    @Test func rejectsAnArtifactWhoseHashOrClassesDoNotMatchTheJob() {
        let h = Self.holdout(n: 60, candidate: [0.95, 0.9, 0.9], champion: [0.7, 0.65, 0.7])
        let tampered = ArtifactEvidence(recordedSHA256: "ab", currentSHA256: "cd", jobClasses: Self.classes, versionClasses: Self.classes)
        #expect(failed(Self.judge(h, evidence: tampered)) == ["artifact-hash"])
        let missing = ArtifactEvidence(recordedSHA256: "ab", currentSHA256: nil, jobClasses: Self.classes, versionClasses: Self.classes)
        #expect(failed(Self.judge(h, evidence: missing)) == ["artifact-hash"])
        let reordered = ArtifactEvidence(recordedSHA256: "ab", currentSHA256: "ab", jobClasses: Self.classes, versionClasses: ["b", "a", "c"])
        #expect(failed(Self.judge(h, evidence: reordered)) == ["class-list"])
    }

    @Test func theBootstrapIsSeededAndPaired() {
        let h = Self.holdout(n: 40, candidate: [0.9, 0.85, 0.8], champion: [0.75, 0.75, 0.75])
        let a = Self.judge(h), b = Self.judge(h)
        #expect(a.pValue == b.pValue && a.improvementLower == b.improvementLower)
        // Identical predictions: every paired resample's difference is exactly 0.
        let same = Self.judge(Self.holdout(n: 40, candidate: [0.8, 0.8, 0.8], champion: [0.8, 0.8, 0.8]))
        #expect(same.improvement == 0 && same.improvementLower == 0 && same.pValue == 1)
    }

    @Test func missingPredictionsCountAsMisses() {
        // The candidate predicts nothing for class a's items: recall of a is 0, and no class is invented.
        let truth = Array(repeating: 0, count: 30) + Array(repeating: 1, count: 30) + Array(repeating: 2, count: 30)
        let v = Self.judge(.classification(truth: truth, candidate: Array(repeating: -1, count: 30) + Array(truth[30...]), champion: truth))
        #expect(v.perClass[0].candidate == 0 && v.perClass[1].candidate == 1)
        #expect(!v.passed)
    }

    @Test func withoutAChampionTheGateSaysHowToSetTheFirstOne() {
        let v = Gate(settings: GateSettings(), task: .classification, classes: Self.classes)
            .judge(Self.holdout(n: 30, candidate: [1, 1, 1], champion: [1, 1, 1]), model: "m", candidate: 1, champion: nil, artifact: Self.evidence, now: 0)
        #expect(!v.passed)
        #expect(v.reasons.joined().contains("--override"))
    }

    // MARK: Detection: mAP50 and per-class AP50 through COCOEvaluator

    /// `n` images, each with one box of class `i % 2`; a version finds a box (IoU 1, score 0.9)
    /// with probability `hit[class]`, deterministically by image index, else predicts a far-off box.
    static func detection(n: Int, candidate: [Double], champion: [Double]) -> GateHoldout {
        var truth: [[DetectionBox]] = [], cand: [[DetectionBox]] = [], champ: [[DetectionBox]] = []
        for i in 0..<n {
            let k = i % 2
            let box = DetectionBox(labelIndex: k, score: nil, bbox: (10, 10, 50, 50))
            truth.append([box])
            let rank = Double(i / 2) / Double(n / 2)
            func predicted(_ rate: Double) -> [DetectionBox] {
                rank < rate ? [DetectionBox(labelIndex: k, score: 0.9, bbox: (10, 10, 50, 50))]
                    : [DetectionBox(labelIndex: k, score: 0.95, bbox: (300, 300, 20, 20))]
            }
            cand.append(predicted(candidate[k]))
            champ.append(predicted(champion[k]))
        }
        return .detection(truth: truth, candidate: cand, champion: champ)
    }

    static func judgeDetection(_ h: GateHoldout) -> GateVerdict {
        Gate(settings: GateSettings(minHoldoutPerClass: 20, bootstrapResamples: 300), task: .detection, classes: ["can", "box"])
            .judge(h, model: "d", candidate: 2, champion: 1,
                   artifact: ArtifactEvidence(recordedSHA256: "ab", currentSHA256: "ab", jobClasses: ["can", "box"], versionClasses: ["can", "box"]), now: 0)
    }

    @Test func detectionAcceptsABetterDetectorOnMAP50() {
        let v = Self.judgeDetection(Self.detection(n: 80, candidate: [0.9, 0.9], champion: [0.5, 0.5]))
        #expect(v.metric == "map50")
        #expect(v.passed, "\(v.summary)")
        #expect(v.perClass.map(\.metric) == ["ap50", "ap50"])
        #expect(v.perClass.allSatisfy { $0.candidate > $0.champion })
    }

    @Test func detectionRejectsAWorseDetectorAndAClassRegression() {
        let worse = Self.judgeDetection(Self.detection(n: 80, candidate: [0.4, 0.4], champion: [0.8, 0.8]))
        #expect(!worse.passed)
        #expect((worse.improvement ?? 0) < 0)
        let regress = Self.judgeDetection(Self.detection(n: 80, candidate: [1.0, 0.6], champion: [0.3, 0.8]))
        #expect(failed(regress) == ["class-regression"], "\(regress.summary)")
    }

    @Test func detectionValuesAreCOCOs() {
        // The gate's mAP50 is COCOEvaluator's AP50 stat on the same boxes.
        guard case .detection(let truth, let cand, _) = Self.detection(n: 40, candidate: [0.7, 0.5], champion: [0.5, 0.5]) else { return }
        let policy = Policy(model: "d", task: .detection, classes: ["can", "box"])
        let reference = DetectionEvaluation(images: zip(truth, cand).map { DetectionEvaluation.Image(predicted: $1, groundTruth: $0) }, policy: policy)
        let v = Self.judgeDetection(Self.detection(n: 40, candidate: [0.7, 0.5], champion: [0.5, 0.5]))
        #expect(abs((v.candidateValue ?? -1) - reference.stats[1]) < 1e-12)
        #expect(abs(v.perClass[0].candidate - reference.perClass[0].ap50) < 1e-12)
    }

    @Test func servedPredictionsAsTheChampionsSideAreACaveatNotAFailure() throws {
        let h = Self.holdout(n: 40, candidate: [0.95, 0.9, 0.9], champion: [0.7, 0.65, 0.7])
        let served = Gate(settings: GateSettings(minHoldoutPerClass: 20), task: .classification, classes: Self.classes)
            .judge(h, model: "m", candidate: 2, champion: 1, artifact: Self.evidence, championBasis: .servedPredictions, now: 0)
        let ran = Self.judge(h)
        #expect(served.passed && ran.passed)
        #expect(served.championBasis == .servedPredictions && ran.championBasis == .holdoutRun)
        #expect(served.summary.contains("not with v1 run on them") && !ran.summary.contains("Caveat"))
        #expect(served.json.contains("\"champion_basis\":\"served-predictions\""))
        #expect(GateVerdict.decode(served.json) == served)
        // Verdicts stored before the basis was recorded still decode, without one.
        let old = served.json.replacingOccurrences(of: ",\"champion_basis\":\"served-predictions\"", with: "")
        #expect(old != served.json && GateVerdict.decode(old)?.championBasis == nil)
        // The card records both versions' holdout metrics from the verdict.
        var card = ModelCard(classes: Self.classes)
        card.record(served)
        #expect(card.metrics["macro_f1"] == served.candidateValue && card.championMetrics?["macro_f1"] == served.championValue)
        #expect(card.championMetrics?["recall[a]"] == 0.7 && card.comparison?.hasPrefix("Caveat") == true)
    }

}
