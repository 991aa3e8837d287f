/// One input record that could not be ingested: where it is, which field, and why.
public struct RecordError: Error, Sendable, Equatable, CustomStringConvertible {
    /// One-based line number in the input (for CSV, the line the record starts on).
    public var line: Int
    /// The field at fault (`id`, `boxes[2].bbox`…), or `nil` when the whole line is at fault.
    public var field: String?
    /// What is wrong and, where it helps, what to do.
    public var reason: String
    /// The record's id when it could be read, to find it again.
    public var id: String?

    public init(line: Int, field: String? = nil, reason: String, id: String? = nil) {
        self.line = line
        self.field = field
        self.reason = reason
        self.id = id
    }

    public var description: String {
        var s = "line \(line)"
        if let field { s += ", field '\(field)'" }
        if let id { s += " (id \(id))" }
        return s + ": " + reason
    }
}
