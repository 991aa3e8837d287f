import Foundation
import Hummingbird
import VigilCore
import VigilStore

/// `GET /v1/models`, `GET /v1/models/{model}/evaluations` (latest and history) and
/// `GET /v1/models/{model}/drift` (scope `read`). Reports are the stored `vigil evaluate
/// --format json` documents, passed through as stored.
enum ModelRoutes: RouteGroup {
    static func register(on routes: APIRoutes) {
        routes.on(.get, "/v1/models", scope: .read) { _, _, env in
            let reader = env.reader
            let schemas = env.schemas
            let items = try await Blocking.run {
                try schemas.map { schema -> String in
                    let latest = try reader.evaluationHistory(model: schema.name, since: 0, limit: 1).last
                    let classes = schema.classes.map { JSONText.quote($0) }.joined(separator: ",")
                    return "{\"name\":\(JSONText.quote(schema.name)),\"task\":\(JSONText.quote(schema.task.rawValue)),\"classes\":[\(classes)],"
                        + "\"latest_evaluation\":\(latest.map(summary) ?? "null")}"
                }
            }
            return .json("{\"models\":[\(items.joined(separator: ","))]}")
        }
        routes.on(.get, "/v1/models/{model}/evaluations", scope: .read) { request, context, env in
            let schema = try env.schema(try context.parameters.require("model"))
            let query = request.uri.queryParameters
            let limit = try boundedInt(query["limit"].map(String.init), name: "limit", default: 10, range: 1...100)
            var since: Int64 = 0
            if let text = query["since"] {
                guard let ms = Timestamp.parseMillis(String(text)) else {
                    throw APIError.badRequest("since='\(text)' is not an RFC 3339 timestamp such as 2026-10-01T00:00:00Z")
                }
                since = ms
            }
            let (reader, from) = (env.reader, since)
            let runs = try await Blocking.run { try reader.evaluationHistory(model: schema.name, since: from, limit: limit) }
            let history = runs.reversed().map { run in
                "{\"run_id\":\(run.id),\"created_at\":\(JSONText.quote(Timestamp.format(millis: run.createdAt))),"
                    + "\"window\":{\"from\":\(JSONText.quote(Timestamp.format(millis: run.window.from))),\"to\":\(JSONText.quote(Timestamp.format(millis: run.window.to)))},"
                    + "\"report\":\(run.report)}"
            }
            return .json("{\"model\":\(JSONText.quote(schema.name)),\"latest\":\(runs.last?.report ?? "null"),\"history\":[\(history.joined(separator: ","))]}")
        }
        routes.on(.get, "/v1/models/{model}/drift", scope: .read) { _, context, env in
            let schema = try env.schema(try context.parameters.require("model"))
            let reader = env.reader
            guard let run = try await Blocking.run({ try reader.evaluationHistory(model: schema.name, since: 0, limit: 1).last }) else {
                throw APIError.notFound("model '\(schema.name)' has no stored evaluation yet: run `vigil evaluate` or schedule one")
            }
            return .json("{\"model\":\(JSONText.quote(schema.name)),\"run_id\":\(run.id),"
                + "\"window\":{\"from\":\(JSONText.quote(Timestamp.format(millis: run.window.from))),\"to\":\(JSONText.quote(Timestamp.format(millis: run.window.to)))},"
                + "\"drift\":\(ReportJSON.member("drift", of: run.report) ?? "null")}")
        }
    }

    /// `{run_id, created_at, window, status}` of a stored run.
    static func summary(_ run: StoredEvaluationRun) -> String {
        "{\"run_id\":\(run.id),\"created_at\":\(JSONText.quote(Timestamp.format(millis: run.createdAt))),"
            + "\"window\":{\"from\":\(JSONText.quote(Timestamp.format(millis: run.window.from))),\"to\":\(JSONText.quote(Timestamp.format(millis: run.window.to)))},"
            + "\"status\":\(ReportJSON.member("status", of: run.report) ?? "null")}"
    }

    /// A query integer within `range`, or a 400.
    static func boundedInt(_ text: String?, name: String, default value: Int, range: ClosedRange<Int>) throws -> Int {
        guard let text else { return value }
        guard let n = Int(text), range.contains(n) else {
            throw APIError.badRequest("\(name)='\(text)' must be an integer from \(range.lowerBound) to \(range.upperBound)")
        }
        return n
    }
}
