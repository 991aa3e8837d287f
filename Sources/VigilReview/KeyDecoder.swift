/// A key press as `vigil review` understands it.
public enum Key: Equatable, Sendable {
    /// A printable character (letters, digits, punctuation, any Unicode scalar).
    case char(Character)
    case enter, tab, backTab, backspace, escape
    case up, down, left, right
    case shiftUp, shiftDown, shiftLeft, shiftRight
    /// Control plus a letter (Ctrl-C is `.control("c")`).
    case control(Character)
}

/// Turns the bytes a terminal sends into ``Key``s: UTF-8 text, control characters, and the
/// CSI/SS3 escape sequences of arrows (`ESC [ A`, `ESC O A`), Shift+arrows (`ESC [ 1 ; 2 A`) and
/// Shift+Tab (`ESC [ Z`).
///
/// Bytes of a sequence may arrive split over reads, so an incomplete sequence is kept for the
/// next ``feed(_:)``; a lone ESC is only a key once no more bytes follow (``flush()``, called by
/// the reader after a short quiet time).
///
/// ```swift
/// var decoder = KeyDecoder()
/// decoder.feed(Array("\u{1B}[1;2A".utf8))   // [.shiftUp]
/// ```
public struct KeyDecoder: Sendable {
    private var pending: [UInt8] = []

    public init() {}

    /// Whether bytes are waiting for the rest of a sequence.
    public var hasPending: Bool { !pending.isEmpty }

    /// Decodes as many keys as the bytes so far make.
    public mutating func feed(_ bytes: [UInt8]) -> [Key] {
        pending += bytes
        var keys: [Key] = []
        var i = 0
        while i < pending.count {
            guard let (key, used) = Self.decode(pending, at: i) else { break }  // incomplete: wait for more
            if let key { keys.append(key) }
            i += used
        }
        pending.removeFirst(i)
        return keys
    }

    /// Whatever is pending, as keys: a lone ESC becomes `.escape`, the rest is dropped.
    public mutating func flush() -> [Key] {
        defer { pending = [] }
        guard let first = pending.first else { return [] }
        return first == 0x1B ? [.escape] + feedRest() : []
    }

    private mutating func feedRest() -> [Key] {
        let rest = Array(pending.dropFirst())
        pending = []
        return feed(rest)
    }

    /// One key from `b[i...]`: the key (nil for bytes to ignore) and how many bytes it used,
    /// or nil when the sequence is not complete yet.
    static func decode(_ b: [UInt8], at i: Int) -> (Key?, Int)? {
        let c = b[i]
        switch c {
        case 0x0D, 0x0A: return (.enter, 1)
        case 0x09: return (.tab, 1)
        case 0x7F, 0x08: return (.backspace, 1)
        case 0x1B: return escape(b, at: i)
        case 0x01...0x1A: return (.control(Character(UnicodeScalar(c + 0x60))), 1)
        case 0x00..<0x20: return (nil, 1)
        case 0x20..<0x80: return (.char(Character(UnicodeScalar(c))), 1)
        default:
            // UTF-8: the lead byte says how many continuation bytes follow.
            let length = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1
            if length == 1 { return (nil, 1) }  // a stray continuation byte
            guard i + length <= b.count else { return nil }
            let text = String(decoding: b[i..<(i + length)], as: UTF8.self)
            return (text.first.map(Key.char), length)
        }
    }

    static func escape(_ b: [UInt8], at i: Int) -> (Key?, Int)? {
        guard i + 1 < b.count else { return nil }
        let next = b[i + 1]
        if next == 0x1B { return (.escape, 1) }
        if next == UInt8(ascii: "O") {  // SS3: arrows in application cursor mode
            guard i + 2 < b.count else { return nil }
            return (arrow(b[i + 2], shifted: false), 3)
        }
        guard next == UInt8(ascii: "[") else { return (.escape, 1) }  // ESC then an ordinary key
        // CSI: parameters (digits and ';') then one final byte in 0x40...0x7E.
        var j = i + 2
        while j < b.count, (0x30...0x3F).contains(b[j]) { j += 1 }
        guard j < b.count else { return nil }
        let params = String(decoding: b[(i + 2)..<j], as: UTF8.self).split(separator: ";")
        let final = b[j]
        let used = j - i + 1
        if final == UInt8(ascii: "Z") { return (.backTab, used) }
        // The second parameter is 1 + modifier bits; bit 0 is Shift (2, 4, 6, 8 all include it).
        let modifier = params.count >= 2 ? (Int(params[1]) ?? 1) - 1 : 0
        return (arrow(final, shifted: modifier & 1 == 1), used)
    }

    static func arrow(_ final: UInt8, shifted: Bool) -> Key? {
        switch final {
        case UInt8(ascii: "A"): shifted ? .shiftUp : .up
        case UInt8(ascii: "B"): shifted ? .shiftDown : .down
        case UInt8(ascii: "C"): shifted ? .shiftRight : .right
        case UInt8(ascii: "D"): shifted ? .shiftLeft : .left
        default: nil
        }
    }
}
