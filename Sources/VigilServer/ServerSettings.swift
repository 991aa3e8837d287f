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
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        var s = ServerSettings()
        s.host = try c.decodeIfPresent(String.self, forKey: .host) ?? s.host
        s.port = try c.decodeIfPresent(Int.self, forKey: .port) ?? s.port
        s.maxBodyBytes = try c.decodeIfPresent(Int.self, forKey: .maxBodyBytes) ?? s.maxBodyBytes
        s.maxDecodedBytes = try c.decodeIfPresent(Int.self, forKey: .maxDecodedBytes) ?? s.maxDecodedBytes
        s.maxItems = try c.decodeIfPresent(Int.self, forKey: .maxItems) ?? s.maxItems
        for (key, path) in [(CodingKeys.schedulerInterval, \ServerSettings.schedulerInterval), (.deliveryInterval, \.deliveryInterval),
                            (.reviewLease, \.reviewLease), (.tokenCacheSeconds, \.tokenCacheSeconds)] {
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
