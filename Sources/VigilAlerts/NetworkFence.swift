/// Which addresses a webhook may be sent to: never the always-refused ones (link-local and cloud
/// metadata), never `delivery.denied_networks`, and, when `delivery.allowed_networks` is set,
/// only addresses inside it. Denied wins over allowed. Loopback and private ranges are allowed
/// unless the operator denies them (docs/security.md).
///
/// ```swift
/// var fence = NetworkFence(denied: [CIDRBlock("10.0.0.0/8")!])
/// fence.refusal(of: IPAddress("10.1.2.3")!)?.reason   // "inside delivery.denied_networks 10.0.0.0/8"
/// fence.refusal(of: IPAddress("127.0.0.1")!)  // nil: allowed
/// ```
public struct NetworkFence: Sendable, Equatable {
    /// `delivery.allowed_networks`: when set, an address must be inside one of them.
    public var allowed: [CIDRBlock]?
    /// `delivery.denied_networks`: never sent to.
    public var denied: [CIDRBlock]

    public init(allowed: [CIDRBlock]? = nil, denied: [CIDRBlock] = []) {
        self.allowed = allowed
        self.denied = denied
    }

    /// Refused whatever the configuration says, with the reason.
    public static let alwaysRefused: [(block: CIDRBlock, reason: String)] = [
        (CIDRBlock("169.254.0.0/16")!, "IPv4 link-local, where cloud metadata services answer"),
        (CIDRBlock("fe80::/10")!, "IPv6 link-local"),
        (CIDRBlock("fd00:ec2::254/128")!, "the AWS metadata service over IPv6"),
    ]

    /// Why an address may not be connected to.
    public struct Refusal: Sendable, Equatable, CustomStringConvertible {
        /// `inside delivery.denied_networks 10.0.0.0/8`.
        public var reason: String
        /// False for the always-refused ranges: no setting lets them through.
        public var configurable: Bool
        public var description: String { reason }
    }

    /// Why `address` may not be connected to, or `nil` when it may.
    public func refusal(of address: IPAddress) -> Refusal? {
        if let hit = Self.alwaysRefused.first(where: { $0.block.contains(address) }) {
            return Refusal(reason: "inside \(hit.block) (\(hit.reason)), which Vigil never sends to", configurable: false)
        }
        if let block = denied.first(where: { $0.contains(address) }) {
            return Refusal(reason: "inside delivery.denied_networks \(block)", configurable: true)
        }
        if let allowed, !allowed.contains(where: { $0.contains(address) }) {
            let list = allowed.map(\.description).joined(separator: ", ")
            return Refusal(reason: "outside delivery.allowed_networks (\(list.isEmpty ? "an empty list" : list))", configurable: true)
        }
        return nil
    }
}
