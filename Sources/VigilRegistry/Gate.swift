import Foundation
import VigilCore

/// The holdout both versions are judged on: the truth, and each version's predictions, item
/// for item in the same order (the champion's: see ``ChampionBasis``).
public enum GateHoldout: Sendable {
    /// Class indices; `-1` in a prediction means "no prediction" (counted as wrong).
    case classification(truth: [Int], candidate: [Int], champion: [Int])
    /// Boxes per image.
    case detection(truth: [[DetectionBox]], candidate: [[DetectionBox]], champion: [[DetectionBox]])

    public var count: Int {
        switch self {
        case .classification(let t, _, _): t.count
        case .detection(let t, _, _): t.count
        }
    }
}

/// What the job produced, to check the registered version against.
public struct ArtifactEvidence: Sendable {
    /// The hash the job computed when the trainer finished, and the stored file's hash now.
    public var recordedSHA256: String
    public var currentSHA256: String?
    /// The classes the training set was exported with, and the version's.
    public var jobClasses: [String]
    public var versionClasses: [String]

    public init(recordedSHA256: String, currentSHA256: String?, jobClasses: [String], versionClasses: [String]) {
        self.recordedSHA256 = recordedSHA256
        self.currentSHA256 = currentSHA256
        self.jobClasses = jobClasses
        self.versionClasses = versionClasses
    }
}

/// The registry gate: a candidate against the champion on the same holdout (rules and
/// statistics in docs/registry.md and docs/statistics.md). Pure: values in, a verdict out.
///
/// ```swift
/// let verdict = Gate(settings: policy.gate, task: .classification, classes: policy.classes)
///     .judge(holdout, model: "shelf-classifier", candidate: 2, champion: 1, artifact: evidence, championBasis: .holdoutRun, now: now)
/// ```
public struct Gate: Sendable {
    public var settings: GateSettings
    public var task: ModelTask
    public var classes: [String]

    public init(settings: GateSettings, task: ModelTask, classes: [String]) {
        self.settings = settings
        self.task = task
        self.classes = classes
    }

    /// Judges `candidate` against `champion` on `holdout`. `championBasis` says where the
    /// holdout's champion predictions come from; with `.servedPredictions` the verdict carries
    /// the caveat (a `champion-basis` check, the summary and ``GateVerdict/championBasis``).
    public func judge(_ holdout: GateHoldout, model: String, candidate: Int, champion: Int?, artifact: ArtifactEvidence,
                      championBasis: ChampionBasis = .holdoutRun, now: Int64) -> GateVerdict {
        let metric = settings.primaryMetric(for: task)
        var checks: [GateCheck] = []
        // What the job produced.
        let hashOK = artifact.currentSHA256 == artifact.recordedSHA256
        checks.append(GateCheck(rule: "artifact-hash", passed: hashOK, message: hashOK
            ? "artifact sha256 \(artifact.recordedSHA256.prefix(12))… matches what the job produced"
            : "artifact hash mismatch: the job recorded \(artifact.recordedSHA256.prefix(12))…, the stored file is \(artifact.currentSHA256.map { String($0.prefix(12)) + "…" } ?? "missing")"))
        let classesOK = artifact.jobClasses == artifact.versionClasses && artifact.versionClasses == classes
        checks.append(GateCheck(rule: "class-list", passed: classesOK, message: classesOK
            ? "class list matches the job's (\(classes.count) classes)"
            : "class list mismatch: job [\(artifact.jobClasses.joined(separator: ", "))], version [\(artifact.versionClasses.joined(separator: ", "))], policy [\(classes.joined(separator: ", "))]"))
        var verdict = GateVerdict(passed: false, model: model, candidate: candidate, champion: champion, metric: metric, candidateValue: nil,
                                  championValue: nil, improvement: nil, improvementLower: nil, pValue: nil, minImprovement: settings.minImprovement,
                                  alpha: settings.alpha, resamples: settings.bootstrapResamples, seed: settings.seed, holdoutSize: holdout.count,
                                  perClass: [], checks: [], decidedAt: now)
        guard champion != nil else {
            checks.append(GateCheck(rule: "champion", passed: false, message: "\(model) has no champion to compare with: set the first one with `vigil registry promote --model \(model) --version \(candidate) --override --reason \"first champion\"`"))
            verdict.checks = checks
            return verdict
        }
        verdict.championBasis = championBasis
        checks.append(GateCheck(rule: "champion-basis", passed: true, message: championBasis.sentence(champion: champion)))
        let measured = measure(holdout, metric: metric)
        verdict.perClass = measured.perClass
        verdict.candidateValue = measured.candidate
        verdict.championValue = measured.champion
        // Enough evidence per class.
        let thin = measured.perClass.filter { $0.support < settings.minHoldoutPerClass }
        checks.append(GateCheck(rule: "holdout-size", passed: thin.isEmpty, message: thin.isEmpty
            ? "every class has at least \(settings.minHoldoutPerClass) holdout examples"
            : "holdout too small: " + thin.map { "'\($0.className)' has \($0.support)" }.joined(separator: ", ") + " (at least \(settings.minHoldoutPerClass) needed each; label more items or lower gate.min_holdout_per_class)"))
        // The primary metric: improvement by δ, significant by the paired bootstrap.
        if let c = measured.candidate, let b = measured.champion {
            let delta = c - b
            verdict.improvement = delta
            let ok = delta >= settings.minImprovement
            checks.append(GateCheck(rule: "improvement", passed: ok, message: String(format: "\(metric) %.4f → %.4f: %+.4f, ", b, c, delta)
                + (ok ? "at least" : "less than") + String(format: " the required %.4f", settings.minImprovement)))
            let deltas = measured.bootstrapDeltas
            if deltas.isEmpty {
                checks.append(GateCheck(rule: "significance", passed: false, message: "no bootstrap resample had a defined \(metric): the holdout is too small"))
            } else {
                let below = deltas.filter { $0 <= 0 }.count
                let p = Double(1 + below) / Double(deltas.count + 1)
                let lower = Interval.percentile(of: deltas, confidence: 1 - 2 * settings.alpha)?.lower
                verdict.pValue = p
                verdict.improvementLower = lower
                let significant = p <= settings.alpha
                checks.append(GateCheck(rule: "significance", passed: significant, message: String(format: "paired bootstrap (%d resamples of holdout items, seed %llu): p = %.4f ", deltas.count, settings.seed, p)
                    + (significant ? "≤" : ">") + String(format: " α = %.3g; one-sided lower bound of the improvement %.4f", settings.alpha, lower ?? .nan)))
            }
        } else {
            checks.append(GateCheck(rule: "improvement", passed: false, message: "\(metric) is undefined on this holdout (no examples of any class)"))
        }
        // No class may regress by more than ε.
        let regressed = measured.perClass.filter { $0.change < -settings.maxClassDrop }
        checks.append(GateCheck(rule: "class-regression", passed: regressed.isEmpty, message: regressed.isEmpty
            ? String(format: "no class's %@ drops by more than %.3f", measured.perClass.first?.metric ?? "recall", settings.maxClassDrop)
            : regressed.map { String(format: "%@ of '%@' drops %.4f → %.4f (%.4f, more than ε = %.3f)", $0.metric, $0.className, $0.champion, $0.candidate, $0.change, settings.maxClassDrop) }.joined(separator: "; ")))
        verdict.checks = checks
        verdict.passed = checks.allSatisfy(\.passed)
        return verdict
    }

    struct Measured {
        var candidate: Double?
        var champion: Double?
        var perClass: [ClassComparison]
        var bootstrapDeltas: [Double]
    }

    /// Draws the resamples (item counts) once, from one seeded stream, so both versions see the
    /// same resampled holdouts: the bootstrap is paired.
    func resampleCounts(n: Int) -> [[Int]] {
        var rng = SplitMix64(seed: settings.seed)
        return (0..<settings.bootstrapResamples).map { _ in
            var counts = [Int](repeating: 0, count: n)
            for _ in 0..<n { counts[Int(rng.next() % UInt64(n))] += 1 }
            return counts
        }
    }

    func measure(_ holdout: GateHoldout, metric: String) -> Measured {
        switch holdout {
        case .classification(let truth, let cand, let champ):
            return measureClassification(truth: truth, candidate: cand, champion: champ, metric: metric)
        case .detection(let truth, let cand, let champ):
            return measureDetection(truth: truth, candidate: cand, champion: champ, metric: metric)
        }
    }

    /// The primary metric over the real classes only (the "no prediction" column of
    /// ``matrix(_:_:counts:)`` is not a class), with scikit-learn's definitions.
    func classificationValue(_ m: ClassificationMetrics, _ metric: String) -> Double {
        let per = m.perClass.prefix(classes.count)
        switch metric {
        case "accuracy":
            return m.accuracy
        case "weighted_f1":
            let support = per.reduce(0) { $0 + $1.support }
            return support == 0 ? 0 : per.reduce(0) { $0 + $1.f1 * Double($1.support) } / Double(support)
        case "micro_f1":
            let tp = per.reduce(0) { $0 + $1.truePositives }
            let fp = per.reduce(0) { $0 + $1.predicted - $1.truePositives }
            let fn = per.reduce(0) { $0 + $1.support - $1.truePositives }
            return tp == 0 ? 0 : 2 * Double(tp) / Double(2 * tp + fp + fn)
        default:
            return per.isEmpty ? 0 : per.reduce(0) { $0 + $1.f1 } / Double(per.count)
        }
    }

    /// A confusion matrix with an extra column for "no prediction", so a missing prediction
    /// counts as a miss of its true class without inventing a predicted class.
    func matrix(_ truth: [Int], _ predicted: [Int], counts: [Int]?) -> ConfusionMatrix {
        let k = classes.count
        var m = ConfusionMatrix(classCount: k + 1)
        for i in truth.indices where truth[i] >= 0 && truth[i] < k {
            let c = counts?[i] ?? 1
            if c == 0 { continue }
            let p = predicted[i] >= 0 && predicted[i] < k ? predicted[i] : k
            m.add(trueClass: truth[i], predicted: p, count: c)
        }
        return m
    }

    func measureClassification(truth: [Int], candidate: [Int], champion: [Int], metric: String) -> Measured {
        let full = { (p: [Int]) in ClassificationMetrics(matrix(truth, p, counts: nil)) }
        let mc = full(candidate), mb = full(champion)
        let perClass = classes.indices.map { k in
            ClassComparison(className: classes[k], metric: "recall", candidate: mc.perClass[k].recall, champion: mb.perClass[k].recall,
                            support: mc.perClass[k].support)
        }
        guard !truth.isEmpty else { return Measured(candidate: nil, champion: nil, perClass: perClass, bootstrapDeltas: []) }
        let deltas = resampleCounts(n: truth.count).map { counts in
            classificationValue(ClassificationMetrics(matrix(truth, candidate, counts: counts)), metric)
                - classificationValue(ClassificationMetrics(matrix(truth, champion, counts: counts)), metric)
        }
        return Measured(candidate: classificationValue(mc, metric), champion: classificationValue(mb, metric), perClass: perClass, bootstrapDeltas: deltas)
    }

    func measureDetection(truth: [[DetectionBox]], candidate: [[DetectionBox]], champion: [[DetectionBox]], metric: String) -> Measured {
        let coco = COCOEvaluator()
        let imageIDs = truth.indices.map { $0 + 1 }, categoryIDs = classes.indices.map { $0 + 1 }
        var gts: [COCOGroundTruth] = []
        var support = [Int](repeating: 0, count: classes.count)
        for (i, boxes) in truth.enumerated() {
            for b in boxes where b.labelIndex >= 0 && b.labelIndex < classes.count {
                gts.append(COCOGroundTruth(imageID: i + 1, categoryID: b.labelIndex + 1, bbox: b.bbox, area: b.area, isCrowd: b.isCrowd))
                if !b.isCrowd { support[b.labelIndex] += 1 }
            }
        }
        func prepared(_ predicted: [[DetectionBox]]) -> COCOEvaluator.Prepared {
            var dts: [COCODetection] = []
            for (i, boxes) in predicted.enumerated() {
                for b in boxes where b.labelIndex >= 0 && b.labelIndex < classes.count {
                    dts.append(COCODetection(imageID: i + 1, categoryID: b.labelIndex + 1, bbox: b.bbox, score: b.score ?? 0))
                }
            }
            return coco.prepare(imageIDs: imageIDs, categoryIDs: categoryIDs, groundTruth: gts, detections: dts)
        }
        let pc = prepared(candidate), pb = prepared(champion)
        let rc = coco.accumulate(pc), rb = coco.accumulate(pb)
        let statIndex = metric == "map" ? 0 : 1
        func defined(_ v: Double) -> Double? { v > -1 ? v : nil }
        let perClass = classes.indices.map { k in
            ClassComparison(className: classes[k], metric: "ap50", candidate: max(0, rc.averagePrecision(k: k, t: 0)),
                            champion: max(0, rb.averagePrecision(k: k, t: 0)), support: support[k])
        }
        guard !truth.isEmpty else { return Measured(candidate: nil, champion: nil, perClass: perClass, bootstrapDeltas: []) }
        let counts = resampleCounts(n: truth.count)
        let iou: Int? = metric == "map" ? nil : 0
        let c = coco.resampledAP(pc, counts: counts, iouIndex: iou), b = coco.resampledAP(pb, counts: counts, iouIndex: iou)
        let deltas = zip(c, b).compactMap { $0 > -1 && $1 > -1 ? $0 - $1 : nil }
        return Measured(candidate: defined(rc.stats[statIndex]), champion: defined(rb.stats[statIndex]), perClass: perClass, bootstrapDeltas: deltas)
    }
}
