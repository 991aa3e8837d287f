import Foundation

/// Why a piece of JSON could not be read, and where (byte offset within the scanned text).
public struct JSONSyntaxError: Error, Sendable, Equatable {
    /// Zero-based byte offset of the problem within the scanned bytes.
    public var offset: Int
    /// What is wrong, in words a person can act on.
    public var reason: String
}

/// A fast, validating, allocation-light JSON reader over one line of bytes.
///
/// Ingest reads millions of small JSON objects; a general JSON tree per line would cost more
/// than storing the row. The scanner walks the bytes once, hands known fields to the caller
/// as typed values, and can validate and skip a nested value, returning its raw bytes so it
/// can be stored faithfully. Strings are checked to be valid UTF-8.
public struct JSONScanner {
    @usableFromInline let bytes: UnsafeBufferPointer<UInt8>
    /// Current byte offset.
    public var offset: Int = 0

    /// A scanner over `bytes`, which must stay valid while it is used.
    public init(_ bytes: UnsafeBufferPointer<UInt8>) { self.bytes = bytes }

    /// True when only whitespace is left.
    public mutating func atEnd() -> Bool {
        skipWhitespace()
        return offset >= bytes.count
    }

    @inline(__always) public mutating func skipWhitespace() {
        while offset < bytes.count {
            let c = bytes[offset]
            if c == 0x20 || c == 0x0A || c == 0x0D || c == 0x09 { offset += 1 } else { return }
        }
    }

    /// The next non-whitespace byte, not consumed.
    @inline(__always) public mutating func peek() -> UInt8? {
        skipWhitespace()
        return offset < bytes.count ? bytes[offset] : nil
    }

    func fail(_ reason: String, at: Int? = nil) -> JSONSyntaxError {
        JSONSyntaxError(offset: at ?? offset, reason: reason)
    }

    /// Consumes `byte` (after whitespace) or throws.
    public mutating func expect(_ byte: UInt8, _ what: String) throws(JSONSyntaxError) {
        skipWhitespace()
        guard offset < bytes.count else { throw fail("unexpected end of input, expected \(what)") }
        guard bytes[offset] == byte else { throw fail("expected \(what), found \(describe(bytes[offset]))") }
        offset += 1
    }

    func describe(_ c: UInt8) -> String {
        if c >= 0x21 && c < 0x7F { return "'\(Character(UnicodeScalar(c)))'" }
        return String(format: "byte 0x%02X", c)
    }

    // MARK: Objects

    /// Iterates the members of an object, calling `member` with each key (raw bytes, unescaped
    /// keys only need no allocation) and leaving the scanner at the value.
    public mutating func scanObject(
        _ member: (inout JSONScanner, JSONString) throws(JSONSyntaxError) -> Void
    ) throws(JSONSyntaxError) {
        try expect(0x7B, "'{'")
        if peek() == 0x7D { offset += 1; return }
        while true {
            skipWhitespace()
            guard offset < bytes.count else { throw fail("unexpected end of input inside an object") }
            guard bytes[offset] == 0x22 else { throw fail("expected a quoted field name, found \(describe(bytes[offset]))") }
            let key = try scanString()
            try expect(0x3A, "':' after a field name")
            skipWhitespace()
            try member(&self, key)
            skipWhitespace()
            guard offset < bytes.count else { throw fail("unexpected end of input: the object is not closed") }
            let c = bytes[offset]
            offset += 1
            if c == 0x2C { continue }
            if c == 0x7D { return }
            throw fail("expected ',' or '}' in an object, found \(describe(c))", at: offset - 1)
        }
    }

    /// Iterates the elements of an array, leaving the scanner at each element.
    public mutating func scanArray(_ element: (inout JSONScanner, Int) throws(JSONSyntaxError) -> Void) throws(JSONSyntaxError) {
        try expect(0x5B, "'['")
        if peek() == 0x5D { offset += 1; return }
        var index = 0
        while true {
            skipWhitespace()
            try element(&self, index)
            index += 1
            skipWhitespace()
            guard offset < bytes.count else { throw fail("unexpected end of input: the array is not closed") }
            let c = bytes[offset]
            offset += 1
            if c == 0x2C { continue }
            if c == 0x5D { return }
            throw fail("expected ',' or ']' in an array, found \(describe(c))", at: offset - 1)
        }
    }

    // MARK: Strings

    /// A scanned string: where its content lies and whether it needs unescaping.
    public struct JSONString {
        public var start: Int
        public var end: Int
        public var hasEscapes: Bool
        public var hasNonASCII: Bool
    }

    /// Scans a string token (the scanner must be at its opening quote).
    public mutating func scanString() throws(JSONSyntaxError) -> JSONString {
        let open = offset
        offset += 1
        var escapes = false
        var nonASCII = false
        let count = bytes.count
        while offset < count {
            let c = bytes[offset]
            // Plain printable ASCII other than '"' and '\\' is the common case: one test for it.
            if c != 0x22 && c != 0x5C && c &- 0x20 < 0x60 { offset += 1; continue }
            if c == 0x22 {
                let s = JSONString(start: open + 1, end: offset, hasEscapes: escapes, hasNonASCII: nonASCII)
                offset += 1
                if nonASCII { try validateUTF8(s) }
                return s
            }
            if c == 0x5C {
                escapes = true
                offset += 2
                continue
            }
            if c < 0x20 { throw fail("control character \(describe(c)) inside a string (escape it)") }
            if c >= 0x80 { nonASCII = true }
            offset += 1
        }
        throw fail("unexpected end of input inside a string that starts at byte \(open + 1)", at: open)
    }

    func validateUTF8(_ s: JSONString) throws(JSONSyntaxError) {
        let slice = UnsafeBufferPointer(rebasing: bytes[s.start..<s.end])
        if String(validating: slice, as: UTF8.self) == nil {
            var i = s.start
            // Point at the first byte that starts an invalid sequence.
            while i < s.end {
                let n = utf8SequenceLength(at: i, end: s.end)
                if n == 0 { break }
                i += n
            }
            throw fail("invalid UTF-8 in a string (byte \(i + 1) of the line)", at: i)
        }
    }

    func utf8SequenceLength(at i: Int, end: Int) -> Int {
        let c = bytes[i]
        if c < 0x80 { return 1 }
        let n: Int
        if c & 0xE0 == 0xC0 { n = 2 } else if c & 0xF0 == 0xE0 { n = 3 } else if c & 0xF8 == 0xF0 { n = 4 } else { return 0 }
        guard i + n <= end else { return 0 }
        let slice = UnsafeBufferPointer(rebasing: bytes[i..<(i + n)])
        return String(validating: slice, as: UTF8.self) == nil ? 0 : n
    }

    /// Reads a string value and returns it decoded.
    public mutating func readString(field: String) throws(JSONSyntaxError) -> String {
        guard let c = peek() else { throw fail("unexpected end of input, expected a string for '\(field)'") }
        guard c == 0x22 else { throw fail("'\(field)' must be a string, found \(kindName(c))") }
        return try decode(scanString())
    }

    /// The decoded text of a scanned string.
    public func decode(_ s: JSONString) throws(JSONSyntaxError) -> String {
        let slice = UnsafeBufferPointer(rebasing: bytes[s.start..<s.end])
        if !s.hasEscapes { return String(decoding: slice, as: UTF8.self) }
        var out = [UInt8]()
        out.reserveCapacity(s.end - s.start)
        var i = s.start
        while i < s.end {
            let c = bytes[i]
            guard c == 0x5C else { out.append(c); i += 1; continue }
            guard i + 1 < s.end else { throw fail("dangling backslash in a string", at: i) }
            let e = bytes[i + 1]
            i += 2
            switch e {
            case 0x22: out.append(0x22)
            case 0x5C: out.append(0x5C)
            case 0x2F: out.append(0x2F)
            case 0x62: out.append(0x08)
            case 0x66: out.append(0x0C)
            case 0x6E: out.append(0x0A)
            case 0x72: out.append(0x0D)
            case 0x74: out.append(0x09)
            case 0x75:
                var scalar = try hex4(at: i)
                i += 4
                if scalar >= 0xD800 && scalar < 0xDC00 {
                    guard i + 6 <= s.end, bytes[i] == 0x5C, bytes[i + 1] == 0x75 else {
                        throw fail("unpaired surrogate \\u\(String(scalar, radix: 16)) in a string", at: i)
                    }
                    let low = try hex4(at: i + 2)
                    guard low >= 0xDC00 && low < 0xE000 else { throw fail("invalid surrogate pair in a string", at: i) }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                    i += 6
                } else if scalar >= 0xDC00 && scalar < 0xE000 {
                    throw fail("unpaired surrogate \\u\(String(scalar, radix: 16)) in a string", at: i)
                }
                guard let u = UnicodeScalar(scalar) else { throw fail("invalid \\u escape", at: i) }
                out.append(contentsOf: Array(String(Character(u)).utf8))
            default:
                throw fail("invalid escape '\\\(Character(UnicodeScalar(e)))' in a string", at: i - 1)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    func hex4(at i: Int) throws(JSONSyntaxError) -> UInt32 {
        guard i + 4 <= bytes.count else { throw fail("truncated \\u escape", at: i) }
        var v: UInt32 = 0
        for k in 0..<4 {
            let c = bytes[i + k]
            let d: UInt32
            switch c {
            case 48...57: d = UInt32(c - 48)
            case 65...70: d = UInt32(c - 55)
            case 97...102: d = UInt32(c - 87)
            default: throw fail("invalid hex digit in \\u escape", at: i + k)
            }
            v = v * 16 + d
        }
        return v
    }

    /// True when a scanned string equals the ASCII `literal` (keys are compared this way).
    @inline(__always) public func equals(_ s: JSONString, _ literal: StaticString) -> Bool {
        let n = literal.utf8CodeUnitCount
        guard s.end - s.start == n, !s.hasEscapes else { return false }
        let p = literal.utf8Start
        for k in 0..<n where bytes[s.start + k] != p[k] { return false }
        return true
    }

    // MARK: Numbers and literals

    func kindName(_ c: UInt8) -> String {
        switch c {
        case 0x22: return "a string"
        case 0x7B: return "an object"
        case 0x5B: return "an array"
        case 0x74, 0x66: return "a boolean"
        case 0x6E: return "null"
        case 0x2D, 0x30...0x39: return "a number"
        default: return describe(c)
        }
    }

    /// True (and consumed) when the next value is `null`.
    public mutating func readNull() -> Bool {
        skipWhitespace()
        if offset + 4 <= bytes.count, bytes[offset] == 0x6E, bytes[offset + 1] == 0x75, bytes[offset + 2] == 0x6C,
           bytes[offset + 3] == 0x6C {
            offset += 4
            return true
        }
        return false
    }

    /// Reads `true` or `false`.
    public mutating func readBool(field: StaticString) throws(JSONSyntaxError) -> Bool {
        guard let c = peek() else { throw fail("unexpected end of input, expected true or false for '\(field)'") }
        switch c {
        case 0x74: try literal("true"); return true
        case 0x66: try literal("false"); return false
        default: throw fail("'\(field)' must be true or false, found \(kindName(c))")
        }
    }

    /// Reads a number value.
    public mutating func readNumber(field: StaticString) throws(JSONSyntaxError) -> Double {
        guard let c = peek() else { throw fail("unexpected end of input, expected a number for '\(field)'") }
        guard c == 0x2D || (c >= 0x30 && c <= 0x39) else {
            throw fail("'\(field)' must be a number, found \(kindName(c))")
        }
        return try scanNumber()
    }

    /// 10^k for 0 ≤ k ≤ 22; each product is exact, as every power up to 10^22 is a double.
    @inline(__always) static func exactPower(_ k: Int) -> Double {
        switch k {  // a constant table after compilation
        case 0: return 1e0
        case 1: return 1e1
        case 2: return 1e2
        case 3: return 1e3
        case 4: return 1e4
        case 5: return 1e5
        case 6: return 1e6
        case 7: return 1e7
        case 8: return 1e8
        case 9: return 1e9
        case 10: return 1e10
        case 11: return 1e11
        case 12: return 1e12
        case 13: return 1e13
        case 14: return 1e14
        case 15: return 1e15
        case 16: return 1e16
        case 17: return 1e17
        case 18: return 1e18
        case 19: return 1e19
        case 20: return 1e20
        case 21: return 1e21
        case 22: return 1e22
        default: return .nan
        }
    }

    /// Scans a JSON number (the scanner must be at its first byte).
    public mutating func scanNumber() throws(JSONSyntaxError) -> Double {
        let start = offset
        var negative = false
        if bytes[offset] == 0x2D { negative = true; offset += 1 }
        var mantissa: UInt64 = 0
        var digits = 0
        var exponent = 0
        guard offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 else {
            throw fail("invalid number: expected a digit", at: offset)
        }
        if bytes[offset] == 0x30 {
            offset += 1
            if offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 {
                throw fail("invalid number: leading zeros are not allowed", at: start)
            }
        } else {
            while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 {
                if digits < 19 { mantissa = mantissa &* 10 &+ UInt64(bytes[offset] - 0x30); digits += 1 } else { exponent += 1 }
                offset += 1
            }
        }
        if offset < bytes.count, bytes[offset] == 0x2E {
            offset += 1
            let fracStart = offset
            while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 {
                if digits < 19 {
                    if mantissa != 0 || bytes[offset] != 0x30 { digits += 1 }
                    mantissa = mantissa &* 10 &+ UInt64(bytes[offset] - 0x30)
                    exponent -= 1
                }
                offset += 1
            }
            guard offset > fracStart else { throw fail("invalid number: a digit must follow '.'", at: offset) }
        }
        if offset < bytes.count, bytes[offset] == 0x65 || bytes[offset] == 0x45 {
            offset += 1
            var expNegative = false
            if offset < bytes.count, bytes[offset] == 0x2B || bytes[offset] == 0x2D {
                expNegative = bytes[offset] == 0x2D
                offset += 1
            }
            let expStart = offset
            var e = 0
            while offset < bytes.count, bytes[offset] >= 0x30, bytes[offset] <= 0x39 {
                if e < 100_000 { e = e * 10 + Int(bytes[offset] - 0x30) }
                offset += 1
            }
            guard offset > expStart else { throw fail("invalid number: a digit must follow the exponent", at: offset) }
            exponent += expNegative ? -e : e
        }
        // Clinger's fast path is exact: an integer below 2^53 times or over an exact power of ten.
        if mantissa < (1 << 53) && exponent >= -22 && exponent <= 22 {
            var v = Double(mantissa)
            if exponent < 0 { v /= JSONScanner.exactPower(-exponent) } else { v *= JSONScanner.exactPower(exponent) }
            return negative ? -v : v
        }
        let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<offset]), as: UTF8.self)
        guard let v = Double(text), v.isFinite else { throw fail("number out of range", at: start) }
        return v
    }

    // MARK: Skipping

    /// Validates and skips any value; returns the byte range it occupied.
    @discardableResult
    public mutating func skipValue(depth: Int = 0) throws(JSONSyntaxError) -> Range<Int> {
        guard depth < 64 else { throw fail("JSON nested more than 64 levels deep") }
        skipWhitespace()
        guard offset < bytes.count else { throw fail("unexpected end of input, expected a value") }
        let start = offset
        switch bytes[offset] {
        case 0x22: _ = try scanString()
        case 0x7B: try scanObject { (s: inout JSONScanner, _) throws(JSONSyntaxError) in try s.skipValue(depth: depth + 1) }
        case 0x5B: try scanArray { (s: inout JSONScanner, _) throws(JSONSyntaxError) in try s.skipValue(depth: depth + 1) }
        case 0x2D, 0x30...0x39: _ = try scanNumber()
        case 0x74: try literal("true")
        case 0x66: try literal("false")
        case 0x6E: try literal("null")
        default: throw fail("unexpected \(describe(bytes[offset])) where a value should be")
        }
        return start..<offset
    }

    mutating func literal(_ word: StaticString) throws(JSONSyntaxError) {
        let n = word.utf8CodeUnitCount
        guard offset + n <= bytes.count else { throw fail("truncated literal, expected \(word)") }
        for k in 0..<n where bytes[offset + k] != word.utf8Start[k] { throw fail("invalid literal, expected \(word)") }
        offset += n
    }

    /// The raw bytes of `range` as a string (the range came from ``skipValue(depth:)``, so it is valid UTF-8).
    public func text(_ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: bytes[range]), as: UTF8.self)
    }

    /// The raw bytes of `range`.
    public func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: bytes[range])
    }
}
