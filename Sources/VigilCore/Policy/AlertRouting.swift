/// The `alerts:` section of a policy: who hears about this model's findings, and how often.
///
/// ```yaml
/// alerts:
///   repeat_interval: 24h       # re-send a still-firing alert this often (default 24h)
///   send_resolved: true        # tell receivers when an alert clears (default true)
///   resolve_after: 2           # evaluations in a row that must clear a firing alert (default 2)
///   routes:
///     - receivers: [team-slack]
///       severity: [warning, critical]
///     - receivers: [oncall-pagerduty]
///       severity: [critical]
///       models: [shelf-classifier]   # optional; default every model the policy covers
/// ```
public struct AlertRouting: Sendable, Equatable, Codable {
    /// Seconds between repeats of an unchanged firing alert.
    public var repeatInterval: String
    public var sendResolved: Bool
    /// Flap damping: a firing alert resolves only after this many evaluations in a row clear it.
    public var resolveAfter: Int
    public var routes: [AlertRoute]

    public init(repeatInterval: String = "24h", sendResolved: Bool = true, resolveAfter: Int = 2, routes: [AlertRoute] = []) {
        self.repeatInterval = repeatInterval
        self.sendResolved = sendResolved
        self.resolveAfter = resolveAfter
        self.routes = routes
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case routes
        case repeatInterval = "repeat_interval"
        case sendResolved = "send_resolved"
        case resolveAfter = "resolve_after"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        repeatInterval = try c.decodeIfPresent(String.self, forKey: .repeatInterval) ?? "24h"
        sendResolved = try c.decodeIfPresent(Bool.self, forKey: .sendResolved) ?? true
        resolveAfter = try c.decodeIfPresent(Int.self, forKey: .resolveAfter) ?? 2
        routes = try c.decodeIfPresent([AlertRoute].self, forKey: .routes) ?? []
    }

    /// ``repeatInterval`` in seconds (24 h when it does not parse; ``problems()`` reports that).
    public var repeatSeconds: Int64 { WindowLength.seconds(repeatInterval) ?? 24 * 3600 }

    /// The receivers an alert of `model` at `severity` goes to, in route order, each once.
    public func receivers(model: String, severity: Severity) -> [String] {
        var out: [String] = []
        for r in routes where r.matches(model: model, severity: severity) {
            for name in r.receivers where !out.contains(name) { out.append(name) }
        }
        return out
    }

    /// Problems to fix, each naming the field under `alerts`.
    public func problems() -> [String] {
        var out: [String] = []
        if WindowLength.seconds(repeatInterval) == nil {
            out.append("alerts.repeat_interval: '\(repeatInterval)' is not a length such as 4h or 30m")
        }
        if !(1...100).contains(resolveAfter) { out.append("alerts.resolve_after: must be between 1 and 100 (evaluations in a row that clear an alert)") }
        for (i, r) in routes.enumerated() {
            if r.receivers.isEmpty { out.append("alerts.routes[\(i)].receivers: name at least one receiver from vigil.yaml") }
            for s in r.severity where !s.alerts {
                out.append("alerts.routes[\(i)].severity: '\(s.rawValue)' is never an alert; use info, warning and/or critical")
            }
        }
        return out
    }
}

/// One route: alerts whose severity (and model) match go to `receivers`.
public struct AlertRoute: Sendable, Equatable, Codable {
    /// Receiver names from `vigil.yaml`.
    public var receivers: [String]
    /// Severities this route takes (default: warning and critical).
    public var severity: [Severity]
    /// Models this route takes (default: all).
    public var models: [String]?

    public init(receivers: [String], severity: [Severity] = [.warning, .critical], models: [String]? = nil) {
        self.receivers = receivers
        self.severity = severity
        self.models = models
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case receivers, severity, models }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        receivers = try c.decode([String].self, forKey: .receivers)
        severity = try c.decodeIfPresent([Severity].self, forKey: .severity) ?? [.warning, .critical]
        models = try c.decodeIfPresent([String].self, forKey: .models)
    }

    /// True when an alert of `model` at `severity` takes this route.
    public func matches(model: String, severity s: Severity) -> Bool {
        severity.contains(s) && (models.map { $0.contains(model) || $0.contains("*") } ?? true)
    }
}
