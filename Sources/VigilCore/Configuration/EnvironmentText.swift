/// `${VAR}` and `${VAR:-default}` in configuration values, expanded from the environment.
///
/// `${VAR}` needs `VAR` set and not empty; `${VAR:-default}` uses `default` when `VAR` is unset
/// or empty, stating the fallback on purpose. One rule for every key that takes placeholders
/// (receivers' `url`, `secret`, `routing_key`; `registry.token`).
public enum EnvironmentText {
    /// `text` with every placeholder replaced; throws naming the variable and `field`.
    public static func expand(_ text: String, environment: [String: String], field: String) throws(EnvironmentError) -> String {
        var out = ""
        var rest = Substring(text)
        while let open = rest.range(of: "${") {
            out += rest[..<open.lowerBound]
            guard let close = rest[open.upperBound...].firstIndex(of: "}") else {
                throw EnvironmentError("\(field): '${' without a closing '}'")
            }
            let inside = rest[open.upperBound..<close]
            let name: Substring
            var fallback: Substring?
            if let dash = inside.range(of: ":-") {
                name = inside[..<dash.lowerBound]
                fallback = inside[dash.upperBound...]
            } else {
                name = inside
            }
            if let value = environment[String(name)], !value.isEmpty {
                out += value
            } else if let fallback {
                out += fallback
            } else {
                let state = environment[String(name)] == nil ? "is not set" : "is empty"
                throw EnvironmentError("\(field): the environment variable \(name) \(state); export it where `vigil` runs, or write ${\(name):-DEFAULT} to state a default")
            }
            rest = rest[rest.index(after: close)...]
        }
        return out + rest
    }

    /// True when `text` holds a placeholder.
    public static func hasPlaceholder(_ text: String) -> Bool { text.contains("${") }
}

/// A placeholder that cannot be expanded: names the key and the variable, and what to do.
public struct EnvironmentError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}
