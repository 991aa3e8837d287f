import Foundation

/// Splits the rows of the strict upper triangle of an N×N matrix into contiguous ranges of
/// about equal numbers of entries, and runs work over them on all cores.
struct UpperTriangleRows: Sendable {
    let ranges: [Range<Int>]

    init(count: Int, parts: Int = ProcessInfo.processInfo.activeProcessorCount) {
        let total = Double(count) * Double(count - 1) / 2
        let parts = max(1, min(parts, count))
        var ranges: [Range<Int>] = []
        var start = 0, done = 0.0
        for p in 1...parts {
            var end = start
            let target = total * Double(p) / Double(parts)
            while end < count && (done < target || p == parts) {
                done += Double(count - 1 - end)
                end += 1
            }
            ranges.append(start..<end)
            start = end
        }
        self.ranges = ranges
    }

    /// Runs `body(part, rows)` for every part, in parallel, and returns the results in order.
    func map<T: Sendable>(_ body: @Sendable (Int, Range<Int>) -> T) -> [T] {
        let out = UnsafeMutableBufferPointer<T?>.allocate(capacity: ranges.count)
        out.initialize(repeating: nil)
        defer { out.deallocate() }
        nonisolated(unsafe) let results = out
        let ranges = self.ranges
        DispatchQueue.concurrentPerform(iterations: ranges.count) { p in results[p] = body(p, ranges[p]) }
        return results.map { $0! }
    }
}
