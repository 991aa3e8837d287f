import Foundation

/// Collects the drift tests of one evaluation run, then applies Benjamini–Hochberg across
/// them and the policy's levels, and turns what fires into findings.
///
/// Pure: the caller reads the data (confusion counts, class counts, samples) and passes it in.
public struct DriftAnalysis: Sendable {
    public let settings: DriftSettings
    public let classes: [String]
    /// Reviewed items a class needs (observed or predicted) before its bias gets a verdict.
    public let minReviewedPerClass: Int
    public let confidence: Double
    public private(set) var results: [DriftTestResult] = []

    public init(settings: DriftSettings, classes: [String], minReviewedPerClass: Int, confidence: Double) {
        self.settings = settings
        self.classes = classes
        self.minReviewedPerClass = minReviewedPerClass
        self.confidence = confidence
    }

    /// Adds a result computed elsewhere (two-sample tests, sequential detectors).
    public mutating func add(_ result: DriftTestResult) { results.append(result) }

    // MARK: Paired: prediction bias on reviewed items

    /// Prediction bias on the reviewed items of `matrix` (rows observed, columns predicted):
    /// per class the predicted share minus the observed share with Newcombe's paired interval
    /// and McNemar's test, and Stuart–Maxwell over all classes.
    public mutating func addPredictionBias(_ matrix: ConfusionMatrix) {
        let n = matrix.total
        let k = matrix.classCount
        guard n > 0 else { return }
        if n < minReviewedPerClass {
            results.append(DriftTestResult(target: "prediction_bias", test: "stuart_maxwell", statistic: 0, data: ["n": Double(n)],
                                           severity: .insufficientEvidence,
                                           message: "prediction bias: \(n) reviewed items, fewer than the \(minReviewedPerClass) a verdict needs"))
            return
        }
        // Rows predicted, columns observed, as the test is usually written.
        var table = [[Int]](repeating: [Int](repeating: 0, count: k), count: k)
        for observed in 0..<k { for predicted in 0..<k { table[predicted][observed] = matrix[observed, predicted] } }
        // A singular covariance of the marginal differences gives NaN: `finished()` reports it as undefined.
        let sm = PairedTests.stuartMaxwell(table)
        results.append(DriftTestResult(target: "prediction_bias", test: "stuart_maxwell", statistic: sm.statistic, pValue: sm.pValue.isNaN ? nil : sm.pValue,
                                       data: ["n": Double(n), "df": Double(sm.degreesOfFreedom)],
                                       message: "Stuart–Maxwell: marginal homogeneity of predicted vs observed classes over \(n) reviewed items"))
        for c in 0..<k {
            let both = matrix[c, c]
            let observed = matrix.support(c), predicted = matrix.predictedCount(c)
            let b = predicted - both, cc = observed - both
            let bias = Double(predicted - observed) / Double(n)
            let name = c < classes.count ? classes[c] : "#\(c)"
            let data: [String: Double] = ["n": Double(n), "predicted": Double(predicted), "observed": Double(observed), "b": Double(b), "c": Double(cc)]
            if Swift.max(observed, predicted) < minReviewedPerClass {
                results.append(DriftTestResult(target: "prediction_bias", test: "mcnemar", className: name, statistic: 0, effectSize: bias,
                                               effectName: "predicted_minus_observed_share", data: data, severity: .insufficientEvidence,
                                               message: "'\(name)': \(Swift.max(observed, predicted)) reviewed items, fewer than \(minReviewedPerClass)"))
                continue
            }
            let test = PairedTests.mcnemar(b: b, c: cc)
            let interval = PairedTests.newcombeDifference(both: both, onlyFirst: b, onlySecond: cc, total: n, confidence: confidence)
            results.append(DriftTestResult(target: "prediction_bias", test: "mcnemar", className: name, statistic: test.statistic, pValue: test.pValue,
                                           effectSize: bias, effectName: "predicted_minus_observed_share", interval: interval, data: data,
                                           method: test.method,
                                           message: "McNemar: '\(name)' predicted for \(percent(Double(predicted) / Double(n))) of reviewed items, observed in \(percent(Double(observed) / Double(n)))"))
        }
    }

    // MARK: Unpaired: class distribution of all predictions

    /// Drift of the predicted-class distribution: `current` counts against `reference` counts
    /// (a reference window: χ² and G tests of homogeneity) or against training shares
    /// (`referenceIsShares`: goodness-of-fit tests); PSI and Jensen–Shannon distance on shares.
    public mutating func addClassDistribution(reference: [Double], current: [Double], referenceIsShares: Bool) {
        let nRef = reference.reduce(0, +), nCur = current.reduce(0, +)
        var data: [String: Double] = ["n_current": nCur]
        if !referenceIsShares { data["n_reference"] = nRef }
        let short = nCur < Double(settings.minPredictions) || (!referenceIsShares && nRef < Double(settings.minPredictions))
        if short || nRef <= 0 {
            results.append(DriftTestResult(target: "class_distribution", test: "chi_square", statistic: 0, data: data, severity: .insufficientEvidence,
                                           message: "class distribution: \(Int(nCur)) predictions in the window and \(referenceIsShares ? "training shares" : "\(Int(nRef)) in the reference"); a verdict needs \(settings.minPredictions) in each"))
            return
        }
        let refShares = CategoricalTests.shares(reference), curShares = CategoricalTests.shares(current)
        for statistic in [CategoricalTests.Statistic.pearson, .logLikelihood] {
            let r = referenceIsShares
                ? CategoricalTests.goodnessOfFit(observed: current, expectedShares: reference, statistic: statistic)
                : CategoricalTests.contingency(reference: reference, current: current, statistic: statistic)
            var d = data
            d["df"] = Double(r.degreesOfFreedom)
            results.append(DriftTestResult(target: "class_distribution", test: statistic.rawValue, statistic: r.statistic, pValue: r.pValue,
                                           data: d, method: referenceIsShares ? "goodness_of_fit" : "contingency",
                                           message: "\(statistic == .pearson ? "χ²" : "G-test") of predicted-class counts vs the \(referenceIsShares ? "training distribution" : "reference window")"))
        }
        let psi = CategoricalTests.populationStabilityIndex(currentShares: curShares, referenceShares: refShares)
        results.append(DriftTestResult(target: "class_distribution", test: "psi", statistic: psi, effectSize: psi, effectName: "psi", data: data,
                                       severity: settings.psi.severity(of: psi),
                                       message: "PSI of predicted-class shares \(format(psi)) (levels \(levels(settings.psi)))"))
        let js = CategoricalTests.jensenShannonDistance(curShares, refShares)
        results.append(DriftTestResult(target: "class_distribution", test: "js_distance", statistic: js, effectSize: js, effectName: "js_distance_base2",
                                       data: data, severity: settings.jsDistance?.severity(of: js) ?? .ok,
                                       message: "Jensen–Shannon distance (base 2) of predicted-class shares \(format(js))"))
    }

    // MARK: Detection: predicted vs ground-truth boxes per image

    /// Per class, over reviewed images: predicted boxes (at or above the score threshold) minus
    /// ground-truth boxes per image, with a normal interval on the mean difference and the
    /// exact sign test on the images where the two differ.
    public mutating func addBoxCountBias(predicted: [[Int]], groundTruth: [[Int]]) {
        let images = predicted.count
        guard images > 0 else { return }
        let z = NormalDistribution.quantile(1 - (1 - confidence) / 2)
        for c in classes.indices {
            var more = 0, fewer = 0, sum = 0.0, sumSq = 0.0, gtBoxes = 0, predBoxes = 0
            for i in 0..<images {
                let p = predicted[i][c], g = groundTruth[i][c]
                predBoxes += p
                gtBoxes += g
                let d = Double(p - g)
                sum += d
                sumSq += d * d
                if p > g { more += 1 } else if p < g { fewer += 1 }
            }
            let n = Double(images)
            let mean = sum / n
            let variance = images > 1 ? Swift.max(0, (sumSq - n * mean * mean) / (n - 1)) : 0
            let half = z * (variance / n).squareRoot()
            let data: [String: Double] = ["images": n, "predicted_boxes": Double(predBoxes), "ground_truth_boxes": Double(gtBoxes),
                                          "images_more": Double(more), "images_fewer": Double(fewer)]
            if Swift.max(gtBoxes, predBoxes) < minReviewedPerClass {
                results.append(DriftTestResult(target: "box_count_bias", test: "sign_test", className: classes[c], statistic: 0, effectSize: mean,
                                               effectName: "mean_predicted_minus_ground_truth_boxes_per_image", data: data, severity: .insufficientEvidence,
                                               message: "'\(classes[c])': \(Swift.max(gtBoxes, predBoxes)) boxes, fewer than \(minReviewedPerClass)"))
                continue
            }
            let p = SpecialFunctions.signTestPValue(Swift.min(more, fewer), trials: more + fewer)
            results.append(DriftTestResult(target: "box_count_bias", test: "sign_test", className: classes[c], statistic: Double(Swift.min(more, fewer)),
                                           pValue: p, effectSize: mean, effectName: "mean_predicted_minus_ground_truth_boxes_per_image",
                                           interval: Interval(lower: mean - half, upper: mean + half), data: data,
                                           message: "'\(classes[c])': \(predBoxes) predicted vs \(gtBoxes) ground-truth boxes on \(images) images"))
        }
    }

    // MARK: Verdicts

    /// The results with Benjamini–Hochberg-adjusted p-values and severities, and the findings
    /// (warning or critical) they raise.
    public func finished() -> (results: [DriftTestResult], findings: [Finding]) {
        // A statistic that came out non-finite is reported as undefined, never as a number
        // (and never breaks the report's JSON).
        var out = results.map { r -> DriftTestResult in
            let finite = r.statistic.isFinite && r.pValue?.isFinite != false && r.effectSize?.isFinite != false
                && r.interval.map { $0.lower.isFinite && $0.upper.isFinite } != false && r.data.values.allSatisfy(\.isFinite)
            guard !finite else { return r }
            var undefined = r
            undefined.statistic = r.statistic.isFinite ? r.statistic : 0
            undefined.pValue = nil
            undefined.effectSize = r.effectSize.flatMap { $0.isFinite ? $0 : nil }
            undefined.interval = r.interval.flatMap { $0.lower.isFinite && $0.upper.isFinite ? $0 : nil }
            undefined.data = r.data.filter { $0.value.isFinite }
            undefined.severity = .insufficientEvidence
            undefined.message = r.message + " (undefined here: the computation gave a non-finite value)"
            return undefined
        }
        let tested = out.indices.filter { out[$0].isHypothesisTest }
        let adjusted = BenjaminiHochberg.adjust(tested.map { out[$0].pValue! })
        for (i, q) in zip(tested, adjusted) {
            out[i].adjustedPValue = q
            if q < settings.alpha {
                out[i].severity = Swift.max(out[i].severity, settings.testSeverity)
            }
        }
        var findings: [Finding] = []
        for r in out where r.severity.alerts {
            var message = r.message
            if let p = r.pValue, let q = r.adjustedPValue {
                message += "; p = \(formatP(p)), adjusted \(formatP(q)) < α = \(format(settings.alpha))"
            }
            let rule = ["drift", r.target, r.test, r.className].compactMap { $0 }.joined(separator: ".")
            findings.append(Finding(rule: rule, metric: r.test, className: r.className, severity: r.severity,
                                    value: r.effectSize ?? r.statistic, interval: r.interval, warning: nil, critical: nil,
                                    evidence: Int(r.data["n"] ?? r.data["n_current"] ?? r.data["images"] ?? 0), message: message))
        }
        return (out, findings)
    }

    private func percent(_ x: Double) -> String { String(format: "%.1f%%", 100 * x) }
    private func format(_ x: Double) -> String { String(format: "%.4g", x) }
    private func formatP(_ x: Double) -> String { x < 1e-4 ? String(format: "%.2e", x) : String(format: "%.4f", x) }
    private func levels(_ l: DriftSettings.Levels) -> String {
        (l.info.map { "info \(format($0)), " } ?? "") + "warning \(l.warning.map(format) ?? "—"), critical \(l.critical.map(format) ?? "—")"
    }
}
