import Mustache

/// Escapes `{{value}}` for the inside of a JSON string, so that a template such as
/// `"text": "{{message}}"` stays valid JSON whatever the message holds. `{{{value}}}` inserts
/// pre-rendered JSON (objects, numbers, `null`) as it is.
struct JSONContentType: MustacheContentType {
    static let name = "VIGIL_JSON"

    func escapeText(_ text: String) -> String { Self.escape(text) }

    /// `text` escaped for use between the quotes of a JSON string.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// `text` as a JSON string literal, quotes included.
    static func quoted(_ text: String) -> String { "\"" + escape(text) + "\"" }

    /// `value` as a JSON literal: a quoted string or `null`.
    static func quoted(_ text: String?) -> String { text.map { quoted($0) } ?? "null" }

    /// A JSON object of string fields, keys sorted, `nil` values left out.
    static func object(_ fields: [String: String?]) -> String {
        "{" + fields.keys.sorted().compactMap { k in (fields[k] ?? nil).map { "\(quoted(k)):\(quoted($0))" } }.joined(separator: ",") + "}"
    }
}
