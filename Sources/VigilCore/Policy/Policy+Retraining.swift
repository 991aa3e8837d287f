/// The policy's `retraining:` section: when a retraining job starts and how it trains.
///
/// ```yaml
/// retraining:
///   trigger:
///     severity: critical        # findings of at least this severity in the latest evaluation
///     min_new_labels: 200       # reviewed labels since the champion was trained
///     cooldown: 7d              # no new job sooner than this after the last one
///   trainer: command            # or embedded (the embedded detector)
///   command: "python3 train.py --train {train} --holdout {holdout} --out {out} --init {model} --champion-predictions {champion_predictions}"
///   timeout: 2h
///   holdout_fraction: 0.3       # newest reviewed items kept out of training
///   max_attempts: 2             # a job whose process died is retried once
///   window: 14d                 # only items reviewed from the last 14 days (default: all)
///   embedded: {epochs: 15, learning_rate: 0.003, replay: 500}   # trainer: embedded
/// ```
public struct RetrainingSettings: Sendable, Equatable, Codable {
    public var trigger: RetrainTrigger
    public var trainer: TrainerKind
    /// For `trainer: command`: the command line, with `{train}`, `{holdout}`, `{out}`, `{model}`, `{champion_predictions}`.
    public var command: String?
    /// How long the trainer may run before it is killed and the job fails.
    public var timeout: String
    /// Share of the reviewed items, newest first, kept for the holdout instead of training.
    public var holdoutFraction: Double
    /// Attempts a job gets when its process dies (lease expiry); 2 means one retry.
    public var maxAttempts: Int
    /// Only predictions from this long before the job (e.g. `14d`) go into its training set and
    /// holdout; `nil`: every reviewed item. After a domain shift, older labels describe the old
    /// domain, which the parent's own training data already covers.
    public var window: String?
    /// For `trainer: embedded`: how the champion is fine-tuned.
    public var embedded: EmbeddedTrainingSettings

    public init(trigger: RetrainTrigger = .init(), trainer: TrainerKind = .command, command: String? = nil, timeout: String = "2h",
                holdoutFraction: Double = 0.3, maxAttempts: Int = 2, window: String? = nil, embedded: EmbeddedTrainingSettings = .init()) {
        self.trigger = trigger
        self.trainer = trainer
        self.command = command
        self.timeout = timeout
        self.holdoutFraction = holdoutFraction
        self.maxAttempts = maxAttempts
        self.window = window
        self.embedded = embedded
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case trigger, trainer, command, timeout, window, embedded
        case holdoutFraction = "holdout_fraction"
        case maxAttempts = "max_attempts"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        trigger = try c.decodeIfPresent(RetrainTrigger.self, forKey: .trigger) ?? RetrainTrigger()
        trainer = try c.decodeIfPresent(TrainerKind.self, forKey: .trainer) ?? .command
        command = try c.decodeIfPresent(String.self, forKey: .command)
        timeout = try c.decodeIfPresent(String.self, forKey: .timeout) ?? "2h"
        holdoutFraction = try c.decodeIfPresent(Double.self, forKey: .holdoutFraction) ?? 0.3
        maxAttempts = try c.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? 2
        window = try c.decodeIfPresent(String.self, forKey: .window)
        embedded = try c.decodeIfPresent(EmbeddedTrainingSettings.self, forKey: .embedded) ?? EmbeddedTrainingSettings()
    }

    /// The training window in milliseconds, or `nil` for every reviewed item.
    public var windowMillis: Int64? { window.flatMap { WindowLength.seconds($0) }.map { $0 * 1000 } }

    /// The trainer's time limit in milliseconds (2 h when unreadable; ``problems()`` reports it).
    public var timeoutMillis: Int64 { (WindowLength.seconds(timeout) ?? 7200) * 1000 }

    public func problems() -> [String] {
        var out: [String] = []
        if trainer == .command {
            if let command, !command.isEmpty {
                if !command.contains("{out}") { out.append("retraining.command: must contain {out}, the folder the trainer writes its artifact and holdout predictions to") }
            } else {
                out.append("retraining.command: give the trainer's command line with {train} {holdout} {out} {model} {champion_predictions} (docs/registry.md, \"Trainer contract\")")
            }
        }
        if WindowLength.seconds(timeout) == nil { out.append("retraining.timeout: '\(timeout)' is not a length such as 2h or 30m") }
        if !(holdoutFraction > 0 && holdoutFraction < 1) { out.append("retraining.holdout_fraction: must be in (0, 1), e.g. 0.3") }
        if maxAttempts < 1 || maxAttempts > 10 { out.append("retraining.max_attempts: must be between 1 and 10") }
        if let window, WindowLength.seconds(window) == nil { out.append("retraining.window: '\(window)' is not a length such as 14d") }
        out += embedded.problems()
        if WindowLength.seconds(trigger.cooldown) == nil { out.append("retraining.trigger.cooldown: '\(trigger.cooldown)' is not a length such as 7d") }
        if trigger.minNewLabels < 0 { out.append("retraining.trigger.min_new_labels: must be 0 or more") }
        if trigger.severity == .ok || trigger.severity == .insufficientEvidence {
            out.append("retraining.trigger.severity: must be warning or critical")
        }
        return out
    }
}

/// When the scheduled `retrain-check` job queues a retraining job: the latest evaluation has a
/// finding at least this severe, enough labels arrived since the champion was trained, and the
/// last job is older than the cooldown. All three must hold.
public struct RetrainTrigger: Sendable, Equatable, Codable {
    public var severity: Severity
    public var minNewLabels: Int
    public var cooldown: String

    public init(severity: Severity = .critical, minNewLabels: Int = 100, cooldown: String = "7d") {
        self.severity = severity
        self.minNewLabels = minNewLabels
        self.cooldown = cooldown
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case severity, cooldown
        case minNewLabels = "min_new_labels"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        severity = try c.decodeIfPresent(Severity.self, forKey: .severity) ?? .critical
        minNewLabels = try c.decodeIfPresent(Int.self, forKey: .minNewLabels) ?? 100
        cooldown = try c.decodeIfPresent(String.self, forKey: .cooldown) ?? "7d"
    }

    public var cooldownMillis: Int64 { (WindowLength.seconds(cooldown) ?? 7 * 86_400) * 1000 }
}

/// `retraining.embedded`: how `trainer: embedded` fine-tunes the champion on the embedded
/// detector (docs/detector.md, "Training").
///
/// The candidate starts from the champion's weights and trains on every reviewed image of the
/// training set plus up to `replay` images of the champion's own training data (drawn with
/// `seed`), so it learns the new domain without forgetting the old one.
public struct EmbeddedTrainingSettings: Sendable, Equatable, Codable {
    public var epochs: Int
    public var learningRate: Double
    public var batchSize: Int
    /// Images of the parent's training data mixed in (at most; 0: none).
    public var replay: Int
    public var seed: UInt64
    /// Holdout detections scoring below this are not written (as `vigil detector predict`).
    public var minScore: Double
    /// Parts each batch is split into, trained side by side on copies of the network, one
    /// thread each (docs/detector.md, "Threads"); the default uses both cores of a small machine.
    public var workers: Int

    public init(epochs: Int = 15, learningRate: Double = 3e-3, batchSize: Int = 32, replay: Int = 500, seed: UInt64 = 1, minScore: Double = 0.05,
                workers: Int = 2) {
        self.epochs = epochs
        self.learningRate = learningRate
        self.batchSize = batchSize
        self.replay = replay
        self.seed = seed
        self.minScore = minScore
        self.workers = workers
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case epochs, replay, seed, workers
        case learningRate = "learning_rate"
        case batchSize = "batch_size"
        case minScore = "min_score"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        epochs = try c.decodeIfPresent(Int.self, forKey: .epochs) ?? 15
        learningRate = try c.decodeIfPresent(Double.self, forKey: .learningRate) ?? 3e-3
        batchSize = try c.decodeIfPresent(Int.self, forKey: .batchSize) ?? 32
        replay = try c.decodeIfPresent(Int.self, forKey: .replay) ?? 500
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? 1
        minScore = try c.decodeIfPresent(Double.self, forKey: .minScore) ?? 0.05
        workers = try c.decodeIfPresent(Int.self, forKey: .workers) ?? 2
    }

    func problems() -> [String] {
        var out: [String] = []
        if epochs < 1 { out.append("retraining.embedded.epochs: must be 1 or more") }
        if !(learningRate > 0 && learningRate < 1) { out.append("retraining.embedded.learning_rate: must be in (0, 1), e.g. 0.003") }
        if batchSize < 1 { out.append("retraining.embedded.batch_size: must be 1 or more") }
        if replay < 0 { out.append("retraining.embedded.replay: must be 0 or more") }
        if !(minScore >= 0 && minScore < 1) { out.append("retraining.embedded.min_score: must be in [0, 1)") }
        if !(1...64).contains(workers) { out.append("retraining.embedded.workers: must be from 1 to 64 (threads; 2 on a 2-core machine)") }
        return out
    }
}

/// Who trains the candidate.
public enum TrainerKind: String, Sendable, Equatable, Codable, CaseIterable {
    /// Fine-tunes the champion on the embedded detector.
    case embedded
    /// Runs the policy's `command` template.
    case command
}

/// The policy's `gate:` section: what a candidate must show, on the same holdout as the
/// champion, before it may be promoted (docs/registry.md, docs/statistics.md).
///
/// ```yaml
/// gate:
///   primary_metric: macro_f1     # or accuracy, weighted_f1 (classifiers); map50, map (detectors)
///   min_improvement: 0.01        # δ: the primary metric must improve by at least this
///   alpha: 0.05                  # one-sided level of the paired bootstrap
///   max_class_drop: 0.05         # ε: no class's recall (AP50 for detectors) may drop more
///   min_holdout_per_class: 20    # holdout examples (ground-truth boxes) each class needs
///   bootstrap_resamples: 1000
///   seed: 1
///   promote: manual              # or auto: a passing candidate becomes champion at once
/// ```
public struct GateSettings: Sendable, Equatable, Codable {
    /// `nil`: `macro_f1` for classifiers, `map50` for detectors (``primaryMetric(for:)``).
    public var primaryMetric: String?
    public var minImprovement: Double
    public var alpha: Double
    public var maxClassDrop: Double
    public var minHoldoutPerClass: Int
    public var bootstrapResamples: Int
    public var seed: UInt64
    public var promote: PromotionMode

    public init(primaryMetric: String? = nil, minImprovement: Double = 0.01, alpha: Double = 0.05, maxClassDrop: Double = 0.05,
                minHoldoutPerClass: Int = 20, bootstrapResamples: Int = 1000, seed: UInt64 = 1, promote: PromotionMode = .manual) {
        self.primaryMetric = primaryMetric
        self.minImprovement = minImprovement
        self.alpha = alpha
        self.maxClassDrop = maxClassDrop
        self.minHoldoutPerClass = minHoldoutPerClass
        self.bootstrapResamples = bootstrapResamples
        self.seed = seed
        self.promote = promote
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case alpha, seed, promote
        case primaryMetric = "primary_metric"
        case minImprovement = "min_improvement"
        case maxClassDrop = "max_class_drop"
        case minHoldoutPerClass = "min_holdout_per_class"
        case bootstrapResamples = "bootstrap_resamples"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let d = GateSettings()
        primaryMetric = try c.decodeIfPresent(String.self, forKey: .primaryMetric)
        minImprovement = try c.decodeIfPresent(Double.self, forKey: .minImprovement) ?? d.minImprovement
        alpha = try c.decodeIfPresent(Double.self, forKey: .alpha) ?? d.alpha
        maxClassDrop = try c.decodeIfPresent(Double.self, forKey: .maxClassDrop) ?? d.maxClassDrop
        minHoldoutPerClass = try c.decodeIfPresent(Int.self, forKey: .minHoldoutPerClass) ?? d.minHoldoutPerClass
        bootstrapResamples = try c.decodeIfPresent(Int.self, forKey: .bootstrapResamples) ?? d.bootstrapResamples
        seed = try c.decodeIfPresent(UInt64.self, forKey: .seed) ?? d.seed
        promote = try c.decodeIfPresent(PromotionMode.self, forKey: .promote) ?? d.promote
    }

    /// The metrics the gate can compare, per task.
    public static func primaryMetrics(for task: ModelTask) -> [String] {
        task == .classification ? ["macro_f1", "accuracy", "weighted_f1", "micro_f1"] : ["map50", "map"]
    }

    /// The metric the gate compares for a model of `task`.
    public func primaryMetric(for task: ModelTask) -> String {
        primaryMetric ?? Self.primaryMetrics(for: task)[0]
    }

    public func problems(task: ModelTask) -> [String] {
        var out: [String] = []
        let known = Self.primaryMetrics(for: task)
        if let primaryMetric, !known.contains(primaryMetric) {
            out.append("gate.primary_metric: '\(primaryMetric)' is not a \(task.rawValue) metric the gate compares (use one of \(known.joined(separator: ", ")))")
        }
        if !(minImprovement >= 0 && minImprovement < 1) { out.append("gate.min_improvement: must be in [0, 1), e.g. 0.01") }
        if !(alpha > 0 && alpha < 0.5) { out.append("gate.alpha: must be in (0, 0.5), e.g. 0.05") }
        if !(maxClassDrop >= 0 && maxClassDrop <= 1) { out.append("gate.max_class_drop: must be in [0, 1], e.g. 0.05") }
        if minHoldoutPerClass < 1 { out.append("gate.min_holdout_per_class: must be at least 1") }
        if bootstrapResamples < 100 || bootstrapResamples > 100_000 { out.append("gate.bootstrap_resamples: must be between 100 and 100000") }
        return out
    }
}

/// Whether a candidate that passes the gate is promoted at once or waits for a person.
public enum PromotionMode: String, Sendable, Equatable, Codable {
    case auto, manual
}
