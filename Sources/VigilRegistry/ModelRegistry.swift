import Foundation
import VigilCore
import VigilStore

/// Where model versions, their verdicts and their aliases live: the embedded registry (the
/// store) or MLflow's Model Registry. ``Promotion`` drives either one.
///
/// ```swift
/// let registry: any ModelRegistry = EmbeddedRegistry(store: store)
/// let v = try registry.register(draft, actor: "cli", now: now)
/// ```
public protocol ModelRegistry: Sendable {
    /// Registers a new candidate version; the backend numbers it.
    func register(_ draft: ModelVersionDraft, actor: String, now: Int64) throws -> ModelVersion
    /// Every version of `model`, oldest first.
    func versions(model: String) throws -> [ModelVersion]
    /// One version, or `nil`.
    func version(model: String, version: Int) throws -> ModelVersion?
    /// Stores a gate verdict with the version (model card / tags) and, when given, a new state.
    func recordVerdict(_ verdict: GateVerdict, card: String, state: VersionState?, actor: String, now: Int64) throws
    /// The version an alias points to, or `nil`.
    func alias(_ name: String, model: String) throws -> Int?
    /// Moves an alias when it still points to `request.expected`; throws ``RegistryConflict`` otherwise.
    func moveAlias(_ request: AliasMoveRequest) throws -> AliasMove
    /// Alias moves, newest first.
    func history(model: String?, limit: Int) throws -> [AliasMove]
}

/// The embedded registry: versions, aliases and history in Vigil's own store. Alias moves are
/// one `BEGIN IMMEDIATE` transaction each, so concurrent promotions are serialised.
public struct EmbeddedRegistry: ModelRegistry {
    public let store: any Store

    public init(store: any Store) { self.store = store }

    public func register(_ draft: ModelVersionDraft, actor: String, now: Int64) throws -> ModelVersion {
        try store.registerVersion(draft, now: now, actor: actor)
    }

    public func versions(model: String) throws -> [ModelVersion] { try store.modelVersions(model: model) }

    public func version(model: String, version: Int) throws -> ModelVersion? { try store.modelVersion(model: model, version: version) }

    public func recordVerdict(_ verdict: GateVerdict, card: String, state: VersionState?, actor: String, now: Int64) throws {
        try store.updateVersion(model: verdict.model, version: verdict.candidate, state: state, card: card, now: now, actor: actor)
    }

    public func alias(_ name: String, model: String) throws -> Int? { try store.aliases(model: model)[name] }

    public func moveAlias(_ request: AliasMoveRequest) throws -> AliasMove { try store.moveAlias(request) }

    public func history(model: String?, limit: Int) throws -> [AliasMove] { try store.aliasHistory(model: model, limit: limit) }
}
