import Foundation
import VigilCore

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
    /// policy's alert routes, `timezone`, `retention` and `registry.token`. (`vigil.yaml`
    /// itself was checked when the workspace was located.) Throws at the first problem.
    public func checkConfiguration(environment: [String: String] = ProcessInfo.processInfo.environment) throws -> ConfigurationSummary {
        let policies = try loadPolicies()
        let setup = try checkedAlertSetup(environment: environment)
        for policy in policies { _ = try setup.planner(for: policy, actor: "check") }
        _ = try scheduleZone()
        _ = try retentionMillis()
        _ = try registryToken(environment: environment)
        return ConfigurationSummary(models: policies.map(\.model), receivers: setup.receivers.count)
    }
}
