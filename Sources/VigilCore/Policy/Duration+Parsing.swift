/// Parses window lengths such as `7d`, `36h`, `90m`, `2w` into seconds.
public enum WindowLength {
    /// Seconds for `text` (`<integer><unit>`, unit one of `s m h d w`), or `nil`.
    public static func seconds(_ text: String) -> Int64? {
        guard let unit = text.last, let value = Int64(text.dropLast()), value > 0 else { return nil }
        switch unit {
        case "s": return value
        case "m": return value * 60
        case "h": return value * 3600
        case "d": return value * 86_400
        case "w": return value * 7 * 86_400
        default: return nil
        }
    }
}
