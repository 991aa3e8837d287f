/// A 64-bit FNV-1a digest of a record's content, used to tell a re-sent record (same id,
/// same content: skipped) from a conflicting one (same id, different content: reported).
public struct ContentHash: Sendable {
    /// The digest so far.
    public private(set) var value: UInt64 = 0xcbf2_9ce4_8422_2325

    public init() {}

    @inline(__always) mutating func mix(_ byte: UInt8) {
        value = (value ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    /// Adds raw bytes, preceded by their length so that field boundaries count.
    public mutating func add(_ bytes: UnsafeBufferPointer<UInt8>) {
        add(Int64(bytes.count))
        guard let base = bytes.baseAddress else { return }
        let raw = UnsafeRawPointer(base)
        var i = 0
        // Eight bytes at a time: a word is folded in with one multiply, then the tail bytewise.
        while i + 8 <= bytes.count {
            let word = raw.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            value = (value ^ word) &* 0x0000_0100_0000_01B3
            value ^= value >> 29
            i += 8
        }
        while i < bytes.count { mix(bytes[i]); i += 1 }
    }

    /// Adds a string's UTF-8 bytes.
    public mutating func add(_ text: String) {
        var t = text
        t.withUTF8 { addText($0) }
    }

    /// Adds text given as its UTF-8 bytes: the same digest as ``add(_:)-(String)`` of that text.
    @inline(__always) public mutating func addText(_ bytes: UnsafeBufferPointer<UInt8>) {
        add(Int64(bytes.count))
        for b in bytes { mix(b) }
    }

    /// Adds an integer.
    public mutating func add(_ number: Int64) {
        var v = UInt64(bitPattern: number)
        for _ in 0..<8 { mix(UInt8(truncatingIfNeeded: v)); v >>= 8 }
    }

    /// Adds a double by its bit pattern.
    public mutating func add(_ number: Double) { add(Int64(bitPattern: number.bitPattern)) }

    /// Adds a marker for an absent optional field.
    public mutating func addAbsent() { add(Int64.min) }

    /// The digest as a signed integer, the form the store keeps.
    public var signed: Int64 { Int64(bitPattern: value) }
}
