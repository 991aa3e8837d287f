/// A detector that watches a stream one value at a time and says when the stream changed:
/// ADWIN, Page–Hinkley and CUSUM. Vigil feeds them the per-item correctness stream of
/// reviewed predictions (1 correct, 0 wrong) in time order, or hourly mean scores.
///
/// ```swift
/// var detector = ADWIN()
/// for (i, x) in correctness.enumerated() where detector.update(x) {
///     print("change at item \(i)")
/// }
/// ```
public protocol SequentialDetector {
    /// Takes the next value; true when a change is detected at this value.
    mutating func update(_ x: Double) -> Bool

    /// Takes the next values in order, exactly as `update` on each would, and calls
    /// `detection` with `from` + the position of each value at which a change is detected.
    /// A detector implements it when it can read a run of values faster than one at a time.
    mutating func readValues(_ values: UnsafeBufferPointer<Double>, from: Int, detection: (Int) -> Void)
}

extension SequentialDetector {
    /// Calls `update` on each value.
    public mutating func readValues(_ values: UnsafeBufferPointer<Double>, from: Int, detection: (Int) -> Void) {
        for (i, x) in values.enumerated() where update(x) { detection(from + i) }
    }
}

/// The 0-based indices at which `detector`, started fresh from the state given, signals a
/// change while it reads `stream` in order.
///
/// ```swift
/// changePoints(PageHinkley(), on: [0, 0, 1, 1]) // []
/// ```
@inlinable
public func changePoints<D: SequentialDetector>(_ detector: D, on stream: some Sequence<Double>) -> [Int] {
    var detector = detector
    var out: [Int] = []
    let read: Void? = stream.withContiguousStorageIfAvailable { values in
        detector.readValues(values, from: 0) { out.append($0) }
    }
    if read == nil {
        var i = 0
        for x in stream {
            if detector.update(x) { out.append(i) }
            i += 1
        }
    }
    return out
}
