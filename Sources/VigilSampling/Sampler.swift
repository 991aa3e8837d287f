import Foundation
import VigilCore
import VigilStore

/// Draws review items from one window of a model's predictions under the policy's mix of
/// strategies, giving each item its inclusion probability π.
///
/// Every strategy is its own probability design, drawn with its own random stream, over the
/// predictions of the window that are neither queued nor labelled (N of them):
///
/// - `uniform`: a reservoir of n_u items (Algorithm R, one pass, memory n_u): π = n_u / N.
/// - `stratified`: per predicted class c, n_c = min(N_c, min_per_class) plus the class's
///   proportional part of what is left of its share; a reservoir per class (capacity share +
///   minimum) subsampled to n_c once N_c is known: π = n_c / N_c.
/// - `uncertainty`: priority sampling of n_w items with weights w_i = floor + (1 − floor)·u_i,
///   u_i from ``UncertaintyScore``: π_i = min(1, w_i / τ), τ the (n_w+1)-th priority (> 0 for all).
/// - `attribute`: a reservoir of n_a among the items whose attribute value did not occur in
///   the reference window: π = n_a / N_new for those, 0 for the rest.
///
/// An item drawn by several strategies is queued once, with π = 1 − Π_s (1 − π_s) (the designs
/// are independent), under the first strategy of the policy's list that drew it. Memory is the
/// reservoirs and the drawn items, whatever N is; the store is read once.
public struct Sampler: Sendable {
    public let settings: SamplingSettings
    public let schema: ModelSchema

    public init(settings: SamplingSettings, schema: ModelSchema) {
        self.settings = settings
        self.schema = schema
    }

    /// What one draw produced.
    public struct Draw: Sendable {
        public var items: [ReviewItemDraft]
        /// Candidates in the window (neither queued nor labelled).
        public var candidates: Int
        /// Items asked of each strategy.
        public var allocation: [SamplingStrategy: Int]
        /// False when the stratified allowance could not give every predicted class its
        /// missing minimum (``DailyBudget/stratifiedQuota(candidates:allowance:minimum:alreadyQueued:)``).
        public var minimumMet: Bool
    }

    /// Draws up to `budget` items from `window` as if nothing had been queued today: each
    /// strategy its share of `budget` (see ``DailyBudget``).
    public func draw(from store: any QueueStore, window: TimeWindow, budget: Int, seed: UInt64,
                     referenceValues: Set<String> = [], doubleReviewFraction: Double = 0) throws -> Draw {
        try draw(from: store, window: window, allowance: DailyBudget.targets(settings, budget: budget), seed: seed,
                 referenceValues: referenceValues, doubleReviewFraction: doubleReviewFraction)
    }

    /// Draws from `window` in one pass over the candidates, at most `allowance[s]` items for each
    /// strategy s (`stratifiedQueued`: the stratified items already queued per predicted class
    /// today, nil for no class; `referenceValues`: for the attribute strategy, the values seen
    /// in the reference window). Each item carries `onDisagreement`.
    public func draw(from store: any QueueStore, window: TimeWindow, allowance: [SamplingStrategy: Int], stratifiedQueued: [Int?: Int] = [:],
                     seed: UInt64, referenceValues: Set<String> = [], doubleReviewFraction: Double = 0,
                     onDisagreement: DisagreementRule = .keepTruth) throws -> Draw {
        let shares = settings.strategies
        func allot(_ s: SamplingStrategy) -> Int { shares.contains { $0.strategy == s } ? max(0, allowance[s] ?? 0) : 0 }
        let attributeName = shares.first(where: { $0.strategy == .attribute })?.attribute
        let nUniform = allot(.uniform), nStratified = allot(.stratified), nUncertain = allot(.uncertainty), nAttribute = allot(.attribute)
        let uncertainty = UncertaintyScore(settings: settings.uncertainty, task: schema.task)
        let classSlots = schema.classes.count + 1  // the last slot: no predicted class
        func slot(_ k: Int?) -> Int { k.map { min(max($0, 0), classSlots - 1) } ?? classSlots - 1 }

        var rngUniform = SplitMix64(seed: seed ^ 0x5551_4E49), rngAttribute = SplitMix64(seed: seed ^ 0x4154_5452)
        var rngStratified = SplitMix64(seed: seed ^ 0x5354_5241), rngUncertain = SplitMix64(seed: seed ^ 0x554E_4345)
        var rngDouble = SplitMix64(seed: seed ^ 0x444F_5542)
        var uniform = Reservoir<Drawn>(capacity: nUniform), attribute = Reservoir<Drawn>(capacity: nAttribute)
        // Stratified: a reservoir per class big enough for any quota; subsampled once N_c is known.
        let classCapacity = nStratified
        var perClassReservoirs = (0..<classSlots).map { _ in Reservoir<Drawn>(capacity: classCapacity) }
        var priority = PrioritySample<Drawn>(capacity: nUncertain)
        var total = 0, newValueCount = 0
        var perClass = [Int](repeating: 0, count: classSlots)
        let wantAttribute = nAttribute > 0 ? attributeName : nil

        try store.forEachSamplingCandidate(model: schema.name, window: window, passes: 1, attribute: wantAttribute) { _, c in
            let weight = nUncertain > 0 ? uncertainty.weight(score: c.score, payload: c.payload) : 1
            let item = Drawn(seq: c.seq, labelIndex: c.labelIndex, weight: weight, attribute: c.attribute)
            total += 1
            let k = slot(c.labelIndex)
            perClass[k] += 1
            if nUniform > 0 { uniform.offer(item, rng: &rngUniform) }
            if nStratified > 0 { perClassReservoirs[k].offer(item, rng: &rngStratified) }
            if nUncertain > 0 { priority.offer(item, weight: weight, rng: &rngUncertain) }
            if nAttribute > 0, let value = c.attribute, !referenceValues.contains(value) {
                newValueCount += 1
                attribute.offer(item, rng: &rngAttribute)
            }
        }

        var drawn: [Int64: (strategy: SamplingStrategy, item: Drawn)] = [:]
        var order: [Int64] = []
        func priorityRank(_ s: SamplingStrategy) -> Int { shares.firstIndex { $0.strategy == s } ?? Int.max }
        func note(_ d: Drawn, _ strategy: SamplingStrategy) {
            if let old = drawn[d.seq] {
                if priorityRank(strategy) < priorityRank(old.strategy) { drawn[d.seq]!.strategy = strategy }
            } else {
                order.append(d.seq)
                drawn[d.seq] = (strategy, d)
            }
        }
        let queuedPerSlot = (0..<classSlots).map { k in stratifiedQueued[k == classSlots - 1 ? nil : k] ?? 0 }
        let (quota, minimumMet) = nStratified > 0
            ? DailyBudget.stratifiedQuota(candidates: perClass, allowance: nStratified, minimum: settings.minPerClass, alreadyQueued: queuedPerSlot)
            : ([Int](repeating: 0, count: classSlots), true)
        for k in 0..<classSlots where quota[k] > 0 {
            // A uniform subset of a uniform reservoir is a uniform sample of the class.
            var held = perClassReservoirs[k].items
            for j in 0..<min(quota[k], held.count) {
                let pick = j + Int(rngStratified.next() % UInt64(held.count - j))
                held.swapAt(j, pick)
                note(held[j], .stratified)
            }
        }
        let tau = priority.threshold
        for d in priority.items { note(d, .uncertainty) }
        for d in uniform.items { note(d, .uniform) }
        for d in attribute.items { note(d, .attribute) }

        // π of each drawn item: the union of the independent designs.
        let piUniform = total > 0 ? min(1, Double(nUniform) / Double(total)) : 0
        let piAttributeNew = newValueCount > 0 ? min(1, Double(nAttribute) / Double(newValueCount)) : 0
        var items: [ReviewItemDraft] = []
        items.reserveCapacity(order.count)
        for seq in order {
            guard let chosen = drawn[seq] else { continue }
            let d = chosen.item
            var miss = 1 - piUniform
            if nStratified > 0 {
                let k = slot(d.labelIndex)
                miss *= 1 - (perClass[k] > 0 ? Double(quota[k]) / Double(perClass[k]) : 0)
            }
            if nUncertain > 0 { miss *= 1 - PrioritySample<Drawn>.inclusionProbability(weight: d.weight, threshold: tau) }
            if nAttribute > 0, let v = d.attribute, !referenceValues.contains(v) { miss *= 1 - piAttributeNew }
            let pi = min(1, max(1e-12, 1 - miss))
            let twice = doubleReviewFraction > 0 && rngDouble.unit() < doubleReviewFraction
            let stratum = slot(d.labelIndex) == classSlots - 1 ? nil : slot(d.labelIndex)
            items.append(ReviewItemDraft(predictionSeq: seq, strategy: chosen.strategy, inclusionProbability: pi, reviewsRequired: twice ? 2 : 1,
                                         stratum: stratum, onDisagreement: onDisagreement))
        }
        return Draw(items: items, candidates: total,
                    allocation: [.uniform: nUniform, .stratified: nStratified, .uncertainty: nUncertain, .attribute: nAttribute],
                    minimumMet: minimumMet)
    }

    /// A candidate as the draw keeps it.
    struct Drawn: Sendable {
        var seq: Int64
        var labelIndex: Int?
        var weight: Double
        var attribute: String?
    }
}

/// A uniform sample of fixed size from a stream of unknown length (Vitter's Algorithm R):
/// after N offers, each offered item is held with probability capacity / N.
public struct Reservoir<Element: Sendable>: Sendable {
    public let capacity: Int
    public private(set) var items: [Element] = []
    public private(set) var seen = 0

    public init(capacity: Int) {
        self.capacity = max(0, capacity)
        items.reserveCapacity(self.capacity)
    }

    public mutating func offer(_ item: Element, rng: inout SplitMix64) {
        seen += 1
        guard capacity > 0 else { return }
        if items.count < capacity { items.append(item); return }
        let j = Int(rng.next() % UInt64(seen))
        if j < capacity { items[j] = item }
    }
}

/// Priority sampling (Duffield, Lund & Thorup 2007): a sample of fixed size k with inclusion
/// roughly proportional to weight, in one pass and memory k + 1. Each item gets the priority
/// w / u (u uniform in (0, 1]); the k highest are kept, and with τ the (k+1)-th highest
/// priority, an item is in the sample with probability min(1, w / τ) given τ — the π that
/// makes Σ x / π unbiased.
public struct PrioritySample<Element: Sendable>: Sendable {
    public let capacity: Int
    /// A min-heap of (priority, item) holding the k + 1 highest priorities.
    private var heap: [(priority: Double, item: Element)] = []

    public init(capacity: Int) {
        self.capacity = max(0, capacity)
        heap.reserveCapacity(self.capacity + 1)
    }

    public mutating func offer(_ item: Element, weight: Double, rng: inout SplitMix64) {
        guard capacity > 0, weight > 0 else { return }
        let u = (Double(rng.next() >> 11) + 1) * 0x1.0p-53  // (0, 1]
        let p = weight / u
        if heap.count < capacity + 1 {
            heap.append((p, item))
            siftUp(heap.count - 1)
        } else if p > heap[0].priority {
            heap[0] = (p, item)
            siftDown(0)
        }
    }

    /// τ: the (k+1)-th highest priority, or 0 when at most k items were offered (all kept, π = 1).
    public var threshold: Double { heap.count > capacity ? heap[0].priority : 0 }

    /// The k sampled items.
    public var items: [Element] {
        guard heap.count > capacity else { return heap.map(\.item) }
        return heap.dropFirst().map(\.item)  // the root is the (k+1)-th: the threshold, not in the sample
    }

    /// min(1, w / τ); 1 when τ is 0.
    public static func inclusionProbability(weight: Double, threshold: Double) -> Double {
        threshold > 0 ? min(1, weight / threshold) : 1
    }

    private mutating func siftUp(_ i: Int) {
        var c = i
        while c > 0 {
            let parent = (c - 1) / 2
            guard heap[c].priority < heap[parent].priority else { return }
            heap.swapAt(c, parent)
            c = parent
        }
    }

    private mutating func siftDown(_ i: Int) {
        var p = i
        while true {
            let l = 2 * p + 1, r = l + 1
            var m = p
            if l < heap.count && heap[l].priority < heap[m].priority { m = l }
            if r < heap.count && heap[r].priority < heap[m].priority { m = r }
            if m == p { return }
            heap.swapAt(p, m)
            p = m
        }
    }
}
