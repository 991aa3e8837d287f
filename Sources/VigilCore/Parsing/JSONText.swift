/// Small JSON texts built without an encoder: string literals and flat objects of strings,
/// for event details and notification fields.
public enum JSONText {
    /// `text` as a JSON string literal, quotes included.
    public static func quote(_ text: String) -> String { CSVRecordTranslator.quote(text) }

    /// `text` escaped for use between the quotes of a JSON string.
    public static func escape(_ text: String) -> String { String(quote(text).dropFirst().dropLast()) }

    /// `text` as a JSON string literal, or `null`.
    public static func quote(_ text: String?) -> String { text.map { quote($0) } ?? "null" }

    /// `{"k":"v",…}` with keys sorted and `nil` values left out.
    public static func object(_ fields: [String: String?]) -> String {
        "{" + fields.keys.sorted().compactMap { k in (fields[k] ?? nil).map { "\(quote(k)):\(quote($0))" } }.joined(separator: ",") + "}"
    }

    /// `["a","b",…]`.
    public static func array(_ items: [String]) -> String {
        "[" + items.map { quote($0) }.joined(separator: ",") + "]"
    }
}
