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
///   proportional part of what is left of its share; drawn by selection sampling (Algorithm S):
///   π = n_c / N_c.
/// - `uncertainty`: Poisson sampling with π_i = min(1, n_w · w_i / Σw), w_i = floor + (1 − floor)·u_i
///   where u_i is ``UncertaintyScore`` (so π_i > 0 for every item).
/// - `attribute`: a reservoir of n_a among the items whose attribute value did not occur in
///   the reference window: π = n_a / N_new for those, 0 for the rest.
///
/// An item drawn by several strategies is queued once, with π = 1 − Π_s (1 − π_s) (the designs
/// are independent), under the first strategy of the policy's list that drew it. Memory is the
/// reservoirs and the drawn items, whatever N is; the store is read at most twice, inside one
/// read snapshot.
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
    }

    /// Draws at most about `budget` items from `window` (`newValues`: for the attribute
    /// strategy, the reference window's values).
    public func draw(from store: any QueueStore, window: TimeWindow, budget: Int, seed: UInt64,
                     referenceValues: Set<String> = [], doubleReviewFraction: Double = 0) throws -> Draw {
        let shares = settings.strategies
        func allot(_ s: SamplingStrategy) -> Int {
            guard let share = shares.first(where: { $0.strategy == s })?.share else { return 0 }
            return Int((share * Double(budget)).rounded())
        }
        let attributeName = shares.first(where: { $0.strategy == .attribute })?.attribute
        let nUniform = allot(.uniform), nStratified = allot(.stratified), nUncertain = allot(.uncertainty), nAttribute = allot(.attribute)
        let needSecondPass = nStratified > 0 || nUncertain > 0
        let uncertainty = UncertaintyScore(settings: settings.uncertainty, task: schema.task)
        let classSlots = schema.classes.count + 1  // the last slot: no predicted class
        func slot(_ k: Int?) -> Int { k.map { min($0, classSlots - 1) } ?? classSlots - 1 }

        var rngUniform = SplitMix64(seed: seed ^ 0x5551_4E49), rngAttribute = SplitMix64(seed: seed ^ 0x4154_5452)
        var rngStratified = SplitMix64(seed: seed ^ 0x5354_5241), rngUncertain = SplitMix64(seed: seed ^ 0x554E_4345)
        var rngDouble = SplitMix64(seed: seed ^ 0x444F_5542)
        var uniform = Reservoir<Drawn>(capacity: nUniform), attribute = Reservoir<Drawn>(capacity: nAttribute)
        var total = 0, newValueCount = 0, weightSum = 0.0
        var perClass = [Int](repeating: 0, count: classSlots)
        // Second pass state.
        var quota = [Int](repeating: 0, count: classSlots), seenInClass = [Int](repeating: 0, count: classSlots)
        var takenInClass = [Int](repeating: 0, count: classSlots)
        var drawn: [Int64: (strategy: SamplingStrategy, item: Drawn)] = [:]
        var order: [Int64] = []
        var quotaReady = false

        func note(_ d: Drawn, _ strategy: SamplingStrategy) {
            if let old = drawn[d.seq] {
                if priority(strategy) < priority(old.strategy) { drawn[d.seq]!.strategy = strategy }
            } else {
                order.append(d.seq)
                drawn[d.seq] = (strategy, d)
            }
        }
        func priority(_ s: SamplingStrategy) -> Int { shares.firstIndex { $0.strategy == s } ?? Int.max }

        try store.forEachSamplingCandidate(model: schema.name, window: window, passes: needSecondPass ? 2 : 1,
                                           attribute: nAttribute > 0 ? attributeName : nil) { pass, c in
            let weight = nUncertain > 0 ? uncertainty.weight(score: c.score, payload: c.payload) : 1
            let item = Drawn(seq: c.seq, labelIndex: c.labelIndex, weight: weight, attribute: c.attribute)
            if pass == 0 {
                total += 1
                perClass[slot(c.labelIndex)] += 1
                if nUniform > 0 { uniform.offer(item, rng: &rngUniform) }
                if nAttribute > 0, let value = c.attribute, !referenceValues.contains(value) {
                    newValueCount += 1
                    attribute.offer(item, rng: &rngAttribute)
                }
                weightSum += weight
                return
            }
            if !quotaReady {
                quota = Self.stratifiedQuota(perClass: perClass, share: nStratified, minimum: settings.minPerClass)
                quotaReady = true
            }
            if nStratified > 0 {
                let k = slot(c.labelIndex)
                let remainingItems = perClass[k] - seenInClass[k], remainingQuota = quota[k] - takenInClass[k]
                seenInClass[k] += 1
                if remainingQuota > 0 && rngStratified.unit() * Double(remainingItems) < Double(remainingQuota) {
                    takenInClass[k] += 1
                    note(item, .stratified)
                }
            }
            if nUncertain > 0, weightSum > 0 {
                let p = min(1, Double(nUncertain) * weight / weightSum)
                if rngUncertain.unit() < p { note(item, .uncertainty) }
            }
        }
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
            if nUncertain > 0, weightSum > 0 { miss *= 1 - min(1, Double(nUncertain) * d.weight / weightSum) }
            if nAttribute > 0, let v = d.attribute, !referenceValues.contains(v) { miss *= 1 - piAttributeNew }
            let pi = min(1, max(1e-12, 1 - miss))
            let twice = doubleReviewFraction > 0 && rngDouble.unit() < doubleReviewFraction
            items.append(ReviewItemDraft(predictionSeq: seq, strategy: chosen.strategy, inclusionProbability: pi, reviewsRequired: twice ? 2 : 1))
        }
        return Draw(items: items, candidates: total,
                    allocation: [.uniform: nUniform, .stratified: nStratified, .uncertainty: nUncertain, .attribute: nAttribute])
    }

    /// Per class: the minimum (capped by what the class has), then the rest of the share in
    /// proportion to the classes' sizes (capped likewise).
    static func stratifiedQuota(perClass: [Int], share: Int, minimum: Int) -> [Int] {
        var quota = perClass.map { min($0, minimum) }
        let rest = share - quota.reduce(0, +)
        let total = perClass.reduce(0, +)
        guard rest > 0, total > 0 else { return quota }
        for k in quota.indices {
            quota[k] = min(perClass[k], quota[k] + Int((Double(rest) * Double(perClass[k]) / Double(total)).rounded()))
        }
        return quota
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
