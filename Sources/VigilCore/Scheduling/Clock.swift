import Foundation

/// The source of "now" for everything that depends on time: windows, leases, schedules.
///
/// Nothing in Vigil reads the system clock directly; it asks a `VigilClock`. Production code
/// passes a ``SystemClock``, tests and simulations a ``FixedClock`` they move themselves.
///
/// ```swift
/// let clock = FixedClock(Date(timeIntervalSince1970: 1_790_000_000))
/// let window = TimeWindow.last(.days(7), endingAt: clock.now)
/// ```
public protocol VigilClock: Sendable {
    /// The current instant.
    var now: Date { get }
}

/// The wall clock.
public struct SystemClock: VigilClock {
    public init() {}
    public var now: Date { Date() }
}

/// A clock that stands still until it is moved; for tests and simulated time.
public final class FixedClock: VigilClock, @unchecked Sendable {
    private let lock = NSLock()
    private var current: Date

    /// A clock that reads `date` until ``advance(by:)`` or ``set(_:)`` moves it.
    public init(_ date: Date) { current = date }

    public var now: Date { lock.withLock { current } }

    /// Moves the clock forward by `seconds`.
    public func advance(by seconds: TimeInterval) { lock.withLock { current += seconds } }

    /// Sets the clock to `date`.
    public func set(_ date: Date) { lock.withLock { current = date } }
}
