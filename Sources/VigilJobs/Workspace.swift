import Foundation
import VigilAlerts
import VigilCore
import VigilStore

/// `vigil.yaml`: where the store is and where the policies are.
public struct WorkspaceConfig: Sendable, Codable, Equatable {
    /// `sqlite:PATH` (relative to the workspace) or `postgres://USER@HOST:PORT/DATABASE`
    /// (password from `VIGIL_PG_PASSWORD` or `?password_file=PATH`; `?sslmode=require` for TLS).
    public var store: String
    /// Folder of policy files, relative to the workspace.
    public var policies: String
    /// IANA time zone of schedules whose policy names none (default UTC).
    public var timezone: String?
    /// Webhook destinations for alerts (see docs/formats.md).
    public var receivers: [Receiver]
    /// Where Vigil's server is reachable, for report links in alerts.
    public var serverURL: String?
    /// Retry and timeout settings of the alert deliverer.
    public var delivery: DeliverySettings
    /// Where model versions and aliases live: the store (default) or MLflow.
    public var registry: RegistryConfig = RegistryConfig()
    /// How long raw predictions are kept, e.g. `90d`; `nil` (the default) keeps them forever.
    /// The scheduler's `retention` job removes older ones (see ``RetentionOutcome``).
    public var retention: String?

    public init(store: String = "sqlite:.vigil/vigil.db", policies: String = "policies", timezone: String? = nil, receivers: [Receiver] = [],
                serverURL: String? = nil, delivery: DeliverySettings = .init()) {
        self.store = store
        self.policies = policies
        self.timezone = timezone
        self.receivers = receivers
        self.serverURL = serverURL
        self.delivery = delivery
    }

    enum CodingKeys: String, CodingKey, CaseIterable {
        case store, policies, timezone, receivers, delivery, registry, retention
        case serverURL = "server_url"
    }

    /// `server:`, `vigil serve`'s settings: decoded by `ServerSettings` (VigilServer), allowed here.
    static let serverKey = "server"


    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self, alsoAllowing: [Self.serverKey])
        store = try c.decodeIfPresent(String.self, forKey: .store) ?? "sqlite:.vigil/vigil.db"
        policies = try c.decodeIfPresent(String.self, forKey: .policies) ?? "policies"
        timezone = try c.decodeIfPresent(String.self, forKey: .timezone)
        receivers = try c.decodeIfPresent([Receiver].self, forKey: .receivers) ?? []
        serverURL = try c.decodeIfPresent(String.self, forKey: .serverURL)
        delivery = try c.decodeIfPresent(DeliverySettings.self, forKey: .delivery) ?? DeliverySettings()
        registry = try c.decodeIfPresent(RegistryConfig.self, forKey: .registry) ?? RegistryConfig()
        retention = try c.decodeIfPresent(String.self, forKey: .retention)
    }
}

/// A Vigil workspace: a folder with `vigil.yaml`, `policies/` and (for SQLite) `.vigil/`.
public struct Workspace: Sendable {
    /// The folder holding `vigil.yaml`.
    public let root: String
    public let config: WorkspaceConfig

    /// The workspace whose `vigil.yaml` is in `directory` or the nearest parent.
    public static func locate(from directory: String) throws -> Workspace {
        var dir = URL(fileURLWithPath: directory).standardizedFileURL
        while true {
            let candidate = dir.appendingPathComponent("vigil.yaml").path
            if FileManager.default.fileExists(atPath: candidate) {
                return try Workspace(root: dir.path, config: loadConfig(candidate))
            }
            let parent = dir.deletingLastPathComponent()
            if parent.path == dir.path { break }
            dir = parent
        }
        throw JobError("no vigil.yaml in \(directory) or its parents: run `vigil init` to create a workspace, or pass --workspace DIR")
    }

    public init(root: String, config: WorkspaceConfig) {
        self.root = root
        self.config = config
    }

    /// `vigil.yaml` at `path`, decoded; errors name the file and the field.
    public static func loadConfig(_ path: String) throws -> WorkspaceConfig {
        let text = try String(contentsOfFile: path, encoding: .utf8)
        return try ConfigurationFile.decode(WorkspaceConfig.self, from: text, path: path)
    }

    /// Absolute path of `relative` inside the workspace.
    public func path(_ relative: String) -> String {
        relative.hasPrefix("/") ? relative : (root as NSString).appendingPathComponent(relative)
    }

    /// Where rejected input lines from standard input go.
    public var rejectsDirectory: String { path(".vigil/rejects") }

    /// All policies, each checked; errors name the file and the field.
    public func loadPolicies() throws -> [Policy] {
        try PolicyLoader.loadAll(directory: path(config.policies))
    }

    /// The policy of `model`.
    public func policy(for model: String) throws -> Policy {
        let all = try loadPolicies()
        guard let p = all.first(where: { $0.model == model }) else {
            throw JobError("no policy for model '\(model)' in \(path(config.policies)) (models: \(all.map(\.model).joined(separator: ", ")))")
        }
        return p
    }

    /// Receivers, templates and delivery settings from vigil.yaml, checked; with `server_url`,
    /// report links signed with `store`'s report-link secret, which `vigil serve` checks.
    /// Throws when a receiver's `${VAR}` is unset, so a missing secret shows when the setup loads,
    /// not when a notification fails to send.
    public func alertSetup(store: any Store, environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AlertSetup {
        try checkedAlertSetup(environment: environment).signingLinks(store: store)
    }

    /// Receivers, templates and delivery settings from vigil.yaml, checked (the environment of
    /// receivers' placeholders included), without signing report links.
    public func checkedAlertSetup(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> AlertSetup {
        let setup = try AlertSetup(receivers: config.receivers, serverURL: config.serverURL, delivery: config.delivery, workspaceRoot: root)
        try setup.checkEnvironment(environment)
        return setup
    }

    /// The time zone of schedules whose policy names none: `timezone` in vigil.yaml, else UTC.
    /// Every command and `vigil serve` resolve it here, so they agree.
    public func scheduleZone() throws -> TimeZone {
        guard let name = config.timezone else { return TimeZone(identifier: "UTC")! }
        guard let zone = TimeZone(identifier: name) else {
            throw JobError("\(path("vigil.yaml")): timezone: '\(name)' is not an IANA time zone such as Europe/Berlin or UTC")
        }
        return zone
    }

    /// `retention` in milliseconds, or `nil` when raw predictions are kept forever.
    public func retentionMillis() throws -> Int64? {
        guard let text = config.retention else { return nil }
        guard let seconds = WindowLength.seconds(text), seconds >= 86_400 else {
            throw JobError("\(path("vigil.yaml")): retention: '\(text)' is not a length of at least a day, such as 90d or 26w")
        }
        return Int64(seconds) * 1000
    }
}

extension WorkspaceConfig {
    /// The `vigil.yaml` that `vigil init` writes.
    public static let template = """
        # Vigil workspace settings (every key: docs/formats.md). Unknown keys are refused;
        # keys of your own start with x-, e.g. x-owner: ml-platform. `vigil check` checks it all.
        # store: where everything is kept. SQLite by default (path relative to this file).
        store: sqlite:.vigil/vigil.db
        # policies: one YAML file per model (see docs/formats.md).
        policies: policies
        # Alerts (docs/formats.md): where notifications go; secrets as ${ENV_VAR}.
        # server_url: https://vigil.example.com   # for report links in alerts
        # receivers:
        #   - name: team-slack
        #     kind: slack                          # slack teams discord alertmanager pagerduty webhook
        #     url: ${SLACK_WEBHOOK_URL}
        #   - name: oncall-pagerduty
        #     kind: pagerduty
        #     url: https://events.pagerduty.com/v2/enqueue
        #     routing_key: ${PAGERDUTY_ROUTING_KEY}
        #   - name: audit-hook
        #     kind: webhook                        # signed JSON (Standard Webhooks: webhook-id, -timestamp, -signature)
        #     url: https://hooks.example.com/vigil
        #     secret: ${VIGIL_WEBHOOK_SECRET}      # whsec_<base64>: echo whsec_$(head -c 32 /dev/urandom | base64)
        # delivery:
        #   timeout: 15s
        #   max_attempts: 10
        #   max_age: 24h
        #   denied_networks: [10.0.0.0/8]        # never send webhooks there (docs/security.md)
        # Model registry (docs/registry.md): the store (default) or an MLflow tracking server.
        # registry:
        #   backend: mlflow
        #   url: http://127.0.0.1:5000
        #   token: ${MLFLOW_TRACKING_TOKEN}

        """
}
