/// HMAC-SHA256 (RFC 2104 with ``SHA256``), for signing outgoing webhooks the Standard Webhooks
/// way. Checked against the RFC 4231 test cases in `HMACTests`.
///
/// ```swift
/// let mac = HMACSHA256.authenticate(Array("msg_1.1700000000.{}".utf8), key: secretBytes)
/// ```
public enum HMACSHA256 {
    /// The 32-byte HMAC of `message` under `key`.
    public static func authenticate(_ message: [UInt8], key: [UInt8]) -> [UInt8] {
        var k = key.count > SHA256.blockSize ? SHA256.hash(key) : key
        k += [UInt8](repeating: 0, count: SHA256.blockSize - k.count)
        var inner = SHA256()
        inner.update(k.map { $0 ^ 0x36 })
        inner.update(message)
        var outer = SHA256()
        outer.update(k.map { $0 ^ 0x5c })
        outer.update(inner.finalize())
        return outer.finalize()
    }
}

extension HMACSHA256 {
    /// Compares in time that depends only on the lengths, not on where the bytes differ: for
    /// checking a presented MAC or token hash against the expected one.
    public static func constantTimeEquals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        var diff: UInt8 = 0
        for i in 0..<a.count { diff |= a[i] ^ b[i] }
        return diff == 0
    }
}
