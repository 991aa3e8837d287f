import Synchronization

/// Counts the connections being served and admits a new one only while fewer than
/// `maxConnections` are; shared by every connection of one server.
///
/// ```swift
/// let gate = ConnectionGate(maxConnections: 512)
/// if gate.admit() { channel.closeFuture.whenComplete { _ in gate.release() } } else { /* 503 */ }
/// ```
public final class ConnectionGate: Sendable {
    /// Connections served at once.
    public let maxConnections: Int
    private let open = Atomic<Int>(0)

    public init(maxConnections: Int) {
        self.maxConnections = maxConnections
    }

    /// Takes a place for a new connection; false (and no place taken) when all are taken.
    public func admit() -> Bool {
        var current = open.load(ordering: .relaxed)
        while current < maxConnections {
            let (exchanged, original) = open.compareExchange(expected: current, desired: current + 1, ordering: .acquiringAndReleasing)
            if exchanged { return true }
            current = original
        }
        return false
    }

    /// Gives back the place of a connection that closed.
    public func release() {
        open.subtract(1, ordering: .acquiringAndReleasing)
    }

    /// Connections being served now.
    public var openConnections: Int { open.load(ordering: .relaxed) }
}
