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
            return try await ingest(request, context, env, kind: "predictions", writer: env.predictionWriter, parse: { parser.parse($0, line: $1) })
        }
        routes.on(.post, "/v1/labels", scope: .ingest) { request, context, env in
            let parser = LabelLineParser()
            return try await ingest(request, context, env, kind: "labels", writer: env.labelWriter, parse: { parser.parse($0, line: $1) })
        }
    }

    static func ingest<R: Sendable>(
        _ request: Request, _ context: VigilRequestContext, _ env: ServerEnvironment, kind: String, writer: IngestWriter<R>,
        parse: @escaping @Sendable (UnsafeBufferPointer<UInt8>, Int) -> Result<R, RecordError>
    ) async throws -> Response {
        let body = try await BodyReader.bytes(request, settings: env.settings)
        guard body.contains(where: { $0 != 0x20 && $0 != 0x0A && $0 != 0x0D && $0 != 0x09 }) else {
            throw APIError.badRequest("the body is empty: send a JSON array of objects or NDJSON (one object per line)")
        }
        let maxItems = env.settings.maxItems
        let parsed: IngestBatch.Parsed<R>
        do {
            parsed = try await Blocking.run { try IngestBatch.parse(body, maxItems: maxItems, parse) }
        } catch IngestBatch.Failure.malformed(let why) {
            throw APIError.badRequest(why + ": send a JSON array of objects or NDJSON (one object per line)")
        } catch IngestBatch.Failure.tooManyItems(let limit) {
            throw APIError.tooLarge("more than server.max_items (\(limit)) items in one request: split the batch")
        }
        var written = IngestWriter<R>.Outcome()
        if !parsed.records.isEmpty {
            written = try await writer.submit(parsed.records, actor: "token:\(context.principal?.name ?? "?")")
        }
        let result = IngestBatch.result(parsed, written)
        env.metrics.ingested(kind: kind, inserted: result.inserted, duplicates: result.duplicates, rejected: result.rejected)
        let allRefused = result.received > 0 && result.rejected == result.received
        return try .json(result, status: allRefused ? .unprocessableContent : .ok)
    }
}
