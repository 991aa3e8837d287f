import Foundation
import VigilAlerts
import VigilCore
import VigilRegistry

extension Workspace {
    /// What `vigil check` found valid in the configuration.
    public struct ConfigurationSummary: Sendable, Equatable {
        /// The models whose policies loaded.
        public var models: [String]
        public var receivers: Int
    }

    /// Loads and checks everything the commands read from the workspace's files, so a mistake
    /// shows before a command needs it: every policy (unknown keys and values included), the
    /// receivers, their templates and the environment variables their `${VAR}` name, each
    /// policy's alert routes, every receiver's template rendered with a sample alert,
    /// `timezone`, `retention` and `registry.token`. (`vigil.yaml`
    /// itself was checked when the workspace was located.) Throws at the first problem.
    public func checkConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ConfigurationSummary {
        let policies = try loadPolicies()
        let setup = try checkedAlertSetup(environment: environment)
        for policy in policies { _ = try setup.planner(for: policy, actor: "check") }
        try setup.renderSamples(now: Timestamp.millis(Date()))
        _ = try scheduleZone()
        _ = try retentionMillis()
        _ = try registryToken(environment: environment)
        return ConfigurationSummary(models: policies.map(\.model), receivers: setup.receivers.count)
    }

    /// Whether the configured MLflow registry answers, as `vigil check` prints it: `nil` for the
    /// embedded registry (the store), else the line and whether it is only a warning. An
    /// unreachable registry is a warning, not an error: monitoring works without it, only
    /// retraining and promotions need it.
    public func registryReachability(environment: [String: String] = ProcessInfo.processInfo.environment, timeout: Double = 5) -> (reachable: Bool, line: String)? {
        let r = config.registry
        guard r.backend == "mlflow", let url = r.url else { return nil }
        do {
            try MLflowRegistry(baseURL: url, token: try registryToken(environment: environment), timeout: timeout).probe()
            return (true, "registry: MLflow at \(url) answers")
        } catch {
            return (false, "warning: registry: \(error) (retraining and promotions need it; monitoring goes on without it)")
        }
    }
}
