import Foundation
import VigilCore
import Hummingbird

/// `GET /metrics`: Prometheus text exposition (version 0.0.4). It needs a token with the `read`
/// or `metrics` scope unless `server.metrics_auth` is `none` (the series name models and count
/// alerts and queued items).
enum MetricsRoutes: RouteGroup {
    static func register(on routes: APIRoutes) {
        routes.on(.get, "/metrics", scope: routes.environment.settings.metricsAuth.requiredScope) { _, _, env in
            let (reader, schemas, now, metrics) = (env.reader, env.schemas, env.nowMillis, env.metrics)
            let bytes = try await Blocking.run { try metrics.render(store: reader, schemas: schemas, now: now) }
            return Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                            body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
        }
    }
}
