import Foundation
import Hummingbird
import VigilCore
import VigilJobs
import VigilRegistry
import VigilStore

/// The model registry over HTTP: reads with scope `read` — `GET /v1/models/{model}/versions`
/// (versions and aliases), `GET /v1/models/{model}/versions/{version}` (one version with its
/// model card and lineage), `GET /v1/models/{model}/aliases/history` (every alias move) — and,
/// with scope `admin`, `POST …/versions/{version}/gate` (judge the candidate against the
/// champion on its job's holdout) and `POST …/versions/{version}/promote` (through the gate,
/// or `{"override_reason": "…"}` to override it, recorded and notified). The token's name is
/// the actor in the history.
enum RegistryRoutes: RouteGroup {
    static func register(on routes: APIRoutes) {
        routes.on(.get, "/v1/models/{model}/versions", scope: .read) { _, context, env in
            let (policy, registry) = try setup(context, env)
            let (versions, aliases) = try await Blocking.run { (try registry.versions(model: policy.model), try env.reader.aliases(model: policy.model)) }
            struct Body: Encodable { var model: String; var aliases: [String: Int]; var versions: [ModelVersion] }
            return try .json(Body(model: policy.model, aliases: aliases, versions: versions))
        }
        routes.on(.get, "/v1/models/{model}/versions/{version}", scope: .read) { _, context, env in
            let (policy, registry) = try setup(context, env)
            let number = try version(context)
            guard let v = try await Blocking.run({ try registry.version(model: policy.model, version: number) }) else { throw noVersion(policy, number) }
            return try .json(v)
        }
        routes.on(.get, "/v1/models/{model}/aliases/history", scope: .read) { request, context, env in
            let (policy, registry) = try setup(context, env)
            let limit = try ModelRoutes.boundedInt(request.uri.queryParameters["limit"].map(String.init), name: "limit", default: 100, range: 1...1000)
            let moves = try await Blocking.run { try registry.history(model: policy.model, limit: limit) }
            struct Body: Encodable { var model: String; var moves: [AliasMove] }
            return try .json(Body(model: policy.model, moves: moves))
        }
        routes.on(.post, "/v1/models/{model}/versions/{version}/gate", scope: .admin) { _, context, env in
            let (policy, registry) = try setup(context, env)
            let (number, actor, workspace) = (try await existingVersion(context, policy, registry), try ReviewRoutes.reviewerName(context), try env.requireWorkspace())
            let verdict = try await registryCall {
                try RegistryCommands.gate(ws: workspace, store: env.store, clock: env.clock, policy: policy, version: number, actor: actor)
            }
            return .json(verdict.json)
        }
        routes.on(.post, "/v1/models/{model}/versions/{version}/promote", scope: .admin) { request, context, env in
            let (policy, registry) = try setup(context, env)
            struct PromoteBody: Decodable { var overrideReason: String? }
            let body = try await BodyReader.json(PromoteBody.self, request, settings: env.settings)
            let number = try await existingVersion(context, policy, registry)
            let (actor, workspace, now) = (try ReviewRoutes.reviewerName(context), try env.requireWorkspace(), env.nowMillis)
            let move = try await registryCall {
                try workspace.promotion(store: env.store, policy: policy, clock: env.clock, actor: actor)
                    .promote(model: policy.model, version: number, overrideReason: body.overrideReason, now: now)
            }
            return try .json(move)
        }
    }

    /// The model's policy and its registry backend, or a 404 / 503.
    static func setup(_ context: VigilRequestContext, _ env: ServerEnvironment) throws -> (Policy, any ModelRegistry) {
        let schema = try env.schema(try context.parameters.require("model"))
        guard let policy = env.policies.first(where: { $0.model == schema.name }) else {
            throw APIError.notFound("no policy for model '\(schema.name)'")
        }
        let registry = try env.requireWorkspace().modelRegistry(store: env.reader)
        return (policy, registry)
    }

    static func version(_ context: VigilRequestContext) throws -> Int {
        guard let text = context.parameters.get("version"), let n = Int(text), n > 0 else {
            throw APIError.badRequest("the version must be a positive integer, e.g. /v1/models/m/versions/2")
        }
        return n
    }

    /// The version of the path, which must be registered (else a 404).
    static func existingVersion(_ context: VigilRequestContext, _ policy: Policy, _ registry: any ModelRegistry) async throws -> Int {
        let number = try version(context)
        guard try await Blocking.run({ try registry.version(model: policy.model, version: number) }) != nil else { throw noVersion(policy, number) }
        return number
    }

    static func noVersion(_ policy: Policy, _ number: Int) -> APIError {
        APIError.notFound("\(policy.model) has no version \(number): GET /v1/models/\(policy.model)/versions lists them")
    }

    /// Runs a registry operation off the event loop and answers its errors by kind, with the
    /// registry's own explanation: a missing version 404, an incomplete request 422, a refusal
    /// (a failed gate, a concurrent move, a version without a job to judge) 409, an MLflow that
    /// cannot be reached or answers with an error 502.
    static func registryCall<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        do {
            return try await Blocking.run(body)
        } catch let error as RegistryError {
            throw APIError.from(error)
        } catch let error as RegistryConflict {
            throw APIError(.conflict, "registry_refused", error.description)
        } catch let error as MLflowRegistry.APIError {
            throw APIError(.badGateway, "registry_unavailable", error.description)
        } catch let error as JobError {
            throw APIError(.conflict, "registry_refused", error.description)
        }
    }
}
