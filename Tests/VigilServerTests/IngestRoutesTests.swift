import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VigilCore
import VigilStore
@testable import VigilServer

@Suite struct IngestRoutesTests {
    @Test func aJSONArrayIsIngestedWithPerItemErrorsAndIsIdempotent() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        var items = ServerTestBed.predictions(3)
        items.insert("{\"id\":\"bad-1\",\"ts\":\"2026-10-05T00:00:00Z\",\"model\":\"shelf-classifier\",\"label\":\"spaceship\"}", at: 1)
        let body = "[" + items.joined(separator: ",") + "]"
        try await bed.test { client in
            let first = try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.ingest), body: ByteBuffer(text: body))
            #expect(first.status == .ok)
            let j = json(first)
            #expect(j["received"] as? Int == 4)
            #expect(j["inserted"] as? Int == 3)
            #expect(j["rejected"] as? Int == 1)
            let errors = j["errors"] as? [[String: Any]] ?? []
            #expect(errors.count == 1)
            #expect(errors.first?["index"] as? Int == 1)
            #expect(errors.first?["field"] as? String == "label")
            #expect(errors.first?["id"] as? String == "bad-1")
            #expect((errors.first?["reason"] as? String)?.contains("spaceship") == true)
            let again = try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.ingest), body: ByteBuffer(text: body))
            #expect(json(again)["inserted"] as? Int == 0)
            #expect(json(again)["duplicates"] as? Int == 3)
        }
        let window = TimeWindow(from: 0, to: Int64.max / 2)
        #expect(try bed.environment.store.predictionCount(model: ServerTestBed.model, window: window) == 3)
    }

    @Test func ndjsonAndGzipBodiesAreAccepted() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        let ndjson = ServerTestBed.predictions(5).joined(separator: "\n") + "\n\n"
        let gz = try gzip(Data(ServerTestBed.predictions(4, start: 100).joined(separator: "\n").utf8))
        try await bed.test { client in
            let plain = try await client.execute(uri: "/v1/predictions", method: .post,
                                                 headers: bed.headers(.ingest, [.contentType: "application/x-ndjson"]), body: ByteBuffer(text: ndjson))
            #expect(plain.status == .ok)
            #expect(json(plain)["inserted"] as? Int == 5)
            let zipped = try await client.execute(uri: "/v1/predictions", method: .post,
                                                  headers: bed.headers(.ingest, [.contentEncoding: "gzip"]), body: ByteBuffer(bytes: gz))
            #expect(zipped.status == .ok)
            #expect(json(zipped)["inserted"] as? Int == 4)
            let corrupt = try await client.execute(uri: "/v1/predictions", method: .post,
                                                   headers: bed.headers(.ingest, [.contentEncoding: "gzip"]), body: ByteBuffer(text: "not gzip"))
            #expect(corrupt.status == .badRequest)
            let brotli = try await client.execute(uri: "/v1/predictions", method: .post,
                                                  headers: bed.headers(.ingest, [.contentEncoding: "br"]), body: ByteBuffer(text: "x"))
            #expect(brotli.status == .unsupportedMediaType)
        }
    }

    @Test func aConflictingIdIsReportedAtItsIndex() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        let original = ServerTestBed.predictions(1)[0]
        let changed = original.replacingOccurrences(of: "0.9", with: "0.1")
        try await bed.test { client in
            _ = try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.ingest), body: ByteBuffer(text: original))
            let body = ServerTestBed.predictions(2, start: 50).joined(separator: "\n") + "\n" + changed
            let r = try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.ingest), body: ByteBuffer(text: body))
            #expect(r.status == .ok)
            let errors = json(r)["errors"] as? [[String: Any]] ?? []
            #expect(errors.map { $0["index"] as? Int } == [2])
            #expect(errors.first?["id"] as? String == "p-0")
        }
    }

    @Test func malformedBodiesAre400AndAllRefusedIs422() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        try await bed.test { client in
            let broken = try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.ingest), body: ByteBuffer(text: "[{\"id\": 1,"))
            #expect(broken.status == .badRequest)
            #expect(json(broken)["error"] as? String == "bad_request")
            let empty = try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.ingest))
            #expect(empty.status == .badRequest)
            let blank = try await client.execute(uri: "/v1/labels", method: .post, headers: bed.headers(.ingest), body: ByteBuffer(text: " \n"))
            #expect(blank.status == .badRequest)
            let refused = try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.ingest), body: ByteBuffer(text: "{\"id\":\"x\"}\n[1]"))
            #expect(refused.status == .unprocessableContent)
            #expect((json(refused)["errors"] as? [[String: Any]])?.map { $0["index"] as? Int } == [0, 1])
        }
    }

    @Test func limitsAnswer413() async throws {
        var settings = ServerSettings()
        settings.maxBodyBytes = 2_000
        settings.maxDecodedBytes = 100_000
        settings.maxItems = 5
        let bed = try ServerTestBed(settings: settings)
        defer { bed.remove() }
        let big = ServerTestBed.predictions(30).joined(separator: "\n")
        let many = ServerTestBed.predictions(6).joined(separator: "\n")
        let bomb = try gzip(Data(repeating: 0x20, count: 1_000_000))
        #expect(bomb.count < 2_000)
        try await bed.test { client in
            let tooBig = try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.ingest), body: ByteBuffer(text: big))
            #expect(tooBig.status == .contentTooLarge)
            #expect(json(tooBig)["error"] as? String == "payload_too_large")
            #expect((json(tooBig)["message"] as? String)?.contains("max_body_bytes") == true)
            let tooMany = try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.ingest), body: ByteBuffer(text: many))
            #expect(tooMany.status == .contentTooLarge)
            #expect((json(tooMany)["message"] as? String)?.contains("max_items") == true)
            let inflated = try await client.execute(uri: "/v1/predictions", method: .post,
                                                    headers: bed.headers(.ingest, [.contentEncoding: "gzip"]), body: ByteBuffer(bytes: bomb))
            #expect(inflated.status == .contentTooLarge)
            #expect((json(inflated)["message"] as? String)?.contains("max_decoded_bytes") == true)
        }
    }

    @Test func labelsAreIngestedAgainstStoredPredictions() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        try await bed.test { client in
            _ = try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.ingest),
                                         body: ByteBuffer(text: ServerTestBed.predictions(3).joined(separator: "\n")))
            let labels = """
                [{"prediction_id":"p-0","label":"bottle"},{"prediction_id":"p-1","label":"box"},{"prediction_id":"nope","label":"can"}]
                """
            let r = try await client.execute(uri: "/v1/labels", method: .post, headers: bed.headers(.ingest), body: ByteBuffer(text: labels))
            #expect(r.status == .ok)
            #expect(json(r)["inserted"] as? Int == 2)
            #expect((json(r)["errors"] as? [[String: Any]])?.map { $0["index"] as? Int } == [2])
        }
    }

    @Test func concurrentRequestsGetTheirOwnCounts() async throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        try await bed.test { client in
            // Request k: 40 new predictions, the 10 shared ones (inserted by whichever comes first), one bad item.
            let shared = ServerTestBed.predictions(10, start: 10_000)
            typealias Counts = (received: Int, inserted: Int, duplicates: Int, rejected: Int, errorIndex: Int)
            let results = try await withThrowingTaskGroup(of: Counts.self) { group in
                for k in 0..<8 {
                    let lines = ServerTestBed.predictions(40, start: k * 100) + shared + ["{\"id\":\"bad-\(k)\"}"]
                    group.addTask {
                        let j = json(try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.ingest),
                                                              body: ByteBuffer(text: lines.joined(separator: "\n"))))
                        let index = (j["errors"] as? [[String: Any]])?.first?["index"] as? Int ?? -1
                        return (j["received"] as? Int ?? 0, j["inserted"] as? Int ?? 0, j["duplicates"] as? Int ?? 0, j["rejected"] as? Int ?? 0, index)
                    }
                }
                var out: [Counts] = []
                for try await r in group { out.append(r) }
                return out
            }
            #expect(results.count == 8)
            #expect(results.allSatisfy { $0.received == 51 && $0.rejected == 1 && $0.errorIndex == 50 })
            #expect(results.allSatisfy { $0.inserted + $0.duplicates == 50 })
            let inserted: Int = results.reduce(0) { $0 + $1.inserted }
            #expect(inserted == 330)
        }
        #expect(try bed.environment.store.predictionCount(model: ServerTestBed.model, window: TimeWindow(from: 0, to: .max)) == 330)
    }

    @Test func theBodySplitterFindsArrayElementsAndNDJSONLines() throws {
        let text = Array(" [ {\"a\":[1,2]} , {\"b\":\"]\"} ] ".utf8)
        let ranges = try text.withUnsafeBufferPointer { try IngestBatch.items($0, maxItems: 10) }
        #expect(ranges.map { String(decoding: text[$0], as: UTF8.self) } == ["{\"a\":[1,2]}", "{\"b\":\"]\"}"])
        let lines = Array("{\"a\":1}\r\n\n  \n{\"b\":2}".utf8)
        let ls = try lines.withUnsafeBufferPointer { try IngestBatch.items($0, maxItems: 10) }
        #expect(ls.map { String(decoding: lines[$0], as: UTF8.self) } == ["{\"a\":1}", "{\"b\":2}"])
    }

    @Test func gzipRoundTripsThroughZlib() throws {
        let original = Data((0..<50_000).map { UInt8(truncatingIfNeeded: $0 * 7) })
        let decoded = try Gzip.decode(Array(try gzip(original)), limit: 1 << 20)
        #expect(decoded == Array(original))
        #expect(throws: Gzip.Failure.self) { try Gzip.decode(Array(try gzip(original)), limit: 1000) }
        #expect(throws: Gzip.Failure.self) { try Gzip.decode(Array(try gzip(original).prefix(100)), limit: 1 << 20) }
    }
}
