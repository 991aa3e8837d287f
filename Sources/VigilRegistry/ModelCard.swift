import Foundation

/// A version's model card: what it recognises, how it did on the holdout, what it was trained
/// on, and the gate's verdict. Stored as JSON with the version (MLflow: the `vigil.card` tag).
public struct ModelCard: Sendable, Equatable, Codable {
    public var classes: [String]
    /// Holdout metrics Vigil computed from the version's predictions (`macro_f1`, `map50`, per-class `recall[c]` / `ap50[c]`).
    public var metrics: [String: Double]
    /// The champion's metrics on the same holdout, as the gate compared them (`nil` before a verdict).
    public var championMetrics: [String: Double]?
    /// One sentence on what the champion's side was: run on the holdout, or its served predictions (a caveat).
    public var comparison: String?
    public var data: DataSummary
    public var trainer: String?
    public var gate: GateVerdict?

    public init(classes: [String], metrics: [String: Double] = [:], data: DataSummary = .init(), trainer: String? = nil, gate: GateVerdict? = nil) {
        self.classes = classes
        self.metrics = metrics
        self.data = data
        self.trainer = trainer
        self.gate = gate
    }

    /// What a version was trained and judged on.
    public struct DataSummary: Sendable, Equatable, Codable {
        public var trainingItems: Int?
        public var holdoutItems: Int?
        public var goldItems: Int?
        /// SHA-256 of the exported training set.
        public var fingerprint: String?
        /// Where the training set came from (the parent's data plus reviewed labels).
        public var source: String?

        public init(trainingItems: Int? = nil, holdoutItems: Int? = nil, goldItems: Int? = nil, fingerprint: String? = nil, source: String? = nil) {
            self.trainingItems = trainingItems
            self.holdoutItems = holdoutItems
            self.goldItems = goldItems
            self.fingerprint = fingerprint
            self.source = source
        }

        enum CodingKeys: String, CodingKey {
            case fingerprint, source
            case trainingItems = "training_items"
            case holdoutItems = "holdout_items"
            case goldItems = "gold_items"
        }
    }

    enum CodingKeys: String, CodingKey {
        case classes, metrics, comparison, data, trainer, gate
        case championMetrics = "champion_metrics"
    }

    /// Records `verdict` and both versions' holdout metrics from it.
    public mutating func record(_ verdict: GateVerdict) {
        gate = verdict
        guard verdict.champion != nil else { return }
        metrics = verdict.candidateMetrics
        championMetrics = verdict.championMetrics
        comparison = verdict.championBasis?.sentence(champion: verdict.champion)
    }

    /// The card as compact JSON (sorted keys).
    public var json: String { compactJSON(self) }

    /// The card stored as `json`, or an empty card for `classes` when it is not one.
    public static func decode(_ json: String, classes: [String]) -> ModelCard {
        (try? JSONDecoder().decode(ModelCard.self, from: Data(json.utf8))) ?? ModelCard(classes: classes)
    }
}
