import Foundation

/// A bounded hand-over of batches from one producer thread to one consumer: the parser fills
/// it while the store writes, and it blocks the parser when the store falls behind, so memory
/// stays bounded.
final class BatchChannel<Element: Sendable>: @unchecked Sendable {
    private let condition = NSCondition()
    private var items: [[Element]] = []
    private var finished = false
    private var failure: (any Error)?
    private var cancelled = false
    private let capacity: Int
    /// The batch the consumer has now, and the ones it is done with: they are freed by the
    /// producer (in ``send(_:)``), so the consumer's thread does not spend its time on that.
    private var current: [Element]?
    private var spent: [[Element]] = []

    init(capacity: Int) { self.capacity = capacity }

    /// Hands over a batch; false when the consumer has gone.
    @discardableResult func send(_ batch: [Element]) -> Bool {
        var done: [[Element]] = []
        defer { done.removeAll() }  // after the unlock: the records are freed on this thread
        condition.lock(); defer { condition.unlock() }
        swap(&done, &spent)
        while items.count >= capacity && !cancelled { condition.wait() }
        if cancelled { return false }
        items.append(batch)
        condition.broadcast()
        return true
    }

    /// Marks the end of input, with the error that ended it, if any.
    func finish(_ error: (any Error)? = nil) {
        condition.lock(); defer { condition.unlock() }
        finished = true
        failure = error
        condition.broadcast()
    }

    /// The consumer stops listening; a blocked producer is released.
    func cancel() {
        condition.lock(); defer { condition.unlock() }
        cancelled = true
        condition.broadcast()
    }

    /// The next batch, or `nil` at the end; rethrows the producer's error.
    func receive() throws -> [Element]? {
        condition.lock(); defer { condition.unlock() }
        while items.isEmpty && !finished { condition.wait() }
        if let previous = current.take() { spent.append(previous) }
        if !items.isEmpty {
            let batch = items.removeFirst()
            current = batch
            condition.broadcast()
            return batch
        }
        if let failure { throw failure }
        return nil
    }
}
