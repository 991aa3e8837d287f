import Foundation
import VigilCore
import VigilStore

/// The drift tests on samples: scores, embeddings, boxes, and the sequential detectors.
extension DriftCollector {
    /// Two-sample tests (KS and Wasserstein-1) of `current` against `reference` for `target`.
    /// `sampled` describes each side when it is the stored sample of a larger window.
    func addDistributionTests(_ analysis: inout DriftAnalysis, target: String, what: String, reference: [Double], current: [Double],
                              sampled: (reference: WindowValues, current: WindowValues)? = nil) {
        guard reference.count >= policy.drift.minPredictions, current.count >= policy.drift.minPredictions else {
            addInsufficient(&analysis, target: target, what: what, reference: reference.count, current: current.count)
            return
        }
        var data: [String: Double] = [:]
        var note = ""
        if let sampled, sampled.reference.sampleLevel != nil || sampled.current.sampleLevel != nil {
            for (side, w) in [("reference", sampled.reference), ("current", sampled.current)] {
                data["n_window_\(side)"] = Double(w.predictions)
                if let level = w.sampleLevel { data["sample_level_\(side)"] = Double(level) }
            }
            note = " (on the stored uniform sample: \(Self.describe(sampled.current)) in the window, \(Self.describe(sampled.reference)) in the reference)"
        }
        let ks = KolmogorovSmirnov.test(reference, current)
        analysis.add(DriftTestResult(target: target, test: "ks", statistic: ks.statistic, pValue: ks.pValue, effectSize: ks.statistic,
                                     effectName: "ks_d", data: data.merging(["n_reference": Double(ks.n), "n_current": Double(ks.m)]) { $1 },
                                     method: ks.method,
                                     message: "\(what): largest gap between the two distribution functions \(String(format: "%.4f", ks.statistic))\(note)"))
        let w = Wasserstein.test(reference, current)
        analysis.add(DriftTestResult(target: target, test: "wasserstein", statistic: w.statistic, effectSize: w.statistic,
                                     effectName: "wasserstein_1", data: data.merging(["n_reference": Double(w.n), "n_current": Double(w.m)]) { $1 },
                                     message: "\(what): Wasserstein-1 distance \(String(format: "%.4g", w.statistic))\(note)"))
    }

    /// "1 in 2^L of N" or "all N".
    static func describe(_ w: WindowValues) -> String {
        guard let level = w.sampleLevel else { return "all \(w.predictions) predictions" }
        return "1 in \(1 << level) of \(w.predictions) predictions"
    }

    /// The `insufficient-evidence` verdict of a two-sample test (nothing when both sides are empty).
    func addInsufficient(_ analysis: inout DriftAnalysis, target: String, what: String, reference: Int, current: Int) {
        guard reference > 0 || current > 0 else { return }
        let minimum = policy.drift.minPredictions
        analysis.add(DriftTestResult(target: target, test: "ks", statistic: 0,
                                     data: ["n_reference": Double(reference), "n_current": Double(current)],
                                     severity: .insufficientEvidence,
                                     message: "\(what): \(current) values in the window and \(reference) in the reference; a verdict needs \(minimum) in each"))
    }

    /// KS and Wasserstein on the top-1 scores of the two windows.
    func addScoreTests(_ analysis: inout DriftAnalysis, window: TimeWindow, reference: TimeWindow) throws {
        let limit = policy.drift.maxRawValues
        let previous = try store.scores(model: schema.name, window: reference, limit: limit)
        guard previous.values.count >= policy.drift.minPredictions else {
            // Without a usable reference the window's scores need not be read at all.
            let count = try store.predictionCount(model: schema.name, window: window)
            addInsufficient(&analysis, target: "score_distribution", what: "top-1 scores", reference: previous.values.count, current: count)
            return
        }
        let current = try store.scores(model: schema.name, window: window, limit: limit)
        addDistributionTests(&analysis, target: "score_distribution", what: "top-1 scores", reference: previous.values,
                             current: current.values, sampled: (previous, current))
    }

    /// Detectors: boxes per image and box areas (w·h) of the predictions in the two windows
    /// (all, or the stored sample of a window larger than `max_raw_values`).
    func addBoxTests(_ analysis: inout DriftAnalysis, window: TimeWindow, reference: TimeWindow) throws {
        func read(_ w: TimeWindow) throws -> (perImage: [Double], areas: [Double], read: WindowValues) {
            var perImage: [Double] = [], areas: [Double] = []
            let read = try store.forEachPredictedBoxes(model: schema.name, window: w, limit: policy.drift.maxRawValues) { json in
                let boxes = try DetectionBox.parse(json: json, schema: schema)
                perImage.append(Double(boxes.count))
                for b in boxes { areas.append(b.bbox.2 * b.bbox.3) }
            }
            return (perImage, areas, read)
        }
        let ref = try read(reference), cur = try read(window)
        addDistributionTests(&analysis, target: "boxes_per_image", what: "boxes per image", reference: ref.perImage, current: cur.perImage,
                             sampled: (ref.read, cur.read))
        addDistributionTests(&analysis, target: "box_area", what: "box areas", reference: ref.areas, current: cur.areas,
                             sampled: (ref.read, cur.read))
    }

    /// MMD² on `input.embedding` samples of the two windows, when predictions carry embeddings.
    /// Returns a note when the samples cannot be compared.
    func addEmbeddingTest(_ analysis: inout DriftAnalysis, window: TimeWindow, reference: TimeWindow) throws -> String? {
        let settings = policy.drift.embedding
        let current = try store.embeddingSample(model: schema.name, window: window, limit: settings.mmd.maxSamples)
        guard !current.isEmpty else { return nil }
        let previous = try store.embeddingSample(model: schema.name, window: reference, limit: settings.mmd.maxSamples)
        guard let cur = EmbeddingSample(current), let ref = EmbeddingSample(previous) else {
            return "embedding drift: an input.embedding is not an array of numbers; fix the predictions to compare embeddings"
        }
        guard cur.dimension == ref.dimension || ref.count == 0 else {
            return "embedding drift: embeddings have \(cur.dimension) values in the window and \(ref.dimension) in the reference; not compared"
        }
        let minimum = Swift.min(policy.drift.minPredictions, settings.mmd.maxSamples)
        guard cur.count >= minimum, ref.count >= minimum else {
            analysis.add(DriftTestResult(target: "embedding", test: "mmd", statistic: 0,
                                         data: ["n_reference": Double(ref.count), "n_current": Double(cur.count)], severity: .insufficientEvidence,
                                         message: "embeddings: \(cur.count) in the window and \(ref.count) in the reference; a verdict needs \(minimum) in each"))
            return nil
        }
        let r = MaximumMeanDiscrepancy.test(reference: ref.values, current: cur.values, dimension: cur.dimension,
                                            settings: settings.mmd)
        var data = r.details
        data["n_reference"] = Double(r.n)
        data["n_current"] = Double(r.m)
        data["dimension"] = Double(cur.dimension)
        analysis.add(DriftTestResult(target: "embedding", test: "mmd", statistic: r.statistic, pValue: r.pValue, effectSize: r.statistic,
                                     effectName: "mmd2_unbiased", data: data, method: r.method,
                                     message: "embeddings: MMD² \(String(format: "%.3g", r.statistic)) (RBF kernel, median-heuristic bandwidth)"))
        return nil
    }

    /// The longest run-up a change detector replays before the evaluated window.
    static let maxReplay: Int64 = 90 * 86_400_000

    /// The change detectors on the reviewed-correctness stream and the hourly mean score. Each runs over the stream from the start of the reference window
    /// (the baseline or the previous window; at most ``maxReplay`` back) to the end of the
    /// evaluated one, and reports only the changes inside the evaluated window: the detector
    /// arrives at the window in the state the earlier data left it in, so a change at a window
    /// boundary is seen. Replaying the stored stream gives the same state as carrying it from
    /// run to run, and stays right when labels arrive late or are corrected.
    func addSequentialTests(_ analysis: inout DriftAnalysis, window: TimeWindow, reference: TimeWindow) throws {
        let settings = policy.drift.sequential
        let lead = TimeWindow(from: max(min(reference.from, window.from), window.from - Self.maxReplay), to: window.from)
        if !settings.correctness.isEmpty {
            let earlier = lead.from < lead.to ? try store.correctnessStream(model: schema.name, window: lead) : []
            let stream = earlier + (try store.correctnessStream(model: schema.name, window: window))
            let values = stream.map { $0.correct ? 1.0 : 0.0 }
            for detector in settings.correctness {
                add(&analysis, detector: detector, target: "correctness_stream", what: "reviewed-correctness stream", values: values,
                    timestamps: stream.map(\.ts), replayed: earlier.count, settings: settings)
            }
        }
        if !settings.hourlyMeanScore.isEmpty {
            let earlier = lead.from < lead.to ? try store.hourlyMeanScores(model: schema.name, window: lead) : []
            let hours = earlier + (try store.hourlyMeanScores(model: schema.name, window: window))
            let referenceHours = try store.hourlyMeanScores(model: schema.name, window: reference).map(\.mean)
            for detector in settings.hourlyMeanScore {
                add(&analysis, detector: detector, target: "hourly_mean_score", what: "hourly mean score", values: hours.map(\.mean),
                    timestamps: hours.map { $0.hour * 3_600_000 }, replayed: earlier.count, reference: referenceHours, settings: settings)
            }
        }
    }

    /// Runs `detector` over `values`, of which the first `replayed` precede the evaluated window (run-up only).
    private func add(_ analysis: inout DriftAnalysis, detector: SequentialSettings.Detector, target: String, what: String,
                     values allValues: [Double], timestamps allTimestamps: [Int64], replayed: Int, reference: [Double] = [], settings: SequentialSettings) {
        guard allValues.count > replayed else { return }
        let points = settings.changePoints(detector, on: allValues, reference: reference).filter { $0 >= replayed }.map { $0 - replayed }
        let values = Array(allValues[replayed...]), timestamps = Array(allTimestamps[replayed...])
        var data: [String: Double] = ["n": Double(values.count), "changes": Double(points.count), "replayed": Double(replayed)]
        if detector == .cusum {
            let used = settings.cusum(reference: reference)
            if let t = used.target, let s = used.sigma { data["target"] = t; data["sigma"] = s; data["reference_values"] = Double(reference.count) }
        }
        var message = "\(what) (\(values.count) values\(replayed > 0 ? ", after \(replayed) earlier ones" : "")): "
        if let first = points.first, let last = points.last {
            data["last_change_index"] = Double(last)
            let before = allValues[..<(last + replayed)], after = allValues[(last + replayed)...]
            let meanBefore = before.isEmpty ? 0 : before.reduce(0, +) / Double(before.count)
            let meanAfter = after.reduce(0, +) / Double(after.count)
            data["mean_before"] = meanBefore
            data["mean_after"] = meanAfter
            data["first_change_index"] = Double(first)
            let when = points.count == 1 ? "at \(Timestamp.format(millis: timestamps[last]))"
                : "first at \(Timestamp.format(millis: timestamps[first])), last at \(Timestamp.format(millis: timestamps[last]))"
            message += "\(points.count) alarm\(points.count == 1 ? "" : "s"), \(when); mean \(String(format: "%.4f", meanBefore)) before the last, \(String(format: "%.4f", meanAfter)) after"
        } else {
            message += "no change"
        }
        analysis.add(DriftTestResult(target: target, test: detector.rawValue, statistic: Double(points.count), data: data,
                                     severity: points.isEmpty ? .ok : settings.severity, message: message))
    }
}

/// Embedding arrays as the store returns them (JSON text), parsed into one row-major matrix.
struct EmbeddingSample {
    var values: [Double] = []
    var dimension = 0
    var count = 0

    /// `nil` when a row is not a JSON array of numbers or rows differ in length.
    init?(_ rows: [String]) {
        for row in rows {
            let trimmed = row.trimmingCharacters(in: .whitespaces)
            guard trimmed.hasPrefix("["), trimmed.hasSuffix("]") else { return nil }
            let numbers = trimmed.dropFirst().dropLast().split(separator: ",")
            if count == 0 { dimension = numbers.count } else if numbers.count != dimension { return nil }
            guard dimension > 0 else { return nil }
            for n in numbers {
                guard let v = Double(n.trimmingCharacters(in: .whitespaces)), v.isFinite else { return nil }
                values.append(v)
            }
            count += 1
        }
    }
}
