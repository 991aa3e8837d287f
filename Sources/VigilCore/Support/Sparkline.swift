/// A one-line chart of a series in Unicode block characters (▁▂▃▄▅▆▇█), for terminals.
///
/// ```swift
/// Sparkline.render([0.9, 0.91, 0.7, nil, 0.88], range: 0...1)   // "███ ▇" style output
/// ```
public enum Sparkline {
    /// The eight levels, lowest first.
    public static let levels: [Character] = ["▁", "▂", "▃", "▄", "▅", "▆", "▇", "█"]

    /// One character per value: its level within `range` (the values' own range when nil),
    /// a space for a missing or non-finite value. A flat series sits at the middle level.
    public static func render(_ values: [Double?], range: ClosedRange<Double>? = nil) -> String {
        let finite = values.compactMap { $0 }.filter(\.isFinite)
        guard let low = range?.lowerBound ?? finite.min(), let high = range?.upperBound ?? finite.max() else {
            return String(repeating: " ", count: values.count)
        }
        return String(values.map { value -> Character in
            guard let v = value, v.isFinite else { return " " }
            guard high > low else { return levels[levels.count / 2] }
            let t = (min(max(v, low), high) - low) / (high - low)
            return levels[min(levels.count - 1, Int(t * Double(levels.count)))]
        })
    }
}
