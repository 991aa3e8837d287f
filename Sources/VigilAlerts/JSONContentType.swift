import Mustache
import VigilCore

/// Escapes `{{value}}` for the inside of a JSON string, so that a template such as
/// `"text": "{{message}}"` stays valid JSON whatever the message holds. `{{{value}}}` inserts
/// pre-rendered JSON (objects, numbers, `null`) as it is.
struct JSONContentType: MustacheContentType {
    static let name = "VIGIL_JSON"

    func escapeText(_ text: String) -> String { JSONText.escape(text) }
}
