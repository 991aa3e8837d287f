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
    var i = 0
    for x in stream {
        if detector.update(x) { out.append(i) }
        i += 1
    }
    return out
}
