import Foundation
import VigilCore
import VigilStore

/// Everything alerting needs from `vigil.yaml`, checked once: receivers, their parsed templates,
/// the report links (the server URL, signed with the store's secret) and the delivery settings.
///
/// ```swift
/// let setup = try AlertSetup(receivers: config.receivers, serverURL: config.serverURL, delivery: config.delivery, workspaceRoot: root)
///     .signingLinks(store: store)
/// let planner = try setup.planner(for: policy, actor: "cli")
/// ```
public struct AlertSetup: Sendable {
    public var receivers: [Receiver]
    public var templates: TemplateSet
    /// Report links under `server_url`, or `nil` without one.
    public var links: ReportLinks?
    public var delivery: DeliverySettings

    /// Checks the receivers (unique names, an http(s) URL each whose host, if written as an
    /// address, passes `delivery`'s fence, a `whsec_` secret when signing, a routing key for
    /// PagerDuty) and parses their templates. Errors name the receiver and the field. Nothing
    /// is resolved or connected to: names are checked when sending (``ReceiverTarget``).
    public init(receivers: [Receiver], serverURL: String?, delivery: DeliverySettings, workspaceRoot: String?) throws {
        var seen = Set<String>()
        for r in receivers {
            let at = "vigil.yaml: receivers[\(r.name)]"
            guard !r.name.isEmpty else { throw AlertError("vigil.yaml: receivers: every receiver needs a name") }
            guard seen.insert(r.name).inserted else { throw AlertError("\(at): the name is used twice; names must be unique") }
            guard !r.url.isEmpty else { throw AlertError("\(at).url: give the webhook URL (secrets as ${ENV_VAR})") }
            if !r.url.contains("${") { try ReceiverTarget.check(r.url, receiver: r.name, fence: delivery.fence) }
            if r.kind == .pagerduty, r.routingKey == nil { throw AlertError("\(at).routing_key: PagerDuty needs the integration's routing key, e.g. ${PAGERDUTY_ROUTING_KEY}") }
            if let s = r.secret, !s.contains("${") { _ = try StandardWebhookSignature(secret: s) }
        }
        if delivery.maxAttempts < 1 { throw AlertError("vigil.yaml: delivery.max_attempts: must be at least 1") }
        if delivery.workers < 1 { throw AlertError("vigil.yaml: delivery.workers: must be at least 1") }
        self.receivers = receivers
        self.links = ReportLinks(serverURL: serverURL)
        self.delivery = delivery
        self.templates = try TemplateSet(receivers: receivers, workspaceRoot: workspaceRoot)
    }

    /// The same setup whose report links are signed with `store`'s report-link secret (made
    /// and stored on first use), so they open without a token: every process that builds
    /// notifications and `vigil serve`, which checks them, share it through the store.
    /// Without a server URL there are no links and the store is not asked.
    public func signingLinks(store: any TokenStore) throws -> AlertSetup {
        guard var links else { return self }
        links.secret = try store.reportLinkSecret(candidate: ReportLinks.newSecret())
        var signed = self
        signed.links = links
        return signed
    }

    /// Throws when a receiver's `${VAR}` placeholder cannot be expanded from `environment`, naming
    /// the receiver, the field and the variable: the check sending would otherwise fail at.
    /// A URL with placeholders is checked as ``init(receivers:serverURL:delivery:workspaceRoot:)``
    /// checks the others, once expanded. Nothing is kept: secrets are still expanded only when a
    /// request is built.
    public func checkEnvironment(_ environment: [String: String]) throws {
        for r in receivers {
            for (field, value) in r.placeholderFields {
                let expanded = try SecretText.expand(value, environment: environment, field: "vigil.yaml: receivers[\(r.name)].\(field)")
                if field == "url", value.contains("${") { try ReceiverTarget.check(expanded, receiver: r.name, fence: delivery.fence) }
            }
        }
    }

    /// No receivers: alert state is kept, nothing is sent.
    public static func silent() -> AlertSetup {
        // Cannot fail: no receivers, no templates to parse.
        try! AlertSetup(receivers: [], serverURL: nil, delivery: DeliverySettings(), workspaceRoot: nil)
    }

    /// The planner for one model's policy; throws when a route names an unknown receiver.
    public func planner(for policy: Policy, actor: String) throws -> AlertPlanner {
        let names = Set(receivers.map(\.name))
        for (i, route) in policy.alerts.routes.enumerated() {
            for name in route.receivers where !names.contains(name) {
                throw AlertError("policy of '\(policy.model)': alerts.routes[\(i)].receivers: no receiver '\(name)' in vigil.yaml (receivers: \(names.sorted().joined(separator: ", ")))")
            }
        }
        return AlertPlanner(routing: policy.alerts, receivers: receivers, templates: templates, links: links, actor: actor)
    }

    /// The receiver called `name`.
    public func receiver(_ name: String) throws -> Receiver {
        guard let r = receivers.first(where: { $0.name == name }) else {
            throw AlertError("no receiver '\(name)' in vigil.yaml (receivers: \(receivers.map(\.name).joined(separator: ", ")))")
        }
        return r
    }
}
