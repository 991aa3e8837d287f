import Foundation

/// Just enough of Swift's lexical structure to list a protocol's requirements and to find the
/// calls inside a function body: comments are dropped and string literals emptied (raw,
/// multi-line and interpolated ones too), so that braces and parentheses can be matched.
enum SwiftDeclarations {
    /// `source` without comments, every string literal replaced by `""`.
    static func code(_ source: String) -> String {
        let b = Array(source.utf8)
        var i = 0
        var out: [UInt8] = []
        scan(b, &i, emit: true, out: &out, untilParen: false)
        return String(decoding: out, as: UTF8.self)
    }

    private static let slash = UInt8(ascii: "/"), star = UInt8(ascii: "*"), quote = UInt8(ascii: "\""), hash = UInt8(ascii: "#")
    private static let backslash = UInt8(ascii: "\\"), open = UInt8(ascii: "("), close = UInt8(ascii: ")"), newline = UInt8(ascii: "\n")

    /// Copies code to `out` (when `emit`); with `untilParen`, stops after the `)` that closes an
    /// interpolation.
    private static func scan(_ b: [UInt8], _ i: inout Int, emit: Bool, out: inout [UInt8], untilParen: Bool) {
        var depth = 0
        while i < b.count {
            let c = b[i]
            if c == slash, i + 1 < b.count, b[i + 1] == slash {
                while i < b.count, b[i] != newline { i += 1 }
                continue
            }
            if c == slash, i + 1 < b.count, b[i + 1] == star {
                var nesting = 0
                while i + 1 < b.count {
                    if b[i] == slash && b[i + 1] == star { nesting += 1; i += 2; continue }
                    if b[i] == star && b[i + 1] == slash { nesting -= 1; i += 2; if nesting == 0 { break }; continue }
                    i += 1
                }
                if emit { out.append(UInt8(ascii: " ")) }
                continue
            }
            if c == hash || c == quote {
                var h = 0
                while i + h < b.count, b[i + h] == hash { h += 1 }
                if i + h < b.count, b[i + h] == quote {
                    skipString(b, &i, hashes: h)
                    if emit { out += [quote, quote] }
                    continue
                }
            }
            if untilParen {
                if c == open { depth += 1 }
                if c == close {
                    if depth == 0 { i += 1; return }
                    depth -= 1
                }
            }
            if emit { out.append(c) }
            i += 1
        }
    }

    /// Skips the string literal at `i` (opened by `hashes` `#` and one or three quotes).
    private static func skipString(_ b: [UInt8], _ i: inout Int, hashes h: Int) {
        i += h
        let multi = i + 2 < b.count && b[i + 1] == quote && b[i + 2] == quote
        i += multi ? 3 : 1
        func hashesFollow(_ k: Int) -> Int? {
            var n = 0
            while n < h, k + n < b.count, b[k + n] == hash { n += 1 }
            return n == h ? k + n : nil
        }
        while i < b.count {
            if b[i] == backslash, let k = hashesFollow(i + 1) {
                if k < b.count, b[k] == open {
                    i = k + 1
                    var ignored: [UInt8] = []
                    scan(b, &i, emit: false, out: &ignored, untilParen: true)
                } else {
                    i = k + 1
                }
                continue
            }
            if b[i] == quote {
                let closes = multi ? (i + 2 < b.count && b[i + 1] == quote && b[i + 2] == quote) : true
                if closes, let end = hashesFollow(i + (multi ? 3 : 1)) {
                    i = end
                    return
                }
            }
            i += 1
        }
    }

    /// The text between the bracket at `start` (one of `({[`) and its match, and the index after the match.
    static func balanced(_ s: [Character], from start: Int) -> (inner: String, end: Int)? {
        let pairs: [Character: Character] = ["(": ")", "{": "}", "[": "]"]
        guard start < s.count, let closer = pairs[s[start]] else { return nil }
        var depth = 0
        var i = start
        while i < s.count {
            if s[i] == s[start] { depth += 1 } else if s[i] == closer {
                depth -= 1
                if depth == 0 { return (String(s[(start + 1)..<i]), i + 1) }
            }
            i += 1
        }
        return nil
    }

    /// `text` split at its top-level commas (outside (), [], {} and generic <>; `->` is no bracket).
    static func topLevelParts(_ text: String) -> [String] {
        var parts: [String] = []
        var current = ""
        var depth = 0
        var previous: Character = " "
        for c in text {
            switch c {
            case "(", "[", "{", "<": depth += 1
            case ")", "]", "}": depth -= 1
            case ">" where previous != "-": depth -= 1
            default: break
            }
            if c == ",", depth == 0 { parts.append(current); current = "" } else { current.append(c) }
            previous = c
        }
        if !current.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty { parts.append(current) }
        return parts
    }

    static func isIdentifier(_ c: Character) -> Bool { c.isLetter || c.isNumber || c == "_" }

    /// A public protocol declared in a file: its name, what it refines and its requirements.
    struct ProtocolDecl {
        var name: String
        var refines: [String]
        /// `name(label:label:)` for functions (`_` for no label), `name` for properties.
        var requirements: [String]
    }

    /// Every `public protocol … { … }` of `source`.
    static func protocols(in source: String) -> [ProtocolDecl] {
        let s = Array(code(source))
        let text = String(s)
        var out: [ProtocolDecl] = []
        let pattern = try! NSRegularExpression(pattern: #"public\s+protocol\s+(\w+)([^{]*)\{"#)
        for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
            let name = String(text[Range(m.range(at: 1), in: text)!])
            let header = String(text[Range(m.range(at: 2), in: text)!])
            let inherited = header.trimmingCharacters(in: .whitespacesAndNewlines)
            let refines = inherited.hasPrefix(":")
                ? inherited.dropFirst().components(separatedBy: " where ")[0].split(separator: ",").map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
                : []
            // The brace that opens the body: the match ends just after it.
            let braceOffset = text.distance(from: text.startIndex, to: Range(m.range, in: text)!.upperBound) - 1
            guard let body = balanced(s, from: braceOffset) else { continue }
            out.append(ProtocolDecl(name: name, refines: refines, requirements: requirements(inBody: body.inner)))
        }
        return out
    }

    /// The requirements declared at the top level of a protocol body.
    static func requirements(inBody body: String) -> [String] {
        let s = Array(body)
        var out: [String] = []
        var i = 0
        var depth = 0
        func word(at k: Int) -> (String, Int) {
            var j = k
            while j < s.count, isIdentifier(s[j]) { j += 1 }
            return (String(s[k..<j]), j)
        }
        func skipSpaces(_ k: Int) -> Int {
            var j = k
            while j < s.count, s[j].isWhitespace { j += 1 }
            return j
        }
        while i < s.count {
            let c = s[i]
            if c == "{" { depth += 1; i += 1; continue }
            if c == "}" { depth -= 1; i += 1; continue }
            guard depth == 0, isIdentifier(c), i == 0 || !isIdentifier(s[i - 1]) else { i += 1; continue }
            let (keyword, after) = word(at: i)
            switch keyword {
            case "func", "init", "subscript":
                var j = skipSpaces(after)
                var name = keyword
                if keyword == "func" {
                    let (n, e) = word(at: j)
                    name = n
                    j = skipSpaces(e)
                }
                if j < s.count, s[j] == "<", let close = s[j...].firstIndex(of: ">") { j = skipSpaces(close + 1) }
                guard let params = balanced(s, from: j) else { i = after; continue }
                let labels = topLevelParts(params.inner).map { part -> String in
                    let head = part.split(separator: ":", maxSplits: 1).first.map(String.init) ?? part
                    let words = head.split(whereSeparator: { $0.isWhitespace })
                    return keyword == "subscript" && words.count < 2 ? "_" : String(words.first ?? "_")
                }
                out.append("\(name)(\(labels.map { $0 + ":" }.joined()))")
                i = params.end
            case "var":
                let (n, e) = word(at: skipSpaces(after))
                out.append(n)
                i = e
            default:
                i = after
            }
        }
        return out
    }

    /// The body of `func name(` declared in `source`, or `nil`.
    static func functionBody(named name: String, in source: String) -> String? {
        let s = Array(code(source))
        let needle = Array("func \(name)(")
        var i = 0
        while i + needle.count <= s.count {
            if Array(s[i..<(i + needle.count)]) == needle, i == 0 || !isIdentifier(s[i - 1]) {
                guard let params = balanced(s, from: i + needle.count - 1) else { return nil }
                guard let brace = s[params.end...].firstIndex(of: "{") else { return nil }
                return balanced(s, from: brace)?.inner
            }
            i += 1
        }
        return nil
    }

    /// Whether `body` calls `signature` (`name(label:…)`): a call `name(…)` whose argument labels
    /// are the signature's, the last argument possibly given as a trailing closure.
    static func calls(_ body: String, _ signature: String) -> Bool {
        guard let paren = signature.firstIndex(of: "(") else { return body.contains(signature) }
        let name = String(signature[..<paren])
        let labels = signature[signature.index(after: paren)...].dropLast().split(separator: ":", omittingEmptySubsequences: true).map(String.init)
        let s = Array(code(body))
        let needle = Array(name + "(")
        var i = 0
        let labelPattern = try! NSRegularExpression(pattern: #"^\s*([A-Za-z_][A-Za-z0-9_]*)\s*:(?!:)"#)
        while i + needle.count <= s.count {
            defer { i += 1 }
            guard Array(s[i..<(i + needle.count)]) == needle, i == 0 || !isIdentifier(s[i - 1]) else { continue }
            guard let arguments = balanced(s, from: i + needle.count - 1) else { continue }
            let called = topLevelParts(arguments.inner).map { part -> String in
                let ns = part as NSString
                guard let m = labelPattern.firstMatch(in: part, range: NSRange(location: 0, length: ns.length)) else { return "_" }
                return ns.substring(with: m.range(at: 1))
            }
            var k = arguments.end
            while k < s.count, s[k] == " " { k += 1 }
            let trailing = k < s.count && s[k] == "{"
            if !trailing && called == labels { return true }
            if trailing && !labels.isEmpty && called == Array(labels.dropLast()) { return true }
        }
        return false
    }
}
