import Foundation
import VigilCore
import VigilJobs

/// The `server:` block of `vigil.yaml`: where `vigil serve` listens and its limits.
///
/// ```yaml
/// server:
///   host: 127.0.0.1
///   port: 8080
///   max_body_bytes: 16777216      # a request body as sent (gzip or not): larger is 413
///   max_decoded_bytes: 67108864   # after gzip decoding: larger is 413
///   max_items: 10000              # predictions or labels per request: more is 413
///   scheduler_interval: 60s       # how often the scheduler looks for due jobs
///   delivery_interval: 5s         # how often the alert deliverer looks for due notifications
///   review_lease: 15m             # how long a review claim lasts before it must be renewed
///   metrics_auth: token           # /metrics needs a read or metrics token; none: open (trusted network only)
///   header_timeout: 10s           # a request's headers must arrive whole within this, else 408 and close
///   idle_timeout: 60s             # a keep-alive connection with no request for this long is closed
///   max_connections: 512          # open connections at once; more get 503 (lowered to fit the file limit)
/// ```
public struct ServerSettings: Sendable, Equatable, Decodable {
    public var host = "127.0.0.1"
    public var port = 8080
    public var maxBodyBytes = 16 << 20
    public var maxDecodedBytes = 64 << 20
    public var maxItems = 10_000
    /// Seconds between scheduler ticks.
    public var schedulerInterval: Int64 = 60
    /// Seconds between delivery passes.
    public var deliveryInterval: Int64 = 5
    /// Seconds a review claim lasts.
    public var reviewLease: Int64 = 900
    /// Seconds a verified token stays cached (a revocation takes at most this long to bite).
    public var tokenCacheSeconds: Int64 = 5
    /// Whether `GET /metrics` needs a token.
    public var metricsAuth: MetricsAuth = .token
    /// Seconds a request's headers have to arrive completely, counted from its first byte (or
    /// from accepting the connection), however slowly the bytes trickle.
    public var headerTimeout: Int64 = 10
    /// Seconds a keep-alive connection may wait for its next request before it is closed.
    public var idleTimeout: Int64 = 60
    /// Connections served at once; one more is answered 503 and closed. `vigil serve` lowers it
    /// when the process's file limit (RLIMIT_NOFILE) cannot hold it (``ConnectionBudget``).
    public var maxConnections = 512

    public init() {}

    enum CodingKeys: String, CodingKey, CaseIterable {
        case host, port
        case maxBodyBytes = "max_body_bytes"
        case maxDecodedBytes = "max_decoded_bytes"
        case maxItems = "max_items"
        case schedulerInterval = "scheduler_interval"
        case deliveryInterval = "delivery_interval"
        case reviewLease = "review_lease"
        case tokenCacheSeconds = "token_cache"
        case metricsAuth = "metrics_auth"
        case headerTimeout = "header_timeout"
        case idleTimeout = "idle_timeout"
        case maxConnections = "max_connections"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        var s = ServerSettings()
        s.host = try c.decodeIfPresent(String.self, forKey: .host) ?? s.host
        s.port = try c.decodeIfPresent(Int.self, forKey: .port) ?? s.port
        s.maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? s.maxBodyBytes
        s.maxDecodedBytes = try c.decodeIfPresent(Int.self, forKey: .maxDecodedBytes) ?? s.maxDecodedBytes
        s.maxItems = try c.decodeIfPresent(Int.self, forKey: .maxItems) ?? s.maxItems
        s.maxConnections = try c.decodeIfPresent(Int.self, forKey: .maxConnections) ?? s.maxConnections
        for (key, path) in [(CodingKeys.schedulerInterval, \ServerSettings.schedulerInterval), (.deliveryInterval, \.deliveryInterval),
                            (.reviewLease, \.reviewLease), (.tokenCacheSeconds, \.tokenCacheSeconds),
                            (.headerTimeout, \.headerTimeout), (.idleTimeout, \.idleTimeout)] {
            guard let text = try c.decodeIfPresent(String.self, forKey: key) else { continue }
            guard let seconds = WindowLength.seconds(text), seconds >= 0 else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "'\(text)' is not a duration such as 30s, 5m or 1h")
            }
            s[keyPath: path] = seconds
        }
        if let text = try c.decodeIfPresent(String.self, forKey: .metricsAuth) {
            guard let auth = MetricsAuth(rawValue: text) else {
                throw DecodingError.dataCorruptedError(forKey: .metricsAuth, in: c, debugDescription:
                    "'\(text)' is not allowed; use one of \(MetricsAuth.allCases.map(\.rawValue).joined(separator: ", "))")
            }
            s.metricsAuth = auth
        }
        guard s.maxConnections >= 1 else {
            throw DecodingError.dataCorruptedError(forKey: .maxConnections, in: c, debugDescription:
                "max_connections must be at least 1 (it is \(s.maxConnections)); the default is 512")
        }
        guard (1...65535).contains(s.port) else {
            throw DecodingError.dataCorruptedError(forKey: .port, in: c, debugDescription: "port \(s.port) is not between 1 and 65535")
        }
        self = s
    }

    /// The `server:` block of the workspace's `vigil.yaml`, or the defaults.
    public static func load(_ workspace: Workspace) throws -> ServerSettings {
        struct File: Decodable { var server: ServerSettings? }
        let path = workspace.path("vigil.yaml")
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try ConfigurationFile.decode(File.self, from: text, path: path).server ?? ServerSettings()
    }
}
