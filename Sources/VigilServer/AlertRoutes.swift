import Foundation
import Hummingbird
import VigilCore
import VigilStore

/// `GET /v1/alerts?model=&state=firing|resolved` (scope `read`): alert state, firing first.
/// Times are milliseconds since the epoch, as stored.
enum AlertRoutes: RouteGroup {
    static func register(on routes: APIRoutes) {
        routes.on(.get, "/v1/alerts", scope: .read) { request, _, env in
            let query = request.uri.queryParameters
            let model = query["model"].map(String.init)
            if let model { _ = try env.schema(model) }
            var state: AlertState?
            if let text = query["state"] {
                guard let s = AlertState(rawValue: String(text)) else { throw APIError.badRequest("state='\(text)' must be firing or resolved") }
                state = s
            }
            let reader = env.reader
            let alerts = try await Blocking.run { try reader.alerts(model: model) }.filter { state == nil || $0.state == state }
            struct Body: Encodable { var alerts: [AlertRecord] }
            return try .json(Body(alerts: alerts))
        }
    }
}
