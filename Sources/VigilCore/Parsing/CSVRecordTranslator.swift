/// Reads CSV with a header row and translates each row into the equivalent NDJSON line, so CSV
/// and NDJSON share one parser, one set of rules and one set of error messages.
///
/// Columns: any top-level scalar field of the NDJSON format by name (`id`, `ts`, `model`,
/// `model_version`, `task`, `label`, `score`; for labels `prediction_id`, `label`, `reviewer`,
/// `source`), plus `input_uri` → `input.uri`, `attr_<name>` → `input.attributes.<name>` and
/// `score_<class>` → `scores.<class>`. Empty cells are absent fields. Unknown columns are
/// rejected when the header is read.
public struct CSVRecordTranslator: Sendable {
    enum Column: Sendable {
        case string(String)
        case number(String)
        case inputURI
        case attribute(String)
        case classScore(String)
    }

    let columns: [Column]

    /// Fields read as numbers; everything else is a string.
    static let numericFields: Set<String> = ["score"]

    /// A translator for `header` (already split into cells); `allowed` lists the plain field names.
    public init(header: [String], allowed: Set<String>) throws(RecordError) {
        var cols: [Column] = []
        for (i, raw) in header.enumerated() {
            let name = raw.trimmingCharacters(in: .whitespaces)
            if name.hasPrefix("attr_"), allowed.contains("input") {
                cols.append(.attribute(String(name.dropFirst(5))))
            } else if name.hasPrefix("score_"), allowed.contains("scores") {
                cols.append(.classScore(String(name.dropFirst(6))))
            } else if name == "input_uri", allowed.contains("input") {
                cols.append(.inputURI)
            } else if allowed.contains(name) {
                cols.append(Self.numericFields.contains(name) ? .number(name) : .string(name))
            } else {
                throw RecordError(line: 1, field: "column \(i + 1)", reason: "unknown CSV column '\(name)' (known: \(allowed.sorted().joined(separator: ", ")), input_uri, attr_<name>, score_<class>)")
            }
        }
        columns = cols
    }

    /// The NDJSON line for one row, or an error when the row has the wrong number of cells.
    public func translate(_ cells: [String], line: Int) -> Result<String, RecordError> {
        guard cells.count == columns.count else {
            return .failure(RecordError(line: line, reason: "row has \(cells.count) cells, the header has \(columns.count)"))
        }
        var top: [String] = []
        var attributes: [String] = []
        var scores: [String] = []
        var uri: String?
        for (column, cell) in zip(columns, cells) where !cell.isEmpty {
            switch column {
            case .string(let name): top.append("\(Self.quote(name)):\(Self.quote(cell))")
            case .number(let name): top.append("\(Self.quote(name)):\(Self.numberOrString(cell))")
            case .inputURI: uri = cell
            case .attribute(let name): attributes.append("\(Self.quote(name)):\(Self.quote(cell))")
            case .classScore(let name): scores.append("\(Self.quote(name)):\(Self.numberOrString(cell))")
            }
        }
        if uri != nil || !attributes.isEmpty {
            var input: [String] = []
            if let uri { input.append("\"uri\":\(Self.quote(uri))") }
            if !attributes.isEmpty { input.append("\"attributes\":{\(attributes.joined(separator: ","))}") }
            top.append("\"input\":{\(input.joined(separator: ","))}")
        }
        if !scores.isEmpty { top.append("\"scores\":{\(scores.joined(separator: ","))}") }
        return .success("{" + top.joined(separator: ",") + "}")
    }

    static func numberOrString(_ cell: String) -> String {
        let t = cell.trimmingCharacters(in: .whitespaces)
        if let v = Double(t), v.isFinite, t.first != "+", !t.hasPrefix("."), !t.lowercased().contains("n") { return t.first == "." ? "0" + t : t }
        return quote(cell)
    }

    /// `text` as a JSON string literal.
    public static func quote(_ text: String) -> String {
        var out = "\""
        for u in text.unicodeScalars {
            switch u {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            default:
                if u.value < 0x20 { out += "\\u" + String(repeating: "0", count: 4 - String(u.value, radix: 16).count) + String(u.value, radix: 16) } else { out.unicodeScalars.append(u) }
            }
        }
        return out + "\""
    }

    /// Splits one CSV record into cells (RFC 4180 quoting; `"` doubled inside quotes).
    /// Returns `nil` when a quoted cell is still open at the end, i.e. the record continues on the next line.
    public static func split(_ record: String) -> [String]? {
        var cells: [String] = []
        var cell = ""
        var quoted = false
        var atStart = true
        var it = record.unicodeScalars.makeIterator()
        var pending: Unicode.Scalar? = nil
        while let u = pending ?? it.next() {
            pending = nil
            if quoted {
                if u == "\"" {
                    if let next = it.next() {
                        if next == "\"" { cell.unicodeScalars.append("\"") } else { quoted = false; pending = next }
                    } else { quoted = false }
                } else { cell.unicodeScalars.append(u) }
            } else if u == "\"" && atStart {
                quoted = true
                atStart = false
            } else if u == "," {
                cells.append(cell); cell = ""; atStart = true
            } else if u == "\r" {
                continue
            } else {
                cell.unicodeScalars.append(u); atStart = false
            }
        }
        if quoted { return nil }
        cells.append(cell)
        return cells
    }
}

import Foundation
