extension ADWIN {
    /// The bucket rows of an ADWIN window in fixed memory, so an update allocates nothing.
    /// ADWIN copies it before mutating when it is shared (copy on write), which keeps ADWIN a
    /// value; the pointers themselves never change, hence the unchecked Sendable.
    final class Buckets: @unchecked Sendable {
        /// Sum of each bucket's values, `rowLength` slots per level.
        let totals: UnsafeMutablePointer<Double>
        /// Sum of squared deviations of each bucket's values, same layout.
        let squares: UnsafeMutablePointer<Double>
        /// Buckets in use per level.
        let counts: UnsafeMutablePointer<Int>
        /// Per level, what `ADWIN.hasCut` keeps from its last scan of the level: f, the mean μc
        /// it was taken at, the sum of the level's buckets, and n0 at its first and last cut.
        let spread: UnsafeMutablePointer<Double>
        let means: UnsafeMutablePointer<Double>
        let sums: UnsafeMutablePointer<Double>
        let firsts: UnsafeMutablePointer<Double>
        let lasts: UnsafeMutablePointer<Double>
        private let cache: UnsafeMutablePointer<Double>
        private let levels: Int
        private let rowLength: Int

        init(levels: Int, rowLength: Int) {
            self.levels = levels
            self.rowLength = rowLength
            totals = .allocate(capacity: levels * rowLength)
            totals.initialize(repeating: 0, count: levels * rowLength)
            squares = .allocate(capacity: levels * rowLength)
            squares.initialize(repeating: 0, count: levels * rowLength)
            counts = .allocate(capacity: levels)
            counts.initialize(repeating: 0, count: levels)
            cache = .allocate(capacity: 5 * levels)
            cache.initialize(repeating: 0, count: 5 * levels)
            spread = cache
            means = cache + levels
            sums = cache + 2 * levels
            firsts = cache + 3 * levels
            lasts = cache + 4 * levels
        }

        func copy() -> Buckets {
            let other = Buckets(levels: levels, rowLength: rowLength)
            other.totals.update(from: totals, count: levels * rowLength)
            other.squares.update(from: squares, count: levels * rowLength)
            other.counts.update(from: counts, count: levels)
            other.cache.update(from: cache, count: 5 * levels)
            return other
        }

        deinit {
            totals.deallocate()
            squares.deallocate()
            counts.deallocate()
            cache.deallocate()
        }
    }
}
