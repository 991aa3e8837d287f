import Foundation
import Hummingbird

/// Reads request bodies within the server's limits: at most `max_body_bytes` as sent (413
/// otherwise), gzip decoded when `Content-Encoding: gzip` (at most `max_decoded_bytes`).
enum BodyReader {
    static func bytes(_ request: Request, settings: ServerSettings) async throws -> [UInt8] {
        if let length = request.headers[.contentLength].flatMap(Int.init), length > settings.maxBodyBytes {
            throw APIError.tooLarge("the request body is \(length) bytes, over server.max_body_bytes (\(settings.maxBodyBytes)): send smaller batches or gzip them")
        }
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: settings.maxBodyBytes)
        } catch let e as any HTTPResponseError where e.status == .contentTooLarge {
            throw APIError.tooLarge("the request body is over server.max_body_bytes (\(settings.maxBodyBytes) bytes): send smaller batches or gzip them")
        }
        let raw = Array(buffer.readableBytesView)
        switch request.headers[.contentEncoding]?.lowercased().trimmingCharacters(in: .whitespaces) {
        case nil, "", "identity":
            return raw
        case "gzip", "x-gzip", "deflate":
            do {
                return try Gzip.decode(raw, limit: settings.maxDecodedBytes)
            } catch .tooLarge(let limit) {
                throw APIError.tooLarge("the gzip body decodes to more than server.max_decoded_bytes (\(limit) bytes): send smaller batches")
            } catch .corrupt(let why) {
                throw APIError.badRequest("the body is not valid gzip (\(why))")
            }
        case let other?:
            throw APIError(.unsupportedMediaType, "unsupported_encoding", "Content-Encoding '\(other)' is not supported: send identity or gzip")
        }
    }

    /// A JSON object body decoded as `T`, or a 400 that says what is wrong. An empty body decodes from `{}`.
    static func json<T: Decodable>(_ type: T.Type, _ request: Request, settings: ServerSettings) async throws -> T {
        var bytes = try await bytes(request, settings: settings)
        if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }) { bytes = Array("{}".utf8) }
        do {
            let decoder = JSONDecoder()
            decoder.keyDecodingStrategy = .convertFromSnakeCase
            return try decoder.decode(T.self, from: Data(bytes))
        } catch let DecodingError.keyNotFound(key, _) {
            throw APIError.badRequest("the JSON body lacks the field '\(key.stringValue)'")
        } catch let DecodingError.typeMismatch(_, ctx), let DecodingError.valueNotFound(_, ctx) {
            throw APIError.badRequest("the JSON body's field '\(ctx.codingPath.map(\.stringValue).joined(separator: "."))' has the wrong type")
        } catch {
            throw APIError.badRequest("the body is not a JSON object")
        }
    }
}
