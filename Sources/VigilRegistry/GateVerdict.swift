import Foundation
import VigilCore

/// The gate's decision on a candidate version, with every reason: stored in the version's
/// model card, shown by `vigil registry show`/`gate`, notified, and (MLflow) set as tags.
public struct GateVerdict: Sendable, Equatable, Codable {
    public var passed: Bool
    public var model: String
    public var candidate: Int
    /// The champion the candidate was compared with; a promotion through this verdict requires
    /// that the champion has not moved since.
    public var champion: Int?
    /// `macro_f1`, `accuracy`, … or `map50`, `map`.
    public var metric: String
    public var candidateValue: Double?
    public var championValue: Double?
    /// Candidate minus champion on the whole holdout.
    public var improvement: Double?
    /// The α-quantile of the paired bootstrap's improvements (one-sided lower bound).
    public var improvementLower: Double?
    /// One-sided bootstrap p-value of "no improvement": (1 + #{Δ* ≤ 0}) / (B + 1).
    public var pValue: Double?
    public var minImprovement: Double
    public var alpha: Double
    public var resamples: Int
    public var seed: UInt64
    /// Holdout items (images for detectors).
    public var holdoutSize: Int
    public var perClass: [ClassComparison]
    public var checks: [GateCheck]
    public var decidedAt: Int64
    /// What the champion's predictions were: its own run on the holdout, or what production
    /// served on those items (a caveat). `nil` in verdicts stored before Vigil recorded it.
    public var championBasis: ChampionBasis? = nil

    /// The failed checks' messages.
    public var reasons: [String] { checks.filter { !$0.passed }.map(\.message) }

    /// One line: `PASS macro_f1 0.712 → 0.801 (+0.089, p=0.001)` or `FAIL: …`, followed by the
    /// caveat when the champion's side was its served predictions (``ChampionBasis/servedPredictions``).
    public var summary: String {
        let head = passed ? "PASS" : "FAIL"
        var s = "\(head) v\(candidate) vs \(champion.map { "v\($0)" } ?? "no champion"): \(metric)"
        if let c = championValue, let v = candidateValue, let d = improvement {
            s += String(format: " %.4f → %.4f (%+.4f", c, v, d) + (pValue.map { String(format: ", p=%.4f", $0) } ?? "") + ")"
        }
        if !passed { s += "; " + reasons.joined(separator: "; ") }
        if championBasis == .servedPredictions, champion != nil { s += " " + ChampionBasis.servedPredictions.sentence(champion: champion) }
        return s
    }

    /// The candidate's holdout metrics: the primary metric and the per-class one (`recall[c]` or `ap50[c]`).
    public var candidateMetrics: [String: Double] { holdoutMetrics(primary: candidateValue, perClass: \.candidate) }

    /// The champion's holdout metrics the candidate was compared with, named as ``candidateMetrics``.
    public var championMetrics: [String: Double] { holdoutMetrics(primary: championValue, perClass: \.champion) }

    func holdoutMetrics(primary: Double?, perClass value: KeyPath<ClassComparison, Double>) -> [String: Double] {
        var out: [String: Double] = [:]
        if let primary { out[metric] = primary }
        for c in perClass { out["\(c.metric)[\(c.className)]"] = c[keyPath: value] }
        return out
    }

    enum CodingKeys: String, CodingKey {
        case passed, model, candidate, champion, metric, alpha, resamples, seed, checks
        case candidateValue = "candidate_value"
        case championValue = "champion_value"
        case improvement
        case improvementLower = "improvement_lower"
        case pValue = "p_value"
        case minImprovement = "min_improvement"
        case holdoutSize = "holdout_size"
        case perClass = "per_class"
        case decidedAt = "decided_at"
        case championBasis = "champion_basis"
    }

    /// The verdict as compact JSON (sorted keys).
    public var json: String { compactJSON(self) }

    public static func decode(_ json: String) -> GateVerdict? {
        try? JSONDecoder().decode(GateVerdict.self, from: Data(json.utf8))
    }
}

/// One class of the holdout: candidate and champion on the per-class metric (recall for
/// classifiers, AP50 for detectors), and the holdout's support.
public struct ClassComparison: Sendable, Equatable, Codable {
    public var className: String
    public var metric: String
    public var candidate: Double
    public var champion: Double
    /// Examples of the class in the holdout (ground-truth boxes for detectors).
    public var support: Int

    public var change: Double { candidate - champion }

    enum CodingKeys: String, CodingKey {
        case metric, candidate, champion, support
        case className = "class"
    }
}

/// One rule of the gate and how the candidate fared.
public struct GateCheck: Sendable, Equatable, Codable {
    /// `holdout-size`, `artifact-hash`, `class-list`, `improvement`, `significance`, `class-regression`, `champion`,
    /// `champion-basis` (always passes: it says what the champion's predictions were).
    public var rule: String
    public var passed: Bool
    public var message: String

    public init(rule: String, passed: Bool, message: String) {
        self.rule = rule
        self.passed = passed
        self.message = message
    }
}

/// `value` as compact JSON with sorted keys (`{}` if it cannot be encoded), as stored in the
/// registry and in MLflow tags.
func compactJSON<T: Encodable>(_ value: T) -> String {
    let e = JSONEncoder()
    e.outputFormatting = [.sortedKeys]
    return String(decoding: (try? e.encode(value)) ?? Data("{}".utf8), as: UTF8.self)
}
