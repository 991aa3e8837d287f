import Foundation
import Testing
import VigilCore
@testable import VigilStore

/// `QueueStore`: sampling reads, the review queue, claims under a lease, answers, undo with the
/// reversal of ground truth, and the statistics read from it.
@Suite struct QueueConformanceTests {
    static let t = When.at(30)
    static let lease: Int64 = 600_000
    static let hourTen = TimeWindow(from: When.at(10), to: When.at(11))

    /// Five predictions of `shelf` at 10:00–10:40 (a can, b jar, c box, d can, e jar).
    static func fiveShelfPredictions(_ c: Conformance) throws {
        try c.ingest([cls("a", "can", score: 0.9, at: When.at(10), attributes: ["camera": "north"]),
                      cls("b", "jar", score: 0.6, at: When.at(10, 10), attributes: ["camera": "south"]),
                      cls("c", "box", score: 0.4, at: When.at(10, 20), attributes: ["camera": "north"]),
                      cls("d", "can", score: 0.8, at: When.at(10, 30)),
                      cls("e", "jar", score: 0.7, at: When.at(10, 40))])
    }

    func queueError(_ body: () throws -> Void) -> QueueError? { thrown(body) as? QueueError }

    // MARK: Sampling reads

    @Test(arguments: Backend.all) func samplingCandidatesAreTheUnqueuedUnlabelledPredictions(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.ingest([cls("late", "can", at: When.at(12))])
        try c.queue(["c"])
        try c.label([truthLine("b", "jar")])
        var passes: [[Int64]] = [[], [], []]
        var byID: [String: SamplingCandidate] = [:]
        var attributes: [String: String?] = [:]
        try store.forEachSamplingCandidate(model: "shelf", window: Self.hourTen, passes: 3, attribute: "camera") { pass, candidate in
            passes[pass].append(candidate.seq)
            let id = Conformance.uri(String(decoding: candidate.payload!, as: UTF8.self))!
            byID[id] = candidate
            attributes[id] = candidate.attribute
        }
        #expect(passes[0].count == 3 && passes[1] == passes[0] && passes[2] == passes[0], "the same rows in the same order on every pass")
        #expect(Set(byID.keys) == ["a", "d", "e"])
        #expect(attributes["a"] == "north" && attributes["d"] == .some(nil))
        #expect(byID["a"]?.labelIndex == 0 && byID["a"]?.score == 0.9 && byID["e"]?.labelIndex == 1)
        // Without an attribute none is read.
        var plain: [String?] = []
        try store.forEachSamplingCandidate(model: "shelf", window: Self.hourTen, passes: 1, attribute: nil) { _, candidate in plain.append(candidate.attribute) }
        #expect(plain == [nil, nil, nil])
        #expect(throws: (any Error).self) { try store.forEachSamplingCandidate(model: "ghost", window: Self.hourTen, passes: 1, attribute: nil) { _, _ in } }
    }

    @Test(arguments: Backend.all) func samplingCandidatesComeInTimeOrderThenIngestOrder(backend: Backend) throws {
        let c = try Conformance(backend)
        // Ingested out of time order, two at the same instant: a seeded sampler must see the same
        // sequence on both backends, so the order is time, then ingest.
        try c.ingest([cls("late", "can", at: When.at(10, 50)), cls("tie-1", "jar", at: When.at(10, 5)),
                      cls("early", "box", at: When.at(10, 1)), cls("tie-2", "can", at: When.at(10, 5))])
        var order: [String] = []
        try c.store.forEachSamplingCandidate(model: "shelf", window: Self.hourTen, passes: 1, attribute: nil) { _, candidate in
            order.append(Conformance.uri(String(decoding: candidate.payload!, as: UTF8.self))!)
        }
        #expect(order == ["early", "tie-1", "tie-2", "late"])
    }

    @Test(arguments: Backend.all) func goldCandidatesAreLabelledPredictionsNeverQueued(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.ingest([cls("late", "can", at: When.at(12))])
        let seqs = try c.seqs()
        try c.queue(["c"])
        try c.label([truthLine("a", "jar"), truthLine("c", "box"), truthLine("e", "can"), truthLine("late", "can")])
        var found: [Int64: Int] = [:]
        try store.forEachGoldCandidate(model: "shelf", window: Self.hourTen) { found[$0] = $1 }
        #expect(found == [seqs["a"]!: 1, seqs["e"]!: 0])
        #expect(throws: (any Error).self) { try store.forEachGoldCandidate(model: "ghost", window: Self.hourTen) { _, _ in } }
    }

    @Test(arguments: Backend.all) func attributeValuesAreDistinctWithinTheWindow(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.ingest([cls("late", "can", at: When.at(12), attributes: ["camera": "east"])])
        #expect(try store.attributeValues(model: "shelf", window: Self.hourTen, attribute: "camera") == ["north", "south"])
        #expect(try store.attributeValues(model: "shelf", window: TimeWindow(from: When.at(10), to: When.at(13)), attribute: "camera") == ["north", "south", "east"])
        #expect(try store.attributeValues(model: "shelf", window: Self.hourTen, attribute: "lens").isEmpty)
        #expect(throws: (any Error).self) { try store.attributeValues(model: "ghost", window: Self.hourTen, attribute: "camera") }
    }

    // MARK: Queueing

    @Test(arguments: Backend.all) func enqueueLeavesOutQueuedAndLabelledPredictions(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        let s = try c.seqs()
        try c.label([truthLine("b", "jar")])
        let first = [ReviewItemDraft(predictionSeq: s["a"]!, strategy: .uniform, inclusionProbability: 0.5),
                     ReviewItemDraft(predictionSeq: s["b"]!, strategy: .uniform, inclusionProbability: 0.5),
                     ReviewItemDraft(predictionSeq: s["c"]!, strategy: .uncertainty, inclusionProbability: 0.25, reviewsRequired: 2)]
        #expect(try store.enqueue(first, model: "shelf", sampleRun: "run-1", now: 100, actor: "sampler") == 2)
        let again = [ReviewItemDraft(predictionSeq: s["a"]!, strategy: .uniform, inclusionProbability: 0.9),
                     ReviewItemDraft(predictionSeq: s["d"]!, strategy: .stratified, inclusionProbability: 0.1, stratum: 2)]
        #expect(try store.enqueue(again, model: "shelf", sampleRun: "run-2", now: 200, actor: "sampler") == 1)
        // Gold items are labelled by definition: they are queued all the same.
        let gold = [ReviewItemDraft(predictionSeq: s["b"]!, strategy: .gold, inclusionProbability: 1, goldLabelIndex: 1)]
        #expect(try store.enqueue(gold, model: "shelf", sampleRun: "run-3", now: 300, actor: "sampler") == 1)
        let runs = try c.events("sample.run", model: "shelf")
        try #require(runs.count > 2, "runs has too few elements")
        #expect(runs.map(\.subject) == ["run-3", "run-2", "run-1"] && runs.allSatisfy { $0.actor == "sampler" })
        #expect(Conformance.details(runs[2]) == ["queued": "2", "uniform": "1", "uncertainty": "1"])
        #expect(runs[2].ts == 100)
        // Queued after `since`, gold items left out (the daily budget counts sampled items).
        #expect(try store.queuedCount(model: "shelf", since: 0) == 3)
        #expect(try store.queuedCount(model: "shelf", since: 100) == 1)
        #expect(try store.queuedCount(model: "shelf", since: 200) == 0)
        #expect(try store.queuedCount(model: "dock", since: 0) == 0)
        #expect(try store.queuedCount(model: "ghost", since: 0) == 0)
        // By strategy, and by the stratum the sampler filed each under.
        let counts = try store.queuedCounts(model: "shelf", since: 0)
        #expect(counts.byStrategy == [.uniform: 1, .uncertainty: 1, .stratified: 1])
        #expect(counts.byStratum[.stratified] == [2: 1] && counts.byStratum[.uniform] == [nil: 1])
        // The items, newest first, as queued.
        let items = try store.reviewItems(model: "shelf", state: nil, limit: 10)
        #expect(items.map(\.predictionID) == ["b", "d", "c", "a"])
        #expect(items.map(\.strategy) == ["gold", "stratified", "uncertainty", "uniform"])
        #expect(items.map(\.inclusionProbability) == [1, 0.1, 0.25, 0.5])
        #expect(items.map(\.reviewsRequired) == [1, 1, 2, 1] && items.map(\.isGold) == [true, false, false, false])
        #expect(items.map(\.sampledAt) == [300, 200, 100, 100] && items.allSatisfy { $0.state == "open" && $0.claimedBy.isEmpty && $0.model == "shelf" })
        #expect(try store.reviewItems(model: "shelf", state: nil, limit: 2).map(\.predictionID) == ["b", "d"])
        #expect(try store.reviewItems(model: "dock", state: nil, limit: 10).isEmpty)
        #expect(try store.queueStatus(model: "shelf", now: 400) == QueueStatus(open: 4, byStrategy: ["gold": 1, "stratified": 1, "uncertainty": 1, "uniform": 1]))
        #expect(throws: (any Error).self) { try store.enqueue(first, model: "ghost", sampleRun: "x", now: 1, actor: "sampler") }
    }

    // MARK: Claims

    @Test(arguments: Backend.all) func claimsAreOldestFirstAndNeverTwiceForOneReviewer(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.queue(["a", "b", "c"])
        try c.queue(["d"], reviews: 2)
        let t = Self.t
        let ana = try store.claim(model: "shelf", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 2)
        try #require(ana.count > 1, "ana has too few elements")
        #expect(ana.map(\.predictionID) == ["a", "b"])
        #expect(ana[0].predictedClass == "can" && ana[0].score == 0.9 && ana[0].reviewer == "ana" && ana[0].leaseUntil == t + Self.lease && !ana[0].isGold)
        #expect(ana[0].model == "shelf" && ana[0].payload.flatMap(Conformance.uri) == "a" && ana[1].predictedClass == "jar")
        let ben = try store.claim(model: "shelf", reviewer: "ben", now: t + 1, leaseMillis: Self.lease, limit: 10)
        #expect(ben.map(\.predictionID) == ["c", "d"])
        // d needs two reviews: a second reviewer gets it, the same reviewer never, nobody a third time.
        #expect(try store.claim(model: nil, reviewer: "cy", now: t + 2, leaseMillis: Self.lease, limit: 10).map(\.predictionID) == ["d"])
        #expect(try store.claim(model: "shelf", reviewer: "ben", now: t + 3, leaseMillis: Self.lease, limit: 10).isEmpty)
        #expect(try store.claim(model: "shelf", reviewer: "dan", now: t + 3, leaseMillis: Self.lease, limit: 10).isEmpty)
        #expect(Set(ana.map(\.assignment) + ben.map(\.assignment)).count == 4)
        // The live claims of each reviewer, oldest first; the items show who holds them.
        #expect(try store.liveClaims(reviewer: "ana", model: nil, now: t + 4) == ana)
        #expect(try store.liveClaims(reviewer: "ben", model: "shelf", now: t + 4) == ben)
        #expect(try store.liveClaims(reviewer: "ben", model: "dock", now: t + 4).isEmpty)
        let d = try #require(try store.reviewItems(model: "shelf", state: nil, limit: 10).first { $0.predictionID == "d" })
        #expect(Set(d.claimedBy) == ["ben", "cy"])
        let status = try store.queueStatus(model: "shelf", now: t + 4)
        #expect(status.open == 4 && status.claimed == 5 && status.done == 0 && status.expired == 0)
        #expect(throws: (any Error).self) { try store.claim(model: "ghost", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 1) }
    }

    @Test(arguments: Backend.all) func onlyTheHolderRenewsOrReleasesALiveClaim(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.queue(["a"])
        let t = Self.t
        let claim = try #require(try store.claim(model: "shelf", reviewer: "ana", now: t, leaseMillis: 1_000, limit: 1).first)
        let renewed = try store.renew(assignment: claim.assignment, reviewer: "ana", now: t + 500, leaseMillis: 1_000)
        var expected = claim
        expected.leaseUntil = t + 1_500
        #expect(renewed == expected)
        #expect(try store.liveClaims(reviewer: "ana", model: "shelf", now: t + 1_200) == [expected], "live past the first lease")
        #expect(queueError { _ = try store.renew(assignment: claim.assignment, reviewer: "ben", now: t + 600, leaseMillis: 1_000) }
                == .notYours(assignment: claim.assignment, holder: "ana"))
        #expect(queueError { try store.release(assignment: claim.assignment, reviewer: "ben", now: t + 600) } == .notYours(assignment: claim.assignment, holder: "ana"))
        #expect(queueError { _ = try store.renew(assignment: 987_654, reviewer: "ana", now: t + 600, leaseMillis: 1_000) } == .unknownAssignment(987_654))
        // Released: back in the queue, for anyone including the same reviewer; the claim is finished.
        try store.release(assignment: claim.assignment, reviewer: "ana", now: t + 700)
        #expect(try store.liveClaims(reviewer: "ana", model: nil, now: t + 700).isEmpty)
        #expect(queueError { try store.release(assignment: claim.assignment, reviewer: "ana", now: t + 800) } == .finished(assignment: claim.assignment, state: "released"))
        #expect(queueError { _ = try store.renew(assignment: claim.assignment, reviewer: "ana", now: t + 800, leaseMillis: 1_000) }
                == .finished(assignment: claim.assignment, state: "released"))
        let back = try #require(try store.claim(model: "shelf", reviewer: "ana", now: t + 900, leaseMillis: 1_000, limit: 1).first)
        #expect(back.item == claim.item && back.assignment != claim.assignment)
        // A claim whose lease passed can neither be renewed nor released.
        guard case .leaseLost = queueError({ _ = try store.renew(assignment: back.assignment, reviewer: "ana", now: t + 1_900, leaseMillis: 1_000) }) else {
            Issue.record("renewing after the lease must be refused with leaseLost"); return
        }
        guard case .leaseLost = queueError({ try store.release(assignment: back.assignment, reviewer: "ana", now: t + 1_900) }) else {
            Issue.record("releasing after the lease must be refused with leaseLost"); return
        }
    }

    @Test(arguments: Backend.all) func expiredLeasesReturnItemsAndRefuseLateAnswers(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.queue(["a", "b"])
        let t = Self.t
        let claims = try store.claim(model: "shelf", reviewer: "ana", now: t, leaseMillis: 1_000, limit: 2)
        try #require(claims.count > 1, "claims has too few elements")
        #expect(claims.count == 2)
        #expect(try store.expireLeases(now: t + 999) == 0)
        // At the lease's end the claim is no longer live.
        #expect(try store.liveClaims(reviewer: "ana", model: nil, now: t + 1_000).isEmpty)
        let status = try store.queueStatus(model: "shelf", now: t + 1_000)
        #expect(status.expired == 2 && status.claimed == 0 && status.open == 2)
        #expect(try store.expireLeases(now: t + 1_000) == 2)
        #expect(try store.expireLeases(now: t + 1_001) == 0)
        #expect(try store.queueStatus(model: "shelf", now: t + 1_001).expired == 2)
        // The items go to the next reviewer; the late answer is not recorded.
        let ben = try store.claim(model: "shelf", reviewer: "ben", now: t + 2_000, leaseMillis: 1_000, limit: 1)
        #expect(ben.map(\.item) == [claims[0].item])
        guard case .leaseLost(let message) = queueError({ try store.submit([ReviewSubmission(assignment: claims[0].assignment, outcome: .label("can"))],
                                                                         reviewer: "ana", now: t + 2_001) }) else {
            Issue.record("a late answer must be refused with leaseLost"); return
        }
        #expect(message.contains("ben"))
        #expect(try c.truth().isEmpty)
        // Claiming expires stale leases by itself: ben's lapsed claim on a (never expired by
        // expireLeases) does not keep a from cy, who gets a and b.
        #expect(try store.claim(model: "shelf", reviewer: "cy", now: t + 3_000, leaseMillis: 1_000, limit: 5).map(\.item) == [claims[0].item, claims[1].item])
    }

    // MARK: Answers

    @Test(arguments: Backend.all) func answersAreRecordedWithTheirStatesAndEvents(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.queue(["a", "b", "c"])
        let t = Self.t
        let claims = try store.claim(model: "shelf", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 3)
        try #require(claims.count > 2, "claims has too few elements")
        try store.submit([ReviewSubmission(assignment: claims[0].assignment, outcome: .label("jar")),
                          ReviewSubmission(assignment: claims[1].assignment, outcome: .skip(reason: "blurry")),
                          ReviewSubmission(assignment: claims[2].assignment, outcome: .flag(reason: "broken image"))], reviewer: "ana", now: t + 10)
        let states = Dictionary(uniqueKeysWithValues: try store.reviewItems(model: "shelf", state: nil, limit: 10).map { ($0.predictionID, $0.state) })
        #expect(states == ["a": "done", "b": "open", "c": "flagged"])
        #expect(try store.reviewItems(model: nil, state: "flagged", limit: 10).map(\.predictionID) == ["c"])
        // The label is ground truth (a jar predicted as can); skips and flags are not.
        let truth = try c.truth()
        #expect(Set(truth.keys) == ["a"] && truth["a"]?.labelIndex == 1 && truth["a"]?.labeledAt == t + 10)
        #expect(try store.confusionMatrix(model: "shelf", window: Self.hourTen)[1, 0] == 1)
        let label = try #require(try c.events("review.label").first)
        #expect(label.subject == "a" && label.actor == "ana" && label.ts == t + 10 && Conformance.details(label)["label"] == "jar")
        #expect(Conformance.details(label)["item"] == String(claims[0].item))
        #expect(try c.events("review.skip").first.map { ($0.subject, Conformance.details($0)["reason"]) } ?? (nil, nil) == ("b", "blurry"))
        #expect(try c.events("review.flag").first.map { ($0.subject, Conformance.details($0)["reason"]) } ?? (nil, nil) == ("c", "broken image"))
        // Progress and statistics.
        #expect(try store.labeledItemCount(model: "shelf", since: t + 10) == 1)
        #expect(try store.labeledItemCount(model: nil, since: t) == 1)
        #expect(try store.labeledItemCount(model: "shelf", since: t + 11) == 0)
        #expect(try store.labeledItemCount(model: "dock", since: 0) == 0)
        let finished = try store.finishedAssignments(model: "shelf")
        #expect(finished.map(\.state) == ["labeled", "skipped", "flagged"])
        #expect(finished.map(\.labelIndex) == [1, nil, nil] && finished.map(\.item) == claims.map(\.item))
        #expect(finished.allSatisfy { $0.reviewer == "ana" && $0.claimedAt == t && $0.finishedAt == t + 10 && $0.goldLabelIndex == nil })
        #expect(try store.finishedAssignments(model: "dock").isEmpty)
        #expect(try store.queueStatus(model: "shelf", now: t + 20) == QueueStatus(open: 1, done: 1, flagged: 1, skipped: 1, byStrategy: ["uniform": 3]))
        // A skipped item goes to someone else, not back to who skipped it.
        #expect(try store.claim(model: "shelf", reviewer: "ana", now: t + 30, leaseMillis: Self.lease, limit: 5).isEmpty)
        #expect(try store.claim(model: "shelf", reviewer: "ben", now: t + 30, leaseMillis: Self.lease, limit: 5).map(\.predictionID) == ["b"])
        // An answered claim is finished; someone else's claim is not yours.
        #expect(queueError { try store.submit([ReviewSubmission(assignment: claims[0].assignment, outcome: .label("can"))], reviewer: "ana", now: t + 40) }
                == .finished(assignment: claims[0].assignment, state: "labeled"))
        #expect(queueError { try store.submit([ReviewSubmission(assignment: claims[0].assignment, outcome: .label("can"))], reviewer: "ben", now: t + 40) }
                == .notYours(assignment: claims[0].assignment, holder: "ana"))
    }

    @Test(arguments: Backend.all) func aRefusedAnswerRecordsNoneOfItsBatch(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.queue(["d", "e"])
        let t = Self.t
        let claims = try store.claim(model: "shelf", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 2)
        try #require(claims.count > 1, "claims has too few elements")
        let refused = queueError {
            try store.submit([ReviewSubmission(assignment: claims[0].assignment, outcome: .label("can")),
                              ReviewSubmission(assignment: claims[1].assignment, outcome: .label("tray"))], reviewer: "ana", now: t + 1)
        }
        #expect(refused == .unknownClass("tray", known: ["can", "jar", "box"]))
        #expect(try c.truth().isEmpty)
        #expect(try store.liveClaims(reviewer: "ana", model: "shelf", now: t + 2) == claims, "both claims stay live")
        #expect(try c.events("review.label").isEmpty)
        try store.submit([ReviewSubmission(assignment: claims[0].assignment, outcome: .label("can")),
                          ReviewSubmission(assignment: claims[1].assignment, outcome: .label("box"))], reviewer: "ana", now: t + 3)
        #expect(try c.truth().mapValues(\.labelIndex) == ["d": 0, "e": 2])
        #expect(try store.verify().isHealthy)
    }

    @Test(arguments: Backend.all) func reviewedBoxesBecomeGroundTruthWithoutTheRejectedOnes(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try c.ingest([det("i1", at: When.at(10), boxes: [("pallet", 0.9), ("person", 0.4)]), cls("a", "can", at: When.at(10))])
        try c.queue(["i1"], model: "dock")
        try c.queue(["a"])
        let t = Self.t
        let img = try #require(try store.claim(model: "dock", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 1).first)
        let shelfClaim = try #require(try store.claim(model: "shelf", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 1).first)
        // The wrong kind of answer, or a foreign class, is refused and the claim stays live.
        #expect(throws: StoreError.self) { try store.submit([ReviewSubmission(assignment: img.assignment, outcome: .label("pallet"))], reviewer: "ana", now: t + 1) }
        #expect(throws: StoreError.self) { try store.submit([ReviewSubmission(assignment: shelfClaim.assignment, outcome: .boxes([]))], reviewer: "ana", now: t + 1) }
        #expect(queueError {
            try store.submit([ReviewSubmission(assignment: img.assignment, outcome: .boxes([ReviewedBox(label: "cat", x: 0, y: 0, width: 1, height: 1, verdict: .added)]))],
                             reviewer: "ana", now: t + 1)
        } == .unknownClass("cat", known: ["pallet", "person"]))
        let boxes = [ReviewedBox(label: "pallet", x: 0, y: 0, width: 5, height: 5, verdict: .accepted),
                     ReviewedBox(label: "person", x: 10, y: 0, width: 5, height: 5, verdict: .rejected),
                     ReviewedBox(label: "person", x: 20, y: 1.5, width: 4, height: 6, verdict: .added)]
        try store.submit([ReviewSubmission(assignment: img.assignment, outcome: .boxes(boxes))], reviewer: "ana", now: t + 2)
        let truth = try #require(try c.truth("dock")["i1"])
        #expect(truth.boxes == ReviewedBox.groundTruthJSON(boxes) && truth.labelIndex == nil)
        var images: [(String, String)] = []
        try store.forEachReviewedImage(model: "dock", window: Self.hourTen) { images.append(($0, $1)) }
        try #require(images.count == 1)
        #expect(images[0].1 == #"[{"label":"pallet","bbox":[0,0,5,5],"review":"accepted"},{"label":"person","bbox":[20,1.5,4,6],"review":"added"}]"#)
        let event = try #require(try c.events("review.boxes").first)
        #expect(event.subject == "i1" && Conformance.details(event) == ["item": String(img.item), "accepted": "1", "changed": "0", "rejected": "1", "added": "1"])
        #expect(try store.reviewItems(model: "dock", state: nil, limit: 1).first?.state == "done")
        #expect(try store.verify().isHealthy)
    }

    @Test(arguments: Backend.all) func aDoubleReviewedItemIsDoneAfterTwoReviewersAndKeepsBothAnswers(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.queue(["a"], reviews: 2)
        let t = Self.t
        let first = try #require(try store.claim(model: "shelf", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 1).first)
        try store.submit([ReviewSubmission(assignment: first.assignment, outcome: .label("can"))], reviewer: "ana", now: t + 1)
        #expect(try store.reviewItems(model: "shelf", state: nil, limit: 1).first?.state == "open")
        #expect(try store.claim(model: "shelf", reviewer: "ana", now: t + 2, leaseMillis: Self.lease, limit: 1).isEmpty)
        let second = try #require(try store.claim(model: "shelf", reviewer: "ben", now: t + 2, leaseMillis: Self.lease, limit: 1).first)
        #expect(second.item == first.item)
        try store.submit([ReviewSubmission(assignment: second.assignment, outcome: .label("jar"))], reviewer: "ben", now: t + 3)
        #expect(try store.reviewItems(model: "shelf", state: nil, limit: 1).first?.state == "done")
        #expect(try store.finishedAssignments(model: "shelf").map { "\($0.reviewer):\($0.labelIndex ?? -1)" } == ["ana:0", "ben:1"])
        // The second, different answer is a recorded disagreement; the first stays the truth (keep_truth).
        #expect(try c.truth()["a"]?.labelIndex == 0)
        #expect(try store.finishedAssignments(model: "shelf").map(\.agreesWithTruth) == [nil, false])
        let disagreement = try #require(try c.events("review.disagreement").first)
        #expect(disagreement.subject == "a" && disagreement.actor == "ben")
        #expect(Conformance.details(disagreement) == ["item": String(first.item), "answer": "jar", "truth": "can", "truth_source": "review",
                                                      "rule": "keep_truth", "truth_now": "existing"])
        #expect(try store.labeledItemCount(model: "shelf", since: t) == 1, "one item, two answers")
        #expect(try store.verify().isHealthy)
    }

    @Test(arguments: Backend.all) func goldItemsScoreTheReviewerAndLeaveTheGroundTruthAlone(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        let s = try c.seqs()
        try c.label([truthLine("a", "jar")], now: 5)
        _ = try store.enqueue([ReviewItemDraft(predictionSeq: s["a"]!, strategy: .gold, inclusionProbability: 1, goldLabelIndex: 1)],
                              model: "shelf", sampleRun: "gold", now: 10, actor: "sampler")
        let t = Self.t
        let claim = try #require(try store.claim(model: "shelf", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 1).first)
        #expect(claim.isGold && claim.predictionID == "a")
        // A wrong answer on a gold item is recorded for the reviewer's statistics only.
        try store.submit([ReviewSubmission(assignment: claim.assignment, outcome: .label("can"))], reviewer: "ana", now: t + 1)
        #expect(try c.truth()["a"]?.labelIndex == 1 && c.truth()["a"]?.labeledAt == 5)
        let finished = try store.finishedAssignments(model: "shelf")
        try #require(finished.count > 0, "finished has too few elements")
        #expect(finished.count == 1 && finished[0].labelIndex == 0 && finished[0].goldLabelIndex == 1 && finished[0].state == "labeled")
        #expect(try store.reviewItems(model: "shelf", state: "done", limit: 10).map(\.isGold) == [true])
        #expect(try store.weightedReviews(model: "shelf", window: Self.hourTen).isEmpty)
        #expect(try store.queuedCount(model: "shelf", since: 0) == 0)
        // Undoing it leaves the known label as it was.
        let again = try store.undoLast(reviewer: "ana", model: "shelf", now: t + 2, leaseMillis: Self.lease)
        #expect(again.isGold && again.item == claim.item)
        #expect(try c.truth()["a"]?.labelIndex == 1)
        #expect(try store.verify().isHealthy)
    }

    @Test(arguments: Backend.all) func queueStatusCountsOneModelOrAll(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.ingest([det("i1", at: When.at(10), boxes: [("pallet", 0.5)]), det("i2", at: When.at(10), boxes: [])])
        try c.queue(["a", "b"])
        try c.queue(["i1", "i2"], model: "dock", probability: 0.2)
        let t = Self.t
        let dock = try store.claim(model: "dock", reviewer: "ana", now: t, leaseMillis: 1_000, limit: 2)
        try #require(dock.count > 0, "dock has too few elements")
        try store.submit([ReviewSubmission(assignment: dock[0].assignment, outcome: .boxes([]))], reviewer: "ana", now: t + 1)
        _ = try store.claim(model: "shelf", reviewer: "ben", now: t, leaseMillis: 1_000, limit: 1)
        #expect(try store.queueStatus(model: "dock", now: t + 2) == QueueStatus(open: 1, claimed: 1, done: 1, byStrategy: ["uniform": 2]))
        #expect(try store.queueStatus(model: "shelf", now: t + 2) == QueueStatus(open: 2, claimed: 1, byStrategy: ["uniform": 2]))
        #expect(try store.queueStatus(model: nil, now: t + 2) == QueueStatus(open: 3, claimed: 2, done: 1, byStrategy: ["uniform": 4]))
        #expect(try store.queueStatus(model: nil, now: t + 1_000) == QueueStatus(open: 3, done: 1, expired: 2, byStrategy: ["uniform": 4]))
        #expect(try store.queueStatus(model: "ghost", now: t) == QueueStatus())
    }

    // MARK: Undo

    @Test(arguments: Backend.all) func undoWithdrawsAFirstLabelAndGivesTheItemBack(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.queue(["a", "b"])
        let t = Self.t
        let claim = try #require(try store.claim(model: "shelf", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 1).first)
        try store.submit([ReviewSubmission(assignment: claim.assignment, outcome: .label("jar"))], reviewer: "ana", now: t + 1)
        #expect(try c.truth()["a"]?.labelIndex == 1)
        let again = try store.undoLast(reviewer: "ana", model: "shelf", now: t + 2, leaseMillis: 1_000)
        #expect(again.item == claim.item && again.assignment != claim.assignment && again.predictionID == "a")
        #expect(again.reviewer == "ana" && again.leaseUntil == t + 1_002)
        // The ground truth is withdrawn, and every aggregate with it.
        #expect(try c.truth().isEmpty)
        #expect(try store.confusionMatrix(model: "shelf", window: Self.hourTen).total == 0)
        #expect(try store.correctnessStream(model: "shelf", window: Self.hourTen).isEmpty)
        #expect(try store.verify().isHealthy)
        // The item is open again and held by ana; the undone answer counts nowhere.
        let item = try #require(try store.reviewItems(model: "shelf", state: nil, limit: 10).first { $0.predictionID == "a" })
        #expect(item.state == "open" && item.claimedBy == ["ana"])
        #expect(try store.liveClaims(reviewer: "ana", model: nil, now: t + 3) == [again])
        #expect(try store.finishedAssignments(model: "shelf").isEmpty)
        #expect(try store.labeledItemCount(model: "shelf", since: 0) == 0)
        let undo = try #require(try c.events("review.undo").first)
        #expect(undo.subject == "a" && undo.actor == "ana" && undo.ts == t + 2)
        #expect(Conformance.details(undo) == ["item": String(claim.item), "undone": "labeled"])
        // Answering the fresh claim labels it again.
        try store.submit([ReviewSubmission(assignment: again.assignment, outcome: .label("can"))], reviewer: "ana", now: t + 4)
        #expect(try c.truth()["a"]?.labelIndex == 0)
        #expect(try store.confusionMatrix(model: "shelf", window: Self.hourTen)[0, 0] == 1)
        #expect(try store.verify().isHealthy)
    }

    @Test(arguments: Backend.all) func undoRestoresTheLabelTheAnswerReplaced(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.queue(["a"], onDisagreement: .reviewWins)
        let t = Self.t
        // The label is imported while Ana holds the item; under review_wins her answer replaces it.
        let claim = try #require(try store.claim(model: "shelf", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 1).first)
        try c.label([truthLine("a", "box")], now: t)
        #expect(try store.reviewItems(model: "shelf", state: "done", limit: 1).first?.predictionID == "a", "the import closed the item")
        try store.submit([ReviewSubmission(assignment: claim.assignment, outcome: .label("jar"))], reviewer: "ana", now: t + 1)
        #expect(try c.truth()["a"]?.labelIndex == 1)
        let back = try store.undoLast(reviewer: "ana", model: nil, now: t + 2, leaseMillis: Self.lease)
        #expect(try c.truth()["a"]?.labelIndex == 2, "the imported label is back")
        try store.release(assignment: back.assignment, reviewer: "ana", now: t + 3)
        #expect(try store.reviewItems(model: "shelf", state: nil, limit: 1).first?.state == "done", "closed by the import, it stays closed")
        let m = try store.confusionMatrix(model: "shelf", window: Self.hourTen)
        #expect(m.total == 1 && m[2, 0] == 1)
        #expect(try store.correctnessStream(model: "shelf", window: Self.hourTen).map(\.correct) == [false])
        #expect(try store.verify().isHealthy)
        // The restored label is the import's content: importing it again is a repeat.
        let repeated = try c.label([truthLine("a", "box")], now: t + 3)
        #expect(repeated.duplicates == 1 && repeated.inserted == 0 && repeated.rejectedCount == 0)
    }

    @Test(arguments: Backend.all) func undoWalksBackSkipsAndFlagsNewestFirst(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.queue(["a", "b"])
        let t = Self.t
        let claims = try store.claim(model: "shelf", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 2)
        try #require(claims.count > 1, "claims has too few elements")
        try store.submit([ReviewSubmission(assignment: claims[0].assignment, outcome: .skip(reason: nil))], reviewer: "ana", now: t + 1)
        try store.submit([ReviewSubmission(assignment: claims[1].assignment, outcome: .flag(reason: "broken"))], reviewer: "ana", now: t + 2)
        #expect(try store.queueStatus(model: "shelf", now: t + 3).flagged == 1)
        let flagUndone = try store.undoLast(reviewer: "ana", model: nil, now: t + 3, leaseMillis: Self.lease)
        #expect(flagUndone.item == claims[1].item)
        #expect(try store.reviewItems(model: "shelf", state: "flagged", limit: 10).isEmpty)
        let skipUndone = try store.undoLast(reviewer: "ana", model: "shelf", now: t + 4, leaseMillis: Self.lease)
        #expect(skipUndone.item == claims[0].item)
        #expect(try c.events("review.undo").map { Conformance.details($0)["undone"] } == ["skipped", "flagged"])
        #expect(try store.liveClaims(reviewer: "ana", model: nil, now: t + 5) == [flagUndone, skipUndone])
        let status = try store.queueStatus(model: "shelf", now: t + 5)
        #expect(status.open == 2 && status.flagged == 0 && status.skipped == 0 && status.claimed == 2)
        guard case .cannotUndo = queueError({ _ = try store.undoLast(reviewer: "ana", model: nil, now: t + 6, leaseMillis: Self.lease) }) else {
            Issue.record("with every answer undone there is nothing left to undo"); return
        }
    }

    @Test(arguments: Backend.all) func undoIsRefusedOnceTheAnswerIsUsedElsewhere(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.queue(["a"], reviews: 2)
        try c.queue(["b"])
        let t = Self.t
        guard case .cannotUndo = queueError({ _ = try store.undoLast(reviewer: "ana", model: nil, now: t, leaseMillis: Self.lease) }) else {
            Issue.record("nothing to undo must be refused"); return
        }
        // Another reviewer has claimed the double-reviewed item since ana answered it.
        let x = try #require(try store.claim(model: "shelf", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 1).first)
        try store.submit([ReviewSubmission(assignment: x.assignment, outcome: .label("can"))], reviewer: "ana", now: t + 1)
        let ben = try #require(try store.claim(model: "shelf", reviewer: "ben", now: t + 2, leaseMillis: Self.lease, limit: 1).first)
        #expect(ben.item == x.item)
        guard case .cannotUndo(let message) = queueError({ _ = try store.undoLast(reviewer: "ana", model: nil, now: t + 3, leaseMillis: Self.lease) }) else {
            Issue.record("undo after another reviewer claimed the item must be refused"); return
        }
        #expect(message.contains("ben"))
        #expect(try c.truth()["a"]?.labelIndex == 0)
        #expect(try store.liveClaims(reviewer: "ben", model: nil, now: t + 3) == [ben])
        // A later revision of the ground truth (an import) came after ana's answer.
        let y = try #require(try store.claim(model: "shelf", reviewer: "ana", now: t + 4, leaseMillis: Self.lease, limit: 1).first)
        #expect(y.predictionID == "b")
        try store.submit([ReviewSubmission(assignment: y.assignment, outcome: .label("jar"))], reviewer: "ana", now: t + 5)
        try c.label([truthLine("b", "box")], now: t + 6, relabel: true)
        guard case .cannotUndo(let later) = queueError({ _ = try store.undoLast(reviewer: "ana", model: nil, now: t + 7, leaseMillis: Self.lease) }) else {
            Issue.record("undo after a later revision must be refused"); return
        }
        #expect(later.contains("later revision"))
        #expect(try c.truth()["b"]?.labelIndex == 2)
        #expect(try store.reviewItems(model: "shelf", state: "done", limit: 10).map(\.predictionID) == ["b"])
        #expect(try store.verify().isHealthy)
    }

    @Test(arguments: Backend.all) func undoWithdrawsReviewedBoxes(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try c.ingest([det("i1", at: When.at(10), boxes: [("pallet", 0.9)])])
        try c.queue(["i1"], model: "dock")
        let t = Self.t
        let claim = try #require(try store.claim(model: "dock", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 1).first)
        let boxes = [ReviewedBox(label: "pallet", x: 0, y: 0, width: 5, height: 5, verdict: .changed)]
        try store.submit([ReviewSubmission(assignment: claim.assignment, outcome: .boxes(boxes))], reviewer: "ana", now: t + 1)
        #expect(try c.truth("dock")["i1"]?.boxes == ReviewedBox.groundTruthJSON(boxes))
        let again = try store.undoLast(reviewer: "ana", model: "dock", now: t + 2, leaseMillis: Self.lease)
        #expect(again.item == claim.item)
        #expect(try c.truth("dock").isEmpty)
        var images = 0
        try store.forEachReviewedImage(model: "dock", window: Self.hourTen) { _, _ in images += 1 }
        #expect(images == 0)
        #expect(try c.events("review.undo").first.map(Conformance.details)?["undone"] == "labeled")
        #expect(try store.verify().isHealthy)
    }

    @Test(arguments: Backend.all) func undoByTheSecondReviewerRestoresTheFirstAnswer(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.queue(["a"], reviews: 2, onDisagreement: .reviewWins)
        let t = Self.t
        let first = try #require(try store.claim(model: "shelf", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 1).first)
        try store.submit([ReviewSubmission(assignment: first.assignment, outcome: .label("jar"))], reviewer: "ana", now: t + 1)
        let second = try #require(try store.claim(model: "shelf", reviewer: "ben", now: t + 2, leaseMillis: Self.lease, limit: 1).first)
        try store.submit([ReviewSubmission(assignment: second.assignment, outcome: .label("box"))], reviewer: "ben", now: t + 3)
        #expect(try c.truth()["a"]?.labelIndex == 2)
        #expect(try store.reviewItems(model: "shelf", state: nil, limit: 1).first?.state == "done")
        let back = try store.undoLast(reviewer: "ben", model: nil, now: t + 4, leaseMillis: Self.lease)
        #expect(back.item == first.item && back.reviewer == "ben")
        #expect(try c.truth()["a"]?.labelIndex == 1, "ana's answer is the ground truth again")
        #expect(try store.confusionMatrix(model: "shelf", window: Self.hourTen)[1, 0] == 1)
        #expect(try store.reviewItems(model: "shelf", state: nil, limit: 1).first?.state == "open")
        #expect(try store.finishedAssignments(model: "shelf").map(\.reviewer) == ["ana"])
        #expect(try store.verify().isHealthy)
    }

    @Test(arguments: Backend.all) func undoTakesBackTheLastAnswerInTheModelsInView(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.ingest([det("i1", at: When.at(10), boxes: [("pallet", 0.9)])])
        try c.queue(["i1"], model: "dock")
        try c.queue(["a"])
        let t = Self.t
        let img = try #require(try store.claim(model: "dock", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 1).first)
        try store.submit([ReviewSubmission(assignment: img.assignment, outcome: .skip(reason: nil))], reviewer: "ana", now: t + 1)
        let shelf = try #require(try store.claim(model: "shelf", reviewer: "ana", now: t + 2, leaseMillis: Self.lease, limit: 1).first)
        try store.submit([ReviewSubmission(assignment: shelf.assignment, outcome: .label("can"))], reviewer: "ana", now: t + 3)
        // The newer answer is on shelf, but only dock is in view.
        let back = try store.undoLast(reviewer: "ana", model: "dock", now: t + 4, leaseMillis: Self.lease)
        #expect(back.item == img.item && back.model == "dock")
        #expect(try c.truth()["a"]?.labelIndex == 0, "the shelf answer stays")
        guard case .cannotUndo = queueError({ _ = try store.undoLast(reviewer: "ana", model: "dock", now: t + 5, leaseMillis: Self.lease) }) else {
            Issue.record("nothing left to undo on dock"); return
        }
        #expect(try store.undoLast(reviewer: "ana", model: nil, now: t + 6, leaseMillis: Self.lease).item == shelf.item)
        #expect(try c.truth().isEmpty)
    }

    // MARK: Releasing and statistics

    @Test(arguments: Backend.all) func releaseAllEndsLiveClaimsByReviewerAndModel(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.ingest([det("i1", at: When.at(10), boxes: [("pallet", 0.5)])])
        try c.queue(["a", "b", "c"])
        try c.queue(["i1"], model: "dock")
        let t = Self.t
        #expect(try store.claim(model: "shelf", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 2).count == 2)
        #expect(try store.claim(model: "dock", reviewer: "ana", now: t, leaseMillis: Self.lease, limit: 1).count == 1)
        #expect(try store.claim(model: "shelf", reviewer: "ben", now: t, leaseMillis: Self.lease, limit: 1).count == 1)
        #expect(try store.releaseAll(reviewer: "ana", model: "dock", now: t + 1) == 1)
        #expect(try store.liveClaims(reviewer: "ana", model: nil, now: t + 1).map(\.predictionID) == ["a", "b"])
        #expect(try store.releaseAll(reviewer: "ana", model: nil, now: t + 2) == 2)
        #expect(try store.releaseAll(reviewer: "ana", model: nil, now: t + 3) == 0)
        #expect(try store.releaseAll(reviewer: nil, model: nil, now: t + 4) == 1)
        #expect(try store.queueStatus(model: nil, now: t + 5).claimed == 0)
        #expect(try store.reviewItems(model: nil, state: "open", limit: 10).count == 4)
        // Released items may go to the same reviewer again.
        #expect(try store.claim(model: nil, reviewer: "ana", now: t + 6, leaseMillis: Self.lease, limit: 10).count == 4)
    }

    @Test(arguments: Backend.all) func weightedReviewsAreTheLabelledQueuedItemsWithTheirProbability(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try Self.fiveShelfPredictions(c)
        try c.ingest([cls("late", "can", at: When.at(12))])
        let s = try c.seqs()
        _ = try store.enqueue([ReviewItemDraft(predictionSeq: s["a"]!, strategy: .uniform, inclusionProbability: 0.5),
                               ReviewItemDraft(predictionSeq: s["b"]!, strategy: .uncertainty, inclusionProbability: 0.25),
                               ReviewItemDraft(predictionSeq: s["late"]!, strategy: .uniform, inclusionProbability: 0.5),
                               ReviewItemDraft(predictionSeq: s["d"]!, strategy: .uniform, inclusionProbability: 0.125)],
                              model: "shelf", sampleRun: "r", now: 1, actor: "sampler")
        // a reviewed, b labelled by import, late outside the window, d queued but unlabelled;
        // c labelled but never queued; e a gold item.
        let claim = try #require(try store.claim(model: "shelf", reviewer: "ana", now: Self.t, leaseMillis: Self.lease, limit: 1).first)
        try store.submit([ReviewSubmission(assignment: claim.assignment, outcome: .label("jar"))], reviewer: "ana", now: Self.t + 1)
        try c.label([truthLine("b", "can"), truthLine("late", "can"), truthLine("c", "box"), truthLine("e", "jar")])
        _ = try store.enqueue([ReviewItemDraft(predictionSeq: s["e"]!, strategy: .gold, inclusionProbability: 1, goldLabelIndex: 1)],
                              model: "shelf", sampleRun: "gold", now: 2, actor: "sampler")
        let reviews = try store.weightedReviews(model: "shelf", window: Self.hourTen).sorted { $0.inclusionProbability > $1.inclusionProbability }
        #expect(reviews == [WeightedReview(observed: 1, predicted: 0, inclusionProbability: 0.5), WeightedReview(observed: 0, predicted: 1, inclusionProbability: 0.25)])
        #expect(try store.weightedReviews(model: "dock", window: Self.hourTen).isEmpty)
        #expect(throws: (any Error).self) { try store.weightedReviews(model: "ghost", window: Self.hourTen) }
    }
}
