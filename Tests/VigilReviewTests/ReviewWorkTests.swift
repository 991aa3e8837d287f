import Foundation
import GRDB
import Testing
import VigilCore
@testable import VigilStore
@testable import VigilReview

/// Keys → session → ``ReviewWork`` → the store, without a terminal.
@Suite("review work against the store")
struct ReviewWorkTests {
    /// Presses `keys` on the item `work` shows, carrying out each action, a second apart.
    func press(_ keys: [Key], _ session: inout ReviewSession, _ work: ReviewWork, clock: TestClock? = nil) {
        for key in keys {
            clock?.advance(1000)
            let before = work.current?.claim.assignment
            let action = session.handle(key)
            if let message = work.perform(action) { session.message = message }
            if work.current?.claim.assignment != before { session.present(work.current) }
        }
    }

    @Test("each answer is committed at once; labels, skips and flags land in the store")
    func answers() throws {
        let store = try queuedStore(classified: 4)
        let w = work(store, "ana", model: "shelf")
        var session = ReviewSession(reviewer: "ana")
        session.present(try w.start())
        #expect(w.current?.claim.predictionID == "c0")
        press([.enter], &session, w)                       // c0: can accepted
        #expect(try groundTruth(store, "c0")?.label == "can")
        #expect(session.message == "stored: can (model said can) · item c0")
        press([.char("3")], &session, w)                   // c1 (predicted jar) is a box
        #expect(session.message == "stored: box (model said jar) · item c1")
        press([.char("s")], &session, w)                   // c2 skipped
        #expect(session.message == "skipped · item c2")
        press([.char("f")] + "dark".map { Key.char($0) } + [.enter], &session, w)  // c3 flagged
        #expect(session.message == "flagged: dark · item c3")
        #expect(try groundTruth(store, "c1")?.label == "box")
        #expect(try groundTruth(store, "c2") == nil)
        #expect(w.current == nil && session.item == nil)
        #expect(w.tally.labeled == 2 && w.tally.skipped == 1 && w.tally.flagged == 1 && w.tally.agreed == 1)
        let flagged = try store.reviewItems(model: "shelf", state: "flagged", limit: 10)
        #expect(flagged.map(\.predictionID) == ["c3"])
        #expect(try store.labeledItemCount(model: "shelf", since: t0) == 2 && store.labeledItemCount(model: "dock", since: t0) == 0)
        #expect(w.progress(budget: 10) == QueueProgress(doneToday: 2, budget: 10, open: 1, now: t0 + 86_400_000))  // c2 was skipped: open for others
        #expect(try store.verify().aggregateMismatches.isEmpty)
    }

    @Test("detection answers store accepted, changed and added boxes as ground truth, rejected ones only with the answer")
    func detectionBoxes() throws {
        let store = try queuedStore(classified: 0, detected: 1)
        let w = work(store, "ana", model: "dock")
        var session = ReviewSession(reviewer: "ana")
        session.present(try w.start())
        press([.char("x"), .char("c"), .char("3"), .char("n"), .char("1"), .right, .enter], &session, w)
        #expect(session.message == "stored: 2 boxes: 1 changed, 1 added, 1 rejected (model said 2 boxes) · item d0")
        let truth = try #require(try groundTruth(store, "d0"))
        #expect(truth.label == nil)
        #expect(truth.boxes == #"[{"label":"box","bbox":[50,40,10,30],"review":"changed"},{"label":"can","bbox":[62,45,40,30],"review":"added"}]"#)
        let answer = try store.queue.read { try String.fetchOne($0, sql: "SELECT boxes FROM review_assignments WHERE state = 'labeled'") }
        #expect(answer?.contains(#"{"label":"can","bbox":[10,10,20,20],"review":"rejected"}"#) == true)
        // The detection evaluation reads them like imported boxes.
        var images: [(String, String)] = []
        try store.forEachReviewedImage(model: "dock", window: TimeWindow(from: 0, to: .max)) { images.append(($0, $1)) }
        #expect(images.count == 1 && images[0].1.contains(#""label":"box""#))
        // A label on a detection item and boxes on a classification item are refused.
        let other = try queuedStore(classified: 1, detected: 1)
        let c = try #require(try other.claim(model: "dock", reviewer: "ben", now: t0, leaseMillis: lease))
        #expect(throws: StoreError.self) { try other.submit(assignment: c.assignment, reviewer: "ben", outcome: .label("can"), now: t0) }
        #expect(throws: QueueError.self) {
            try other.submit(assignment: c.assignment, reviewer: "ben", outcome: .boxes([ReviewedBox(label: "cat", x: 0, y: 0, width: 1, height: 1, verdict: .added)]), now: t0)
        }
        let k = try #require(try other.claim(model: "shelf", reviewer: "ben", now: t0, leaseMillis: lease))
        #expect(throws: StoreError.self) { try other.submit(assignment: k.assignment, reviewer: "ben", outcome: .boxes([]), now: t0) }
    }

    @Test("u takes the last answer back: the label is withdrawn, the item comes back, the aggregates stay exact")
    func undo() throws {
        let store = try queuedStore(classified: 3)
        let clock = TestClock(t0 + 86_400_000)
        let w = work(store, "ana", model: "shelf", clock: clock)
        var session = ReviewSession(reviewer: "ana")
        session.present(try w.start())
        press([.char("2")], &session, w, clock: clock)                   // c0 labelled jar (a slip)
        #expect(try groundTruth(store, "c0")?.label == "jar")
        #expect(w.current?.claim.predictionID == "c1")
        press([.char("u")], &session, w, clock: clock)
        #expect(w.current?.claim.predictionID == "c0" && session.item?.claim.predictionID == "c0")
        #expect(try groundTruth(store, "c0") == nil)
        #expect(try store.verify().aggregateMismatches.isEmpty)
        #expect(w.tally.labeled == 0 && w.tally.undone == 1)
        press([.enter], &session, w, clock: clock)         // c0: can, now revision 3 (1 jar, 2 withdrawn)
        #expect(try groundTruth(store, "c0")?.label == "can" && groundTruth(store, "c0")?.revision == 3)
        #expect(w.current?.claim.predictionID == "c1")     // the item shown before the undo comes next
        press([.char("s"), .char("u")], &session, w, clock: clock)       // a skip can be undone too
        #expect(w.current?.claim.predictionID == "c1")
        #expect(try store.verify().aggregateMismatches.isEmpty)
        #expect(try store.queueStatus(model: "shelf", now: clock.now).done == 1)
    }

    @Test("the screen says when an answer meets ground truth that arrived meanwhile, and which stands")
    func answerMeetsImportedTruth() throws {
        // The label of the item on screen (claimed, so the import cannot take it away) arrives
        // while Ana looks at it: once different from her answer, once equal.
        for (imported, expected) in [("box", "recorded: can (model said can) · item c0 · ground truth stays box (from import): your answer is recorded as a disagreement"),
                                     ("can", "stored: can (model said can) · item c0 · agrees with the ground truth from import")] {
            let store = try queuedStore(classified: 1)
            let w = work(store, "ana", model: "shelf")
            var session = ReviewSession(reviewer: "ana")
            session.present(try w.start())
            #expect(w.current?.claim.predictionID == "c0")
            var batch: [LabelRecord]? = [LabelRecord(line: 1, predictionID: "c0", label: imported, boxesJSON: nil, boxLabels: [], reviewer: nil,
                                                     source: "import", contentHash: 7)]
            _ = try store.ingestLabels(options: IngestOptions(now: t0), nextBatch: { defer { batch = nil }; return batch }, progress: { _ in })
            press([.enter], &session, w)
            #expect(session.message == expected)
            #expect(try groundTruth(store, "c0")?.label == imported)
        }
    }

    @Test("an answer against an imported label keeps the import, and undo leaves it")
    func answerAgainstImportKeepsIt() throws {
        let store = try queuedStore(classified: 1)
        let claim = try #require(try store.claim(model: "shelf", reviewer: "ana", now: t0, leaseMillis: lease))
        var batch: [LabelRecord]? = [LabelRecord(line: 1, predictionID: "c0", label: "box", boxesJSON: nil, boxLabels: [], reviewer: nil, source: "import", contentHash: 7)]
        _ = try store.ingestLabels(options: IngestOptions(now: t0), nextBatch: { defer { batch = nil }; return batch }, progress: { _ in })
        try store.submit(assignment: claim.assignment, reviewer: "ana", outcome: .label("jar"), now: t0 + 1)
        // The disagreement is recorded; the imported truth stays (review.on_disagreement: keep_truth).
        #expect(try groundTruth(store, "c0")?.label == "box" && groundTruth(store, "c0")?.revision == 1)
        #expect(try store.finishedAssignments(model: "shelf").map(\.agreesWithTruth) == [false])
        _ = try store.undoLast(reviewer: "ana", model: nil, now: t0 + 2, leaseMillis: lease)
        #expect(try groundTruth(store, "c0")?.label == "box" && groundTruth(store, "c0")?.revision == 1)
        #expect(try store.verify().aggregateMismatches.isEmpty)
    }

    @Test("undo is refused once the answer is used elsewhere: another reviewer took the item, or its label was revised")
    func undoRefused() throws {
        let store = try queuedStore(classified: 2, double: 1)
        #expect(throws: QueueError.self) { try store.undoLast(reviewer: "ana", model: nil, now: t0, leaseMillis: lease) }  // nothing yet
        let a = try #require(try store.claim(model: "shelf", reviewer: "ana", now: t0, leaseMillis: lease))
        try store.submit(assignment: a.assignment, reviewer: "ana", outcome: .label("can"), now: t0 + 1)
        let b = try #require(try store.claim(model: "shelf", reviewer: "ben", now: t0 + 2, leaseMillis: lease))
        #expect(b.item == a.item)  // the double-review item goes to ben too
        do {
            _ = try store.undoLast(reviewer: "ana", model: nil, now: t0 + 3, leaseMillis: lease)
            Issue.record("undo should be refused")
        } catch QueueError.cannotUndo(let message) {
            #expect(message.contains("ben has reviewed or claimed it since"))
        }
        // A relabel by import after ana's answer on the other item.
        let c = try #require(try store.claim(model: "shelf", reviewer: "ana", now: t0 + 4, leaseMillis: lease))
        try store.submit(assignment: c.assignment, reviewer: "ana", outcome: .label("jar"), now: t0 + 5)
        var batch: [LabelRecord]? = [LabelRecord(line: 1, predictionID: c.predictionID, label: "box", boxesJSON: nil, boxLabels: [], reviewer: nil, source: "import", contentHash: 9)]
        _ = try store.ingestLabels(options: IngestOptions(now: t0 + 6, allowRelabel: true), nextBatch: { defer { batch = nil }; return batch }, progress: { _ in })
        do {
            _ = try store.undoLast(reviewer: "ana", model: nil, now: t0 + 7, leaseMillis: lease)
            Issue.record("undo should be refused")
        } catch QueueError.cannotUndo(let message) {
            #expect(message.contains("later revision"))
        }
        #expect(try groundTruth(store, c.predictionID)?.label == "box")
    }

    @Test("quitting releases the item on screen and the prefetched one; a crashed session's claims are resumed")
    func quitAndResume() throws {
        let store = try queuedStore(classified: 5)
        let clock = TestClock(t0 + 86_400_000)
        let first = work(store, "ana", model: "shelf", clock: clock)
        try first.start()
        first.waitForPrefetch()
        #expect(try store.queueStatus(model: "shelf", now: clock.now).claimed == 2)  // c0 on screen, c1 prefetched
        #expect(first.finish() == 2)
        #expect(try store.queueStatus(model: "shelf", now: clock.now).claimed == 0)
        // A session that dies without finishing (a crash): its live claims come back first.
        let crashed = work(store, "ana", model: "shelf", clock: clock)
        try crashed.start()
        crashed.perform(.submit(.label("can")))  // c0 done, c1 on screen, c2 prefetched
        crashed.waitForPrefetch()
        let restarted = work(store, "ana", model: "shelf", clock: clock)
        try restarted.start()
        #expect(restarted.current?.claim.predictionID == "c1")
        restarted.perform(.submit(.label("jar")))
        #expect(restarted.current?.claim.predictionID == "c2")
        restarted.finish()
    }

    @Test("leases are renewed while the reviewer is active, and left to expire when idle")
    func renewal() throws {
        let store = try queuedStore(classified: 3)
        let clock = TestClock(t0 + 86_400_000)
        let w = work(store, "ana", model: "shelf", clock: clock)
        try w.start()
        w.waitForPrefetch()
        let until = { try store.liveClaims(reviewer: "ana", model: nil, now: clock.now).map(\.leaseUntil) }
        let start = clock.now
        #expect(try until() == [start + lease, start + lease])
        clock.advance(lease / 3)
        #expect(w.renewIfDue(lastActivity: clock.now - 1000) == nil)
        #expect(try until() == [clock.now + lease, clock.now + lease])
        let renewed = clock.now
        clock.advance(lease / 3)
        _ = w.renewIfDue(lastActivity: renewed - lease)     // idle for a whole lease: no renewal
        #expect(try until() == [renewed + lease, renewed + lease])
        clock.advance(lease)
        #expect(try store.liveClaims(reviewer: "ana", model: nil, now: clock.now).isEmpty)
    }

    @Test("two reviewers on one queue never see the same item, except double-review items (to both, once each)")
    func twoReviewers() throws {
        let store = try queuedStore(classified: 30, double: 4)
        let clock = TestClock(t0 + 86_400_000)
        let ana = work(store, "ana", model: "shelf", clock: clock), ben = work(store, "ben", model: "shelf", clock: clock)
        try ana.start(); try ben.start()
        var seen: [String: [String]] = [:]
        while ana.current != nil || ben.current != nil {
            for (name, w) in [("ana", ana), ("ben", ben)] {
                guard let item = w.current else { continue }
                seen[item.claim.predictionID, default: []].append(name)
                w.perform(.submit(.label("can")))
            }
        }
        #expect(seen.count == 30)
        let doubles = (0..<4).map { "c\($0)" }
        for (id, who) in seen {
            if doubles.contains(id) { #expect(who.sorted() == ["ana", "ben"], "\(id)") } else { #expect(who.count == 1, "\(id): \(who)") }
        }
        #expect(try store.queueStatus(model: "shelf", now: clock.now).done == 30)
    }
}
