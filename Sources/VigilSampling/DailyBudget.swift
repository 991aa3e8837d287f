import VigilCore
import VigilStore

/// The policy's `sampling.daily_budget` as each run may spend it, whatever the schedule:
///
/// - the budget is a hard cap for all strategies together over the rolling 24 hours;
/// - each strategy's share of it is that strategy's daily target (rounded so the targets add up
///   to the budget times the sum of the shares, never more), and a run may queue what is left of
///   each target after the items of that strategy queued in the last 24 hours;
/// - the stratified per-class minimum comes out of the stratified target: every predicted class
///   gets up to `min_per_class` stratified items a day (fewer when it has fewer candidates), and
///   what is left goes to the classes in proportion to their size. When the target cannot give
///   every class its minimum, the classes are filled evenly and the run says so.
public enum DailyBudget {
    /// Items per strategy over 24 hours: share × `budget`, by largest remainder.
    public static func targets(_ settings: SamplingSettings, budget: Int) -> [SamplingStrategy: Int] {
        let shares = settings.strategies.map { (strategy: $0.strategy, exact: $0.share * Double(max(0, budget))) }
        let total = Int(shares.reduce(0) { $0 + $1.exact }.rounded())
        var out = Dictionary(shares.map { ($0.strategy, Int($0.exact)) }, uniquingKeysWith: +)
        var left = min(total, max(0, budget)) - out.values.reduce(0, +)
        for s in shares.sorted(by: { $0.exact - $0.exact.rounded(.down) > $1.exact - $1.exact.rounded(.down) }) where left > 0 {
            out[s.strategy, default: 0] += 1
            left -= 1
        }
        return out
    }

    /// What a run may still queue per strategy: the daily target less what `spent` (the last
    /// 24 hours) already holds, never below 0; and all together never more than the budget
    /// less everything spent (items of a strategy the policy no longer lists count too).
    public static func allowance(_ settings: SamplingSettings, spent: QueuedCounts) -> [SamplingStrategy: Int] {
        let targets = targets(settings, budget: settings.dailyBudget)
        var room = max(0, settings.dailyBudget - spent.total)
        var out: [SamplingStrategy: Int] = [:]
        for s in settings.strategies.map(\.strategy) {
            let left = min(room, max(0, (targets[s] ?? 0) - spent.count(s)))
            out[s] = left
            room -= left
        }
        return out
    }

    /// The stratified items per class slot for one run: first each class's missing minimum
    /// (`minimum` less its stratified items already queued, at most its candidates), then the
    /// rest of `allowance` in proportion to the candidates, each class at most its candidates.
    /// `minimumMet` is false when `allowance` could not cover every missing minimum (the
    /// classes are then filled evenly).
    public static func stratifiedQuota(candidates: [Int], allowance: Int, minimum: Int, alreadyQueued: [Int]) -> (quota: [Int], minimumMet: Bool) {
        let need = candidates.indices.map { k in min(candidates[k], max(0, minimum - (k < alreadyQueued.count ? alreadyQueued[k] : 0))) }
        var quota = [Int](repeating: 0, count: candidates.count)
        var left = max(0, allowance)
        guard need.reduce(0, +) <= left else {
            // Evenly: one more item for every class still short, round after round.
            while left > 0 {
                let short = need.indices.filter { quota[$0] < need[$0] }
                if short.isEmpty { break }
                for k in short where left > 0 { quota[k] += 1; left -= 1 }
            }
            return (quota, false)
        }
        quota = need
        left -= need.reduce(0, +)
        // The rest in proportion to class size, by largest remainder; classes that fill up
        // pass their part to the others on the next round.
        while left > 0 {
            let open = candidates.indices.filter { quota[$0] < candidates[$0] }
            let size = open.reduce(0) { $0 + candidates[$1] }
            guard size > 0 else { break }
            let exact = open.map { (k: $0, part: Double(left) * Double(candidates[$0]) / Double(size)) }
            var given = 0
            for e in exact {
                let n = min(Int(e.part), candidates[e.k] - quota[e.k])
                quota[e.k] += n
                given += n
            }
            for e in exact.sorted(by: { $0.part - $0.part.rounded(.down) > $1.part - $1.part.rounded(.down) }) where given < left {
                if quota[e.k] < candidates[e.k] { quota[e.k] += 1; given += 1 }
            }
            if given == 0 { break }
            left -= given
        }
        return (quota, true)
    }
}
