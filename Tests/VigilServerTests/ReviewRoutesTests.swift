import Foundation
import Hummingbird
import HummingbirdTesting
import Testing
import VigilCore
import VigilStore
@testable import VigilServer

@Suite struct ReviewRoutesTests {
    /// The bed with `n` queued predictions and a second reviewer's token.
    static func queued(_ n: Int) async throws -> (ServerTestBed, String) {
        let bed = try ServerTestBed()
        try await bed.test { client in
            _ = try await client.execute(uri: "/v1/predictions", method: .post, headers: bed.headers(.ingest),
                                         body: ByteBuffer(text: ServerTestBed.predictions(n).joined(separator: "\n")))
        }
        var seqs: [Int64] = []
        try bed.environment.store.forEachSamplingCandidate(model: ServerTestBed.model, window: TimeWindow(from: 0, to: .max), passes: 1, attribute: nil) { _, c in
            seqs.append(c.seq)
        }
        let drafts = seqs.map { ReviewItemDraft(predictionSeq: $0, strategy: .uniform, inclusionProbability: 0.5) }
        _ = try bed.environment.store.enqueue(drafts, model: ServerTestBed.model, sampleRun: "t", now: 0, actor: "test")
        let (bob, record) = APITokens.generate(name: "bob", scopes: [.review], now: 0)
        try bed.environment.store.createToken(record, actor: "test")
        return (bed, bob)
    }

    /// Labels posted to /v1/labels close the queue items of their predictions; an answer on an
    /// item whose label arrived while it was claimed says that it met existing truth, which stands.
    @Test func labelsOverHTTPCloseItemsAndAnAnswerSaysItMetThem() async throws {
        let (bed, _) = try await Self.queued(3)
        defer { bed.remove() }
        try await bed.test { client in
            let claim = json(try await client.execute(uri: "/v1/review/claim", method: .post, headers: bed.headers(.review)))
            let (a, id) = (claim["assignment"] as! Int, claim["prediction_id"] as! String)
            let labels = (0..<3).map { "{\"prediction_id\":\"p-\($0)\",\"label\":\"jar\"}" }.joined(separator: "\n")
            let posted = try await client.execute(uri: "/v1/labels", method: .post, headers: bed.headers(.ingest), body: ByteBuffer(text: labels))
            #expect(posted.status == .ok)
            // Every item has its ground truth now: nothing more is served.
            let none = try await client.execute(uri: "/v1/review/claim", method: .post, headers: bed.headers(.review))
            #expect(none.status == .noContent)
            let answer = json(try await client.execute(uri: "/v1/review/\(a)/label", method: .post, headers: bed.headers(.review),
                                                      body: ByteBuffer(text: "{\"label\":\"can\"}")))
            let truth = try #require(answer["truth"] as? [String: Any], "\(answer)")
            #expect(truth["agrees"] as? Bool == false && truth["existing"] as? String == "jar" && truth["kept"] as? Bool == true
                    && truth["source"] as? String == "import", "\(id): \(truth)")
        }
    }

    @Test func aReviewerClaimsLabelsSkipsAndFlags() async throws {
        let (bed, _) = try await Self.queued(3)
        defer { bed.remove() }
        try await bed.test { client in
            let claim = try await client.execute(uri: "/v1/review/claim", method: .post, headers: bed.headers(.review),
                                                 body: ByteBuffer(text: "{\"model\":\"shelf-classifier\"}"))
            #expect(claim.status == .ok)
            let c = json(claim)
            #expect(c["reviewer"] as? String == "review-user")
            #expect(c["model"] as? String == "shelf-classifier")
            #expect(c["lease_until"] as? String == "2026-10-08T00:15:00.000Z")
            let a = c["assignment"] as! Int
            let label = try await client.execute(uri: "/v1/review/\(a)/label", method: .post, headers: bed.headers(.review), body: ByteBuffer(text: "{\"label\":\"can\"}"))
            #expect(label.status == .ok)
            #expect(json(label)["state"] as? String == "labeled")
            let twice = try await client.execute(uri: "/v1/review/\(a)/label", method: .post, headers: bed.headers(.review), body: ByteBuffer(text: "{\"label\":\"can\"}"))
            #expect(twice.status == .conflict)

            let second = json(try await client.execute(uri: "/v1/review/claim", method: .post, headers: bed.headers(.review)))["assignment"] as! Int
            let skip = try await client.execute(uri: "/v1/review/\(second)/skip", method: .post, headers: bed.headers(.review))
            #expect(skip.status == .ok)
            let third = json(try await client.execute(uri: "/v1/review/claim", method: .post, headers: bed.headers(.review)))["assignment"] as! Int
            let noReason = try await client.execute(uri: "/v1/review/\(third)/flag", method: .post, headers: bed.headers(.review), body: ByteBuffer(text: "{}"))
            #expect(noReason.status == .badRequest)
            let flag = try await client.execute(uri: "/v1/review/\(third)/flag", method: .post, headers: bed.headers(.review),
                                                body: ByteBuffer(text: "{\"reason\":\"blurred\"}"))
            #expect(flag.status == .ok)
            let none = try await client.execute(uri: "/v1/review/claim", method: .post, headers: bed.headers(.review))
            #expect(none.status == .noContent)
        }
        let truth = try bed.environment.store.confusionMatrix(model: ServerTestBed.model, window: TimeWindow(from: 0, to: .max))
        #expect(truth.total == 1)
    }

    @Test func aLabelIsEitherAClassOrBoxesAndBoxesAreChecked() async throws {
        let (bed, _) = try await Self.queued(2)
        defer { bed.remove() }
        try await bed.test { client in
            let claim = try await client.execute(uri: "/v1/review/claim", method: .post, headers: bed.headers(.review), body: ByteBuffer(text: "{}"))
            let a = json(claim)["assignment"] as! Int
            for body in [#"{"label":"can","boxes":[]}"#, "{}", #"{"boxes":[{"label":"can","bbox":[1,2,3],"verdict":"added"}]}"#,
                         #"{"boxes":[{"label":"can","bbox":[1,2,-3,4],"verdict":"added"}]}"#] {
                let r = try await client.execute(uri: "/v1/review/\(a)/label", method: .post, headers: bed.headers(.review), body: ByteBuffer(text: body))
                #expect(r.status == .badRequest, "\(body)")
            }
            // Boxes for a classification item are refused by the queue, and the claim stays open for a class.
            let boxes = try await client.execute(uri: "/v1/review/\(a)/label", method: .post, headers: bed.headers(.review),
                                                 body: ByteBuffer(text: #"{"boxes":[{"label":"can","bbox":[1,2,3,4],"verdict":"added"}]}"#))
            #expect(boxes.status.code >= 400 && boxes.status.code < 500)
            let label = try await client.execute(uri: "/v1/review/\(a)/label", method: .post, headers: bed.headers(.review), body: ByteBuffer(text: #"{"label":"can"}"#))
            #expect(label.status == .ok)
        }
    }

    @Test func claimsBelongToTheirReviewer() async throws {
        let (bed, bob) = try await Self.queued(2)
        defer { bed.remove() }
        try await bed.test { client in
            let a = json(try await client.execute(uri: "/v1/review/claim", method: .post, headers: bed.headers(.review)))["assignment"] as! Int
            let bobs: HTTPFields = [.authorization: "Bearer \(bob)"]
            let stolen = try await client.execute(uri: "/v1/review/\(a)/label", method: .post, headers: bobs, body: ByteBuffer(text: "{\"label\":\"can\"}"))
            #expect(stolen.status == .forbidden)
            #expect(json(stolen)["error"] as? String == "not_your_claim")
            let unknown = try await client.execute(uri: "/v1/review/999/release", method: .post, headers: bed.headers(.review))
            #expect(unknown.status == .notFound)
            let notANumber = try await client.execute(uri: "/v1/review/abc/release", method: .post, headers: bed.headers(.review))
            #expect(notANumber.status == .notFound)
            let badClass = try await client.execute(uri: "/v1/review/\(a)/label", method: .post, headers: bed.headers(.review), body: ByteBuffer(text: "{\"label\":\"ufo\"}"))
            #expect(badClass.status == .unprocessableContent)
            let noLabel = try await client.execute(uri: "/v1/review/\(a)/label", method: .post, headers: bed.headers(.review), body: ByteBuffer(text: "{}"))
            #expect(noLabel.status == .badRequest)
            let unknownModel = try await client.execute(uri: "/v1/review/claim", method: .post, headers: bed.headers(.review), body: ByteBuffer(text: "{\"model\":\"nope\"}"))
            #expect(unknownModel.status == .notFound)
        }
    }

    @Test func renewExtendsAndReleaseReturnsTheItem() async throws {
        let (bed, bob) = try await Self.queued(1)
        defer { bed.remove() }
        try await bed.test { client in
            let a = json(try await client.execute(uri: "/v1/review/claim", method: .post, headers: bed.headers(.review)))["assignment"] as! Int
            bed.clock.advance(by: 600)
            let renewed = try await client.execute(uri: "/v1/review/\(a)/renew", method: .post, headers: bed.headers(.review))
            #expect(renewed.status == .ok)
            #expect(json(renewed)["lease_until"] as? String == "2026-10-08T00:25:00.000Z")
            let bobs: HTTPFields = [.authorization: "Bearer \(bob)"]
            #expect(try await client.execute(uri: "/v1/review/claim", method: .post, headers: bobs).status == .noContent)
            let released = try await client.execute(uri: "/v1/review/\(a)/release", method: .post, headers: bed.headers(.review))
            #expect(released.status == .ok)
            #expect(try await client.execute(uri: "/v1/review/claim", method: .post, headers: bobs).status == .ok)
        }
    }

    @Test func anExpiredLeaseIsAConflict() async throws {
        let (bed, _) = try await Self.queued(1)
        defer { bed.remove() }
        try await bed.test { client in
            let a = json(try await client.execute(uri: "/v1/review/claim", method: .post, headers: bed.headers(.review)))["assignment"] as! Int
            bed.clock.advance(by: 3600)
            let late = try await client.execute(uri: "/v1/review/\(a)/label", method: .post, headers: bed.headers(.review), body: ByteBuffer(text: "{\"label\":\"can\"}"))
            #expect(late.status == .conflict)
            #expect(json(late)["error"] as? String == "lease_lost")
        }
    }
}
