import Foundation
import VigilCore
import VigilStore

/// Keeps the next item claimed and decoded in the background while the reviewer looks at the
/// current one, so a keystroke only swaps in what is ready.
///
/// Claims come first from `resume` (live claims left by a previous run), then new ones from
/// the queue. Everything claimed ahead is reported by ``held()`` (the controller renews those
/// leases) and returned by ``stop()`` so the controller releases it: a prefetched claim the
/// reviewer never saw is never kept.
final class Prefetcher: @unchecked Sendable {
    /// Turns a claim into a ready item; with `nil`, claims a new item first (nil when the queue has none for the reviewer).
    typealias Produce = @Sendable (ReviewClaim?) throws -> PreparedItem?

    private let condition = NSCondition()
    private let produce: Produce
    private let depth: Int
    private var ready: [PreparedItem] = []
    private var resume: [ReviewClaim]
    private var inFlight: ReviewClaim?
    private var busy = false
    private var exhausted = false
    private var stopped = false
    /// The last error of a background claim, shown to the reviewer.
    private(set) var lastError: String?

    init(resume: [ReviewClaim], depth: Int = 1, produce: @escaping Produce) {
        self.resume = resume
        self.depth = depth
        self.produce = produce
    }

    /// The next ready item, waiting for the one being prepared; nil when the queue is empty.
    func take() -> PreparedItem? {
        condition.lock()
        defer { condition.unlock() }
        fillIfNeeded()
        while ready.isEmpty && busy { condition.wait() }
        let item = ready.isEmpty ? nil : ready.removeFirst()
        fillIfNeeded()
        return item
    }

    /// Puts an item back in front (the one on screen when the reviewer pressed undo).
    func pushFront(_ item: PreparedItem) {
        condition.lock()
        ready.insert(item, at: 0)
        condition.unlock()
    }

    /// Looks at the queue again after it was found empty.
    func refresh() {
        condition.lock()
        exhausted = false
        fillIfNeeded()
        condition.unlock()
    }

    /// Waits until nothing is being prepared (for measurements with the prefetch warm).
    func waitUntilIdle() {
        condition.lock()
        while busy { condition.wait() }
        condition.unlock()
    }

    /// Claims held ahead of the reviewer (ready, waiting to be resumed, or being prepared).
    func held() -> [ReviewClaim] {
        condition.lock()
        defer { condition.unlock() }
        return ready.map(\.claim) + resume + (inFlight.map { [$0] } ?? [])
    }

    /// Stops prefetching and returns every claim still held ahead, for release.
    func stop() -> [ReviewClaim] {
        condition.lock()
        stopped = true
        while busy { condition.wait() }
        let claims = ready.map(\.claim) + resume
        ready = []
        resume = []
        condition.unlock()
        return claims
    }

    /// Starts preparing one more item when fewer than `depth` are ready (lock held).
    private func fillIfNeeded() {
        guard !busy, !stopped, ready.count < depth, !(exhausted && resume.isEmpty) else { return }
        busy = true
        let next = resume.isEmpty ? nil : resume.removeFirst()
        inFlight = next
        let thread = Thread { [self] in
            var item: PreparedItem?
            var failure: String?
            do { item = try produce(next) } catch { failure = "\(error)" }
            condition.lock()
            busy = false
            inFlight = nil
            if let item { ready.append(item) } else if next == nil { exhausted = true }
            if let failure { lastError = failure }
            condition.broadcast()
            fillIfNeeded()
            condition.unlock()
        }
        thread.start()
    }
}
