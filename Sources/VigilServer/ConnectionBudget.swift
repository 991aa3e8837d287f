#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// How many connections `vigil serve` can hold without running out of file descriptors.
///
/// Every connection is a descriptor. When the process reaches its file limit (RLIMIT_NOFILE),
/// `accept` fails and the server stops answering everyone, `/healthz` included. The budget
/// keeps `server.max_connections` plus the connections being turned away with 503
/// (``rejectionSlots``) plus the descriptors the rest of the process needs (``reservedDescriptors``:
/// the listening socket, the event loops, the store, log files) under that limit.
///
/// ```swift
/// let budget = ConnectionBudget(requested: settings.maxConnections, fileLimit: ConnectionBudget.currentFileLimit())
/// if let note = budget.loweredNote { logger.warning("\(note)") }
/// ```
public struct ConnectionBudget: Sendable, Equatable {
    /// Descriptors kept for everything that is not a client connection.
    public static let reservedDescriptors = 64
    /// Connections that may be open at once while being answered 503 (beyond the cap); more
    /// wait in the listen backlog until one of them is closed.
    public static let rejectionSlots = 32

    /// `server.max_connections` as configured.
    public var requested: Int
    /// The soft RLIMIT_NOFILE, or nil when unknown or unlimited.
    public var fileLimit: Int?
    /// Connections served at once: `requested`, lowered to fit `fileLimit` (at least 1).
    public var maxConnections: Int

    public init(requested: Int, fileLimit: Int?) {
        self.requested = requested
        self.fileLimit = fileLimit
        if let fileLimit {
            let fits = fileLimit - Self.reservedDescriptors - Self.rejectionSlots
            maxConnections = max(1, min(requested, fits))
        } else {
            maxConnections = requested
        }
    }

    /// Connections accepted at once, served or being answered 503; past this the server stops
    /// accepting until one closes.
    public var maxAccepted: Int { maxConnections + Self.rejectionSlots }

    /// What to log when the cap was lowered, saying how to get the configured one back; nil when
    /// it was not.
    public var loweredNote: String? {
        guard maxConnections < requested, let fileLimit else { return nil }
        let needed = requested + Self.reservedDescriptors + Self.rejectionSlots
        return "server.max_connections lowered from \(requested) to \(maxConnections) to fit the file limit of \(fileLimit) "
            + "descriptors (RLIMIT_NOFILE); to serve \(requested), raise it to at least \(needed) (`ulimit -n \(needed)`, "
            + "or LimitNOFILE= in the systemd unit) or lower server.max_connections"
    }

    /// The process's soft RLIMIT_NOFILE, or nil when unlimited or unreadable.
    public static func currentFileLimit() -> Int? {
        var limit = rlimit()
        #if canImport(Glibc)
        let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
        #else
        let resource = RLIMIT_NOFILE
        #endif
        guard getrlimit(resource, &limit) == 0, limit.rlim_cur != rlim_t.max else { return nil }
        return Int(clamping: limit.rlim_cur)
    }
}
