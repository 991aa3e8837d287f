import Foundation
import VigilCore

/// The webhook formats Vigil can send.
public enum ReceiverKind: String, Sendable, Codable, CaseIterable {
    case slack, teams, discord, alertmanager, pagerduty, webhook

    /// True for formats that take one alert per request (PagerDuty: one incident per `dedup_key`).
    public var isPerAlert: Bool { self == .pagerduty }
}

/// A webhook destination from `vigil.yaml`.
///
/// ```yaml
/// receivers:
///   - name: team-slack
///     kind: slack
///     url: ${SLACK_WEBHOOK_URL}        # secrets as ${ENV_VAR}, expanded at send time
///   - name: oncall
///     kind: pagerduty
///     url: https://events.pagerduty.com/v2/enqueue
///     routing_key: ${PAGERDUTY_ROUTING_KEY}
///   - name: audit
///     kind: webhook
///     url: https://hooks.example.com/vigil
///     secret: ${VIGIL_WEBHOOK_SECRET}  # whsec_<base64>: signs per Standard Webhooks
///     template: alerts/audit.mustache  # optional: your own copy of alerts/webhook.mustache
/// ```
public struct Receiver: Sendable, Codable, Equatable {
    public var name: String
    public var kind: ReceiverKind
    /// Where to POST; may contain `${VAR}` placeholders.
    public var url: String
    /// `webhook`: the signing secret (`whsec_…`), usually `${VAR}`.
    public var secret: String?
    /// `pagerduty`: the integration's routing key, usually `${VAR}`.
    public var routingKey: String?
    /// A template file (relative to the workspace) instead of `alerts/<kind>.mustache`.
    public var template: String?

    public init(name: String, kind: ReceiverKind, url: String, secret: String? = nil, routingKey: String? = nil, template: String? = nil) {
        self.name = name
        self.kind = kind
        self.url = url
        self.secret = secret
        self.routingKey = routingKey
        self.template = template
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case name, kind, url, secret, template
        case routingKey = "routing_key"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        name = try c.decode(String.self, forKey: .name)
        kind = try c.decode(ReceiverKind.self, forKey: .kind)
        url = try c.decode(String.self, forKey: .url)
        secret = try c.decodeIfPresent(String.self, forKey: .secret)
        routingKey = try c.decodeIfPresent(String.self, forKey: .routingKey)
        template = try c.decodeIfPresent(String.self, forKey: .template)
    }
}

/// `${VAR}` placeholders, expanded from the environment only when a request is built, so that
/// secrets never reach the store, the outbox or the logs (``AlertSetup/checkEnvironment(_:)``
/// reports a missing variable up front). The rule is ``EnvironmentText``'s.
public enum SecretText {
    /// `text` with every `${VAR}` replaced by the variable's value; throws naming the missing variable.
    public static func expand(_ text: String, environment: [String: String], field: String) throws -> String {
        do {
            return try EnvironmentText.expand(text, environment: environment, field: field)
        } catch {
            throw AlertError(error.description)
        }
    }
}

extension Receiver {
    /// The fields that may hold `${VAR}` placeholders, as `(field name, value)`.
    public var placeholderFields: [(field: String, value: String)] {
        [("url", url), ("secret", secret), ("routing_key", routingKey)].compactMap { name, value in value.map { (name, $0) } }
    }
}

/// How the deliverer retries, from `delivery:` in `vigil.yaml` (every field optional).
///
/// ```yaml
/// delivery:
///   timeout: 15s         # per request
///   max_attempts: 10     # then dead-letter
///   max_age: 24h         # or when the notification is this old
///   backoff_base: 5s     # full jitter: wait random(0, min(cap, base·2^attempt))
///   backoff_cap: 2h
///   lease: 5m            # how long a deliverer holds the rows it claimed
///   workers: 4           # receivers served at once (each receiver stays in order)
///   denied_networks: [10.0.0.0/8]      # never send there (CIDR blocks)
///   allowed_networks: [192.168.0.0/16] # if set, send only there; denied wins
/// ```
public struct DeliverySettings: Sendable, Codable, Equatable {
    public var timeout: Double
    public var maxAttempts: Int
    public var maxAge: Double
    public var backoffBase: Double
    public var backoffCap: Double
    public var lease: Double
    public var workers: Int
    /// Rows claimed per receiver at a time.
    public var batch: Int
    /// `allowed_networks`: when set, receivers' addresses must be inside one of these.
    public var allowedNetworks: [CIDRBlock]?
    /// `denied_networks`: receivers' addresses never inside these.
    public var deniedNetworks: [CIDRBlock] = []

    /// Where webhooks may go: the always-refused ranges, then ``deniedNetworks`` and ``allowedNetworks``.
    public var fence: NetworkFence { NetworkFence(allowed: allowedNetworks, denied: deniedNetworks) }

    public init(timeout: Double = 15, maxAttempts: Int = 10, maxAge: Double = 86_400, backoffBase: Double = 5, backoffCap: Double = 7_200,
                lease: Double = 300, workers: Int = 4, batch: Int = 100) {
        self.timeout = timeout
        self.maxAttempts = maxAttempts
        self.maxAge = maxAge
        self.backoffBase = backoffBase
        self.backoffCap = backoffCap
        self.lease = lease
        self.workers = workers
        self.batch = batch
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case timeout, lease, workers, batch
        case maxAttempts = "max_attempts", maxAge = "max_age", backoffBase = "backoff_base", backoffCap = "backoff_cap"
        case allowedNetworks = "allowed_networks", deniedNetworks = "denied_networks"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        let d = DeliverySettings()
        func seconds(_ key: CodingKeys, _ fallback: Double) throws -> Double {
            guard let text = try c.decodeIfPresent(String.self, forKey: key) else { return fallback }
            guard let s = Self.seconds(text) else {
                throw DecodingError.dataCorruptedError(forKey: key, in: c, debugDescription: "'\(text)' is not a duration such as 500ms, 15s, 5m or 2h")
            }
            return s
        }
        timeout = try seconds(.timeout, d.timeout)
        maxAge = try seconds(.maxAge, d.maxAge)
        backoffBase = try seconds(.backoffBase, d.backoffBase)
        backoffCap = try seconds(.backoffCap, d.backoffCap)
        lease = try seconds(.lease, d.lease)
        maxAttempts = try c.decodeIfPresent(Int.self, forKey: .maxAttempts) ?? d.maxAttempts
        workers = try c.decodeIfPresent(Int.self, forKey: .workers) ?? d.workers
        batch = try c.decodeIfPresent(Int.self, forKey: .batch) ?? d.batch
        allowedNetworks = try c.decodeIfPresent([CIDRBlock].self, forKey: .allowedNetworks)
        deniedNetworks = try c.decodeIfPresent([CIDRBlock].self, forKey: .deniedNetworks) ?? []
    }

    /// Seconds for `500ms`, `15s`, `5m`, `2h`, `1d`; `nil` otherwise.
    public static func seconds(_ text: String) -> Double? {
        if text.hasSuffix("ms"), let ms = Double(text.dropLast(2)), ms > 0 { return ms / 1000 }
        return WindowLength.seconds(text).map(Double.init)
    }
}

/// An alerting error meant for the person running Vigil: what, where, what to do.
public struct AlertError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
