import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// An IPv4 or IPv6 address, as the bytes a socket connects to.
///
/// An IPv4-mapped IPv6 address (`::ffff:169.254.169.254`) is the IPv4 address it maps: a socket
/// connecting to it reaches that IPv4 host, so every check sees the IPv4 form.
///
/// ```swift
/// IPAddress("fe80::1%eth0")?.description   // "fe80::1" (the zone id names an interface, not an address)
/// IPAddress("::ffff:169.254.169.254")      // 169.254.169.254
/// ```
public struct IPAddress: Sendable, Hashable, CustomStringConvertible {
    /// 4 bytes (IPv4) or 16 (IPv6), network order.
    public let bytes: [UInt8]

    /// The address written as `text`: dotted IPv4, or IPv6 with optional `[…]` and `%zone`.
    /// `nil` for anything else (names included). Strict: `010.1` is not an address here.
    public init?(_ text: String) {
        var t = Substring(text)
        if t.hasPrefix("["), t.hasSuffix("]") { t = t.dropFirst().dropLast() }
        if let zone = t.firstIndex(of: "%") { t = t[..<zone] }
        var v4 = in_addr(), v6 = in6_addr()
        if !t.contains(":"), inet_pton(AF_INET, String(t), &v4) == 1 {
            self.init(bytes: withUnsafeBytes(of: &v4) { Array($0) })
        } else if t.contains(":"), inet_pton(AF_INET6, String(t), &v6) == 1 {
            self.init(bytes: withUnsafeBytes(of: &v6) { Array($0) })
        } else {
            return nil
        }
    }

    /// 4 or 16 bytes; an IPv4-mapped IPv6 address becomes its IPv4 address.
    public init(bytes: [UInt8]) {
        precondition(bytes.count == 4 || bytes.count == 16, "an IP address has 4 or 16 bytes")
        if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff {
            self.bytes = Array(bytes[12...])
        } else {
            self.bytes = bytes
        }
    }

    public var isIPv4: Bool { bytes.count == 4 }

    /// `::ffff:a.b.c.d` for an IPv4 address, the bytes themselves for IPv6.
    var ipv6Bytes: [UInt8] { isIPv4 ? Array(repeating: 0, count: 10) + [0xff, 0xff] + bytes : bytes }

    /// `127.0.0.1`, `fe80::1`.
    public var description: String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        let family = isIPv4 ? AF_INET : AF_INET6
        _ = bytes.withUnsafeBytes { inet_ntop(family, $0.baseAddress, &buffer, socklen_t(buffer.count)) }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// How the address goes into a URL's host: `127.0.0.1`, `[::1]`.
    public var urlHost: String { isIPv4 ? description : "[\(description)]" }
}
