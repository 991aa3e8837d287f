import Foundation
import VigilCore
import VigilStore

/// One sampling run for one model: `vigil sample` and the scheduler's `sample` job.
///
/// The window is the policy's `sampling.window` ending at `now`; the run may queue what is
/// left of each strategy's part of the daily budget after the items queued for the model in
/// the 24 hours before `now` (``DailyBudget``), so an hourly schedule tops the queue up without
/// ever exceeding the budget or changing the mix. The items of a run are queued in a random
/// order fixed by the run's seed, so reviewers see classes and strategies mixed, not grouped.
public struct SampleRun: Sendable {
    public let store: any Store
    public let actor: String

    public init(store: any Store, actor: String = "cli") {
        self.store = store
        self.actor = actor
    }

    /// What a run did.
    public struct Outcome: Sendable, Codable, Equatable {
        public var model: String
        public var windowFrom: String
        public var windowTo: String
        public var candidates: Int
        public var budgetLeft: Int
        public var queued: Int
        public var byStrategy: [String: Int]
        /// Items queued in the 24 hours up to the run, this run's included, per strategy.
        public var last24h: [String: Int]
        /// The policy's daily target per strategy (its share of `daily_budget`).
        public var dailyTarget: [String: Int]
        /// Set when the stratified share cannot give every predicted class its `min_per_class`.
        public var shortfall: String?
        public var seconds: Double

        enum CodingKeys: String, CodingKey {
            case model, candidates, queued, seconds, shortfall
            case last24h = "last_24h"
            case dailyTarget = "daily_target"
            case windowFrom = "window_from"
            case windowTo = "window_to"
            case budgetLeft = "budget_left"
            case byStrategy = "by_strategy"
        }

        /// One line for people and for the job-run record: this run, then the last 24 hours
        /// against the policy's daily target per strategy.
        public var summary: String {
            let run = byStrategy.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
            let day = dailyTarget.keys.sorted().map { "\($0) \(last24h[$0] ?? 0)/\(dailyTarget[$0] ?? 0)" }.joined(separator: ", ")
            let total = last24h.values.reduce(0, +), target = dailyTarget.values.reduce(0, +)
            var line = budgetLeft == 0 ? "\(model): nothing queued, the daily budget is spent"
                : "\(model): queued \(queued) of \(candidates) candidates" + (run.isEmpty ? "" : " (\(run))")
            line += "; last 24 h \(total) of daily budget \(target)" + (day.isEmpty ? "" : ": \(day)")
            if let shortfall { line += "; \(shortfall)" }
            return line
        }
    }

    /// Samples `policy.model` at `now` (ms).
    public func run(policy: Policy, now: Int64) throws -> Outcome {
        let started = Date()
        let s = policy.sampling
        let windowMillis = (WindowLength.seconds(s.window) ?? 86_400) * 1000
        let window = TimeWindow(from: now - windowMillis, to: now)
        guard let schema = try store.model(named: policy.model) else {
            throw StoreError("model '\(policy.model)' is not in the store yet: ingest its predictions first")
        }
        let spent = try store.queuedCounts(model: policy.model, since: now - 86_400_000)
        let allowance = DailyBudget.allowance(s, spent: spent)
        let targets = DailyBudget.targets(s, budget: s.dailyBudget)
        let budgetLeft = allowance.values.reduce(0, +)
        var outcome = Outcome(model: policy.model, windowFrom: Timestamp.format(millis: window.from), windowTo: Timestamp.format(millis: window.to),
                              candidates: 0, budgetLeft: budgetLeft, queued: 0, byStrategy: [:],
                              last24h: Dictionary(uniqueKeysWithValues: targets.keys.map { ($0.rawValue, spent.count($0)) }),
                              dailyTarget: Dictionary(uniqueKeysWithValues: targets.map { ($0.key.rawValue, $0.value) }), seconds: 0)
        guard budgetLeft > 0 else {
            outcome.seconds = Date().timeIntervalSince(started)
            return outcome
        }
        var reference: Set<String> = []
        if let a = s.strategies.first(where: { $0.strategy == .attribute }), let name = a.attribute {
            let refMillis = (WindowLength.seconds(a.reference ?? "28d") ?? 28 * 86_400) * 1000
            reference = try store.attributeValues(model: policy.model, window: TimeWindow(from: window.from - refMillis, to: window.from), attribute: name)
        }
        // The seed mixes the policy's seed with the model and the run's time: reruns repeat,
        // different runs differ.
        var h = ContentHash()
        h.add(policy.model)
        h.add(now)
        h.add(Int64(bitPattern: s.seed))
        let sampler = Sampler(settings: s, schema: schema)
        let draw = try sampler.draw(from: store, window: window, allowance: allowance, stratifiedQueued: spent.byStratum[.stratified] ?? [:],
                                    seed: h.value, referenceValues: reference, doubleReviewFraction: policy.review.doubleReviewFraction,
                                    onDisagreement: policy.review.onDisagreement)
        if !draw.minimumMet {
            let classes = schema.classes.count
            outcome.shortfall = "the stratified share (\(targets[.stratified] ?? 0) a day) cannot give each of the \(classes) classes its min_per_class of \(s.minPerClass): "
                + "raise sampling.daily_budget or the stratified share, or lower sampling.min_per_class"
        }
        // Every design has a fixed size within its allowance, so the union stays within the budget.
        var items = draw.items
        // Gold items: labelled predictions with a known answer, review.gold_rate of what is queued.
        let goldCount = Int((policy.review.goldRate * Double(items.count) / max(1e-9, 1 - policy.review.goldRate)).rounded())
        if goldCount > 0 {
            var rng = SplitMix64(seed: h.value ^ 0x474F_4C44)
            var gold = Reservoir<(Int64, Int)>(capacity: goldCount)
            try store.forEachGoldCandidate(model: policy.model, window: window) { seq, label in gold.offer((seq, label), rng: &rng) }
            items += gold.items.map { ReviewItemDraft(predictionSeq: $0.0, strategy: .gold, inclusionProbability: 1, goldLabelIndex: $0.1) }
        }
        // Served in queue order: shuffled so no class or strategy comes in a run of its own.
        var order = SplitMix64(seed: h.value ^ 0x4F52_4445)
        items.shuffle(using: &order)
        let runID = "sample/\(policy.model)/\(Timestamp.format(millis: now))"
        outcome.candidates = draw.candidates
        outcome.queued = try store.enqueue(items, model: policy.model, sampleRun: runID, now: now, actor: actor)
        for item in items {
            outcome.byStrategy[item.strategy.rawValue, default: 0] += 1
            if item.strategy != .gold { outcome.last24h[item.strategy.rawValue, default: 0] += 1 }
        }
        outcome.seconds = Date().timeIntervalSince(started)
        return outcome
    }
}
