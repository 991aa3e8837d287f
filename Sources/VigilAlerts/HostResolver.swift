import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The addresses a URL's host stands for, from `getaddrinfo`: what a connection would use.
enum HostResolver {
    /// Every address of `host` (a name, or an address in any form `getaddrinfo` reads, such as
    /// `127.1` or `[::1]`). With `numericOnly`, no DNS is asked: a name gives an empty list.
    /// A name that does not resolve gives the resolver's reason.
    static func addresses(of host: String, numericOnly: Bool = false) -> Result<[IPAddress], ResolveFailure> {
        if let literal = IPAddress(host) { return .success([literal]) }
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        hints.ai_flags = numericOnly ? AI_NUMERICHOST : 0
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, nil, &hints, &list)
        guard status == 0 else {
            if numericOnly { return .success([]) }
            return .failure(ResolveFailure(reason: String(cString: gai_strerror(status))))
        }
        defer { freeaddrinfo(list) }
        var found: [IPAddress] = []
        var next = list
        while let info = next?.pointee {
            next = info.ai_next
            guard let sa = info.ai_addr else { continue }
            let address: IPAddress
            switch Int32(sa.pointee.sa_family) {
            case AF_INET:
                address = sa.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { p in
                    var a = p.pointee.sin_addr
                    return IPAddress(bytes: withUnsafeBytes(of: &a) { Array($0) })
                }
            case AF_INET6:
                address = sa.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { p in
                    var a = p.pointee.sin6_addr
                    return IPAddress(bytes: withUnsafeBytes(of: &a) { Array($0) })
                }
            default: continue
            }
            if !found.contains(address) { found.append(address) }
        }
        return .success(found)
    }

    /// Why a name did not resolve.
    struct ResolveFailure: Error {
        var reason: String
    }
}
