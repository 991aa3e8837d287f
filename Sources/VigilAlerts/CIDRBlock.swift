/// A network written in CIDR notation: `10.0.0.0/8`, `fd00::/8`; a bare address is one host
/// (`/32` or `/128`). Host bits are ignored: `127.0.0.2/8` is `127.0.0.0/8`.
///
/// An IPv6 block also holds the IPv4 addresses it maps (`::ffff:0:0/96` holds every IPv4 address).
public struct CIDRBlock: Sendable, Hashable, CustomStringConvertible, Codable {
    public let network: IPAddress
    public let prefixLength: Int

    /// The block written as `text`, or `nil`.
    public init?(_ text: String) {
        let parts = text.trimmingWhitespace().split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = IPAddress(String(parts[0])), !parts[0].contains("%") else { return nil }
        let v6Text = parts[0].contains(":")
        let bits = v6Text ? 128 : 32
        var length = bits
        if parts.count == 2 {
            guard let n = Int(parts[1]), (0...bits).contains(n), parts[1].allSatisfy(\.isNumber) else { return nil }
            length = n
        }
        network = IPAddress(bytes: Self.masked(v6Text ? address.ipv6Bytes : address.bytes, length))
        // An IPv4-mapped IPv6 block (::ffff:10.0.0.0/104) is the IPv4 block it maps.
        prefixLength = network.isIPv4 && v6Text ? length - 96 : length
    }

    /// True when `address` is in the block.
    public func contains(_ address: IPAddress) -> Bool {
        let candidate = network.isIPv4 ? (address.isIPv4 ? address.bytes : nil) : address.ipv6Bytes
        guard let candidate else { return false }
        return Self.masked(candidate, prefixLength) == network.bytes
    }

    /// `10.0.0.0/8`.
    public var description: String { "\(network)/\(prefixLength)" }

    /// What a bad entry is told.
    public static func notABlock(_ text: String) -> String { "'\(text)' is not a CIDR block (like 10.0.0.0/8 or fd00::/8)" }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.singleValueContainer()
        let text = try c.decode(String.self)
        guard let block = CIDRBlock(text) else { throw DecodingError.dataCorruptedError(in: c, debugDescription: Self.notABlock(text)) }
        self = block
    }

    public func encode(to encoder: any Encoder) throws {
        var c = encoder.singleValueContainer()
        try c.encode(description)
    }

    private static func masked(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { i, b in
            let keep = max(0, min(8, length - i * 8))
            return keep == 0 ? 0 : b & UInt8(truncatingIfNeeded: 0xff << (8 - keep))
        }
    }
}

private extension String {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
