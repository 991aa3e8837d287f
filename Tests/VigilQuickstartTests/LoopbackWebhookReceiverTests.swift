import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilQuickstart

@Suite struct LoopbackWebhookReceiverTests {
    func post(_ url: String, _ body: String, headers: [String: String] = [:]) async throws -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = "POST"
        request.httpBody = Data(body.utf8)
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        let (data, response) = try await URLSession.shared.data(for: request)
        return ((response as! HTTPURLResponse).statusCode, String(decoding: data, as: UTF8.self))
    }

    @Test func recordsEveryRequestInOrderAndAnswersOK() async throws {
        let receiver = try LoopbackWebhookReceiver()
        defer { receiver.stop() }
        #expect(receiver.port > 0 && receiver.url == "http://127.0.0.1:\(receiver.port)")
        let big = String(repeating: "x", count: 200_000)  // larger than one read
        for (i, body) in ["{\"text\":\"first\"}", "{\"text\":\"ü\(big)\"}", ""].enumerated() {
            let (status, answer) = try await post(receiver.url + "/slack?n=\(i)", body, headers: ["Content-Type": "application/json", "X-Test": "\(i)"])
            #expect(status == 200 && answer == "ok")
        }
        let got = receiver.requests()
        try #require(got.count == 3, "got \(got.map(\.path))")
        #expect(got.map(\.path) == ["/slack?n=0", "/slack?n=1", "/slack?n=2"])
        #expect(got.map(\.method) == ["POST", "POST", "POST"])
        #expect(got[0].body == "{\"text\":\"first\"}" && got[0].headers["x-test"] == "0")
        #expect(got[1].body.count == 200_000 + 12 && got[1].body.hasPrefix("{\"text\":\"ü"))
        #expect(got[2].body.isEmpty)
    }

    @Test func afterStopThePortRefusesConnections() async throws {
        let receiver = try LoopbackWebhookReceiver()
        let url = receiver.url
        receiver.stop()
        await #expect(throws: (any Error).self) { _ = try await post(url + "/x", "{}") }
    }

    /// A stopped receiver's descriptor number is soon reused by the next socket; its accept thread
    /// must never accept there (CI once lost a request to another test's stopped receiver this way).
    @Test func aStoppedReceiverNeverTakesAnotherReceiversConnections() async throws {
        for round in 0..<20 {
            let stopped = try LoopbackWebhookReceiver()
            stopped.stop()
            let live = try LoopbackWebhookReceiver()
            defer { live.stop() }
            for i in 0..<3 {
                let (status, _) = try await post(live.url + "/r\(round)/\(i)", "{}")
                #expect(status == 200)
            }
            #expect(live.requests().map(\.path) == (0..<3).map { "/r\(round)/\($0)" })
            #expect(stopped.requests().isEmpty)
        }
    }
}
