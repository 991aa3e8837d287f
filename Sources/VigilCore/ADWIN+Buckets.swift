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
        }

        func copy() -> Buckets {
            let other = Buckets(levels: levels, rowLength: rowLength)
            other.totals.update(from: totals, count: levels * rowLength)
            other.squares.update(from: squares, count: levels * rowLength)
            other.counts.update(from: counts, count: levels)
            return other
        }

        deinit {
            totals.deallocate()
            squares.deallocate()
            counts.deallocate()
        }
    }
}
