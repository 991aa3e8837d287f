import Foundation
import VigilCore
import Hummingbird
import VigilStore

/// `GET /healthz` (the process answers) and `GET /readyz` (the store answers and the process is
/// not shutting down), without authentication.
enum HealthRoutes: RouteGroup {
    static func register(on routes: APIRoutes) {
        routes.on(.get, "/healthz", scope: nil) { _, _, _ in
            .json("{\"status\":\"ok\"}")
        }
        routes.on(.get, "/readyz", scope: nil) { _, context, env in
            if env.lifecycle.draining {
                return .json("{\"status\":\"draining\"}", status: .serviceUnavailable)
            }
            let reader = env.reader
            do {
                _ = try await Blocking.run { try reader.model(named: "") }
            } catch {
                context.logger.error("readiness check failed", metadata: ["error": .string("\(error)")])
                return .json("{\"status\":\"store unavailable\"}", status: .serviceUnavailable)
            }
            return .json("{\"status\":\"ready\"}")
        }
    }
}
