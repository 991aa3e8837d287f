import Foundation
import VigilAlerts
import VigilCore
import VigilRegistry
import VigilStore

/// `vigil.yaml`'s `registry:` section.
///
/// ```yaml
/// registry:
///   backend: mlflow              # or embedded (the default: the store)
///   url: http://127.0.0.1:5000
///   token: ${MLFLOW_TRACKING_TOKEN}
/// ```
public struct RegistryConfig: Sendable, Codable, Equatable {
    public var backend: String
    public var url: String?
    public var token: String?

    public init(backend: String = "embedded", url: String? = nil, token: String? = nil) {
        self.backend = backend
        self.url = url
        self.token = token
    }

    enum CodingKeys: String, CodingKey, CaseIterable { case backend, url, token }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
        backend = try c.decodeIfPresent(String.self, forKey: .backend) ?? "embedded"
        url = try c.decodeIfPresent(String.self, forKey: .url)
        token = try c.decodeIfPresent(String.self, forKey: .token)
    }
}

extension Workspace {
    /// The configured registry backend over `store`.
    public func modelRegistry(store: any Store) throws -> any ModelRegistry {
        let r = config.registry
        switch r.backend {
        case "embedded": return EmbeddedRegistry(store: store)
        case "mlflow":
            guard let url = r.url else { throw JobError("vigil.yaml: registry.url: give the MLflow tracking server, e.g. http://127.0.0.1:5000") }
            return try MLflowRegistry(baseURL: url, token: try registryToken())
        default:
            throw JobError("vigil.yaml: registry.backend: '\(r.backend)' is not embedded or mlflow")
        }
    }

    /// The scheduler's jobs for this workspace: alerts and retention as vigil.yaml says, and
    /// retraining that writes under the workspace and registers where vigil.yaml says. `vigil
    /// tick` and `vigil serve` both schedule with it; `store` is the store they schedule on.
    public func jobRegistry(store: any Store) throws -> JobRegistry {
        let workspace = self
        return .standard(alerts: try alertSetup(store: store), workspaceRoot: root, registry: { try workspace.modelRegistry(store: $0) },
                         retention: try retentionMillis())
    }

    /// `registry.token` with its `${VAR}` placeholders expanded (`nil` when none is configured or it is empty by an explicit `${VAR:-}`);
    /// throws naming the variable when it is unset or empty.
    public func registryToken(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String? {
        guard let token = config.registry.token else { return nil }
        let expanded: String
        do {
            expanded = try EnvironmentText.expand(token, environment: environment, field: "\(path("vigil.yaml")): registry.token")
        } catch {
            throw JobError(error.description)
        }
        return expanded.isEmpty ? nil : expanded
    }

    /// Where retraining jobs keep their files and where artifacts are stored.
    public var artifactStore: ArtifactStore { ArtifactStore(root: path(".vigil/artifacts")) }

    /// A retraining job runner for this workspace: the configured registry, notices through `policy`'s alert routes.
    public func retrainJob(store: any Store, policy: Policy, clock: any VigilClock, actor: String) throws -> RetrainJob {
        let notify = Promotion.notifier(store: store, setup: try alertSetup(store: store), policy: policy, clock: clock, actor: actor)
        return RetrainJob(store: store, workspaceRoot: root, registry: try modelRegistry(store: store), clock: clock, actor: actor, notify: notify)
    }

    /// Promotions and rollbacks for `policy`'s model, notified through its alert routes.
    public func promotion(store: any Store, policy: Policy, clock: any VigilClock, actor: String) throws -> Promotion {
        Promotion(registry: try modelRegistry(store: store),
                  notify: Promotion.notifier(store: store, setup: try alertSetup(store: store), policy: policy, clock: clock, actor: actor), actor: actor,
                  newBaseline: BaselineWindow.atNewChampion(store: store, policy: policy, actor: actor))
    }
}
