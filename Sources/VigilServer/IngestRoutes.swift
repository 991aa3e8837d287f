import Foundation
import Hummingbird
import VigilCore
import VigilStore

/// `POST /v1/predictions` and `POST /v1/labels` (scope `ingest`): a JSON array or NDJSON body,
/// gzip accepted, idempotent on id. 200 with counts and per-item errors when at least one item
/// was valid or every item was a duplicate; 422 when every item was refused; 400 when the body
/// is not an array or NDJSON at all; 413 over the limits.
enum IngestRoutes: RouteGroup {
    static func register(on routes: APIRoutes) {
        routes.on(.post, "/v1/predictions", scope: .ingest) { request, context, env in
            let parser = PredictionLineParser(catalog: env.catalog)
            return try await ingest(request, context, env, kind: "predictions", parse: { parser.parse($0, line: $1) },
                                    write: { store, options, next in try store.ingestPredictions(options: options, nextBatch: next, progress: { _ in }) })
        }
        routes.on(.post, "/v1/labels", scope: .ingest) { request, context, env in
            let parser = LabelLineParser()
            return try await ingest(request, context, env, kind: "labels", parse: { parser.parse($0, line: $1) },
                                    write: { store, options, next in try store.ingestLabels(options: options, nextBatch: next, progress: { _ in }) })
        }
    }

    static func ingest<R: Sendable>(
        _ request: Request, _ context: VigilRequestContext, _ env: ServerEnvironment, kind: String,
        parse: @escaping @Sendable (UnsafeBufferPointer<UInt8>, Int) -> Result<R, RecordError>,
        write: @escaping @Sendable (any Store, IngestOptions, () throws -> [R]?) throws -> IngestOutcome
    ) async throws -> Response {
        let body = try await RequestBody.bytes(request, settings: env.settings)
        let actor = "token:\(context.principal?.name ?? "?")"
        let options = IngestOptions(now: env.nowMillis, actor: actor)
        let maxItems = env.settings.maxItems
        let store = env.store
        let result: IngestBatch.Result
        do {
            result = try await Blocking.run {
                try IngestBatch.run(body, maxItems: maxItems, options: options, parse: parse, write: { try write(store, $0, $1) })
            }
        } catch IngestBatch.Failure.malformed(let why) {
            throw APIError.badRequest(why + ": send a JSON array of objects or NDJSON (one object per line)")
        } catch IngestBatch.Failure.tooManyItems(let limit) {
            throw APIError.tooLarge("more than server.max_items (\(limit)) items in one request: split the batch")
        }
        env.metrics.ingested(kind: kind, inserted: result.inserted, duplicates: result.duplicates, rejected: result.rejected)
        let allRefused = result.received > 0 && result.rejected == result.received
        return try .json(result, status: allRefused ? .unprocessableContent : .ok)
    }
}
