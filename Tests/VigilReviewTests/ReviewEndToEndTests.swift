import Foundation
import GRDB
import Testing
import VigilReview

/// `vigil review` driven like a reviewer in a real terminal: the built binary inside tmux,
/// keys sent with `send-keys`, the screen read with `capture-pane`, then every label checked
/// in the store.
@Suite(.serialized) struct ReviewEndToEndTests {
    /// The prediction id in the title bar (`… · item c-007`), or nil when the queue is done.
    static func item(_ screen: String) -> String? {
        guard let first = screen.split(separator: "\n", omittingEmptySubsequences: false).first,
              let range = first.range(of: "item ") else { return nil }
        return String(first[range.upperBound...].prefix { !$0.isWhitespace })
    }

    static func shownItem(_ pane: TmuxPane, after previous: String?) throws -> String? {
        let screen = try pane.wait(for: "the item after \(previous ?? "the start")") {
            (item($0) != nil && item($0) != previous) || $0.contains("Nothing left to review")
        }
        return item(screen)
    }

    /// The class a reviewer gives classification item `i`, and the keys that give it.
    static func answer(_ i: Int) -> (label: String, keys: [[String]]) {
        let classes = ["bottle", "can", "box", "bag", "jar", "carton", "tube", "pouch", "tray", "cup"]  // the example policy's order
        switch i % 4 {
        case 0: return (ReviewFixture.predicted(i), [["Enter"]])                       // accept the prediction
        case 1: return ("jar", [["5"]])                                                // pick by key
        case 2: return ("tray", [["/"], ["-l", "tra"], ["Enter"]])                      // search by name
        default:
            let other = ReviewFixture.predicted(i) == "box" ? "bag" : "box"
            return (other, [[String(classes.firstIndex(of: other)! + 1)]])
        }
    }

    @Test(.enabled(if: TmuxPane.available, "needs tmux (scripts/install-deps.sh installs it)"), .timeLimit(.minutes(3)))
    func labelsClassificationAndDetectionItemsQuitsRestartsAndKeepsEveryLabel() throws {
        let root = NSTemporaryDirectory() + "vigil-review-e2e-\(UUID().uuidString.prefix(8))"
        defer { try? FileManager.default.removeItem(atPath: root) }
        let fixture = try runVigil(["review", "fixture", "--dir", root, "--classification", "20", "--detection", "5", "--width", "160", "--height", "120"])
        #expect(fixture.status == 0, "\(fixture.output)")
        let ingest = try runVigil(["ingest", "predictions", root + "/predictions.ndjson", "--workspace", root])
        #expect(ingest.status == 0, "\(ingest.output)")
        let sample = try runVigil(["sample", "--workspace", root], environment: ["VIGIL_NOW": ReviewFixture.sampleTime])
        #expect(sample.status == 0 && sample.output.contains("queued 20 of 20") && sample.output.contains("queued 5 of 5"), "\(sample.output)")

        let pane = TmuxPane(width: 120, height: 40)
        defer { pane.kill() }
        let review = "cd '\(root)' && '\(vigilBinary)' review --reviewer ana"
        var expected: [String: String] = [:]
        var screens: [String] = []

        // Session 1: ten classification items, one wrong answer undone on the way, then q mid-item.
        try pane.start(review + " --model shelf-classifier")
        var current = try Self.shownItem(pane, after: nil)
        screens.append(try pane.wait(forText: "? help · q quit"))  // the whole frame, key line last
        var labelled = 0
        while labelled < 10, let id = current {
            let i = Int(id.dropFirst(2))!
            if labelled == 3 {
                // A slip: the wrong class, then u brings the item back with the label withdrawn.
                try pane.send("0")
                _ = try Self.shownItem(pane, after: id)
                try pane.send("u")
                try pane.wait(forText: "undone: item \(id) is back")
                #expect(Self.item(try pane.screen()) == id)
            }
            let (label, keys) = Self.answer(i)
            for k in keys { try pane.tmux(["send-keys", "-t", "s1"] + k) }
            expected[id] = label
            labelled += 1
            current = try Self.shownItem(pane, after: id)
            if labelled == 2 { try pane.send("?"); try pane.wait(forText: "any key closes this"); usleep(300_000); screens.append(try pane.screen()); try pane.send("Escape") }
        }
        let unanswered = try #require(current)
        try pane.send("q")
        let end1 = try pane.wait(forText: "TERMINAL-CHECKED")
        #expect(end1.contains("EXITED=0") && end1.contains("10 labelled") && end1.contains("1 undone"), "\(end1)")
        #expect(end1.contains("2 claims released"), "the item on screen and the prefetched one: \(end1)")
        #expect(end1.contains("\nicanon echo"), "the terminal is back in canonical mode with echo: \(end1)")

        // Session 2: a restart carries on with the item left on screen, and finishes the classifier.
        try pane.start(review + " --model shelf-classifier")
        current = try Self.shownItem(pane, after: nil)
        #expect(current == unanswered)
        while let id = current, id.hasPrefix("c-") {
            let (label, keys) = Self.answer(Int(id.dropFirst(2))!)
            for k in keys { try pane.tmux(["send-keys", "-t", "s2"] + k) }
            expected[id] = label
            current = try Self.shownItem(pane, after: id)
        }
        #expect(current == nil)
        // SIGTERM (a stopped service, a closed SSH session) ends it like q: terminal restored.
        let pid = try #require(try pane.programPID())
        kill(pid, SIGTERM)
        let end2 = try pane.wait(forText: "TERMINAL-CHECKED")
        #expect(end2.contains("EXITED=0") && end2.contains("10 labelled") && end2.contains("\nicanon echo"), "\(end2)")

        // Session 3: the detector; boxes are (1) can at [10,10,26,24] 0.91 and (2) bottle at [80,60,32,40] 0.62.
        try pane.start(review + " --model shelf-detector")
        var detectionIDs: [String] = []
        current = try Self.shownItem(pane, after: nil)
        screens.append(try pane.wait(forText: "Enter submit"))
        // SIGWINCH: a smaller window is laid out again at its size (the key line moves up to row 30).
        try pane.tmux(["resize-window", "-t", "s3", "-x", "100", "-y", "30"])
        try pane.wait(for: "the layout at 100×30") { screen in
            let rows = screen.split(separator: "\n", omittingEmptySubsequences: false)
            return rows.count >= 30 && rows[29].contains("Tab box") && rows[0].contains("item \(current!)")
        }
        try pane.tmux(["resize-window", "-t", "s3", "-x", "120", "-y", "40"])
        try pane.wait(for: "the layout at 120×40 again") { $0.split(separator: "\n", omittingEmptySubsequences: false).dropFirst(39).first?.contains("Tab box") == true }
        var crashed = false
        while let id = current, id.hasPrefix("d-") {
            if detectionIDs.count == 2 && !crashed {
                // A crash mid-item: the handler restores the terminal and the process dies of the
                // signal; its claims stay live, and the restart shows the same item first.
                crashed = true
                kill(try #require(try pane.programPID()), SIGSEGV)
                let dead = try pane.wait(forText: "TERMINAL-CHECKED")
                #expect(dead.contains("EXITED=139") && dead.contains("\nicanon echo"), "\(dead)")
                try pane.start(review + " --model shelf-detector")
                #expect(try Self.shownItem(pane, after: nil) == id)
                try pane.wait(forText: "Enter submit")
            }
            switch detectionIDs.count {
            case 0: try pane.send("Enter")                                             // accept both
            case 1: try pane.send("x"); try pane.send("Enter")                         // box 1 is a false positive
            case 2: try pane.send("c"); try pane.send("3"); try pane.send("Enter")     // box 1 is a box, not a can
            case 3:                                                                   // a missed can, moved right by 2 steps
                try pane.send("n"); try pane.send("1"); try pane.send("Right"); try pane.send("Right")
                try pane.wait(forText: "3 can added")
                usleep(300_000)  // the rest of the frame (the overlay's rows come in as tmux reads them)
                screens.append(try pane.screen())
                try pane.send("Enter")
            default:                                                                  // box 2 one step wider, accepted
                try pane.send("Tab"); try pane.send("S-Right"); try pane.send("Enter")
            }
            detectionIDs.append(id)
            current = try Self.shownItem(pane, after: id)
        }
        try pane.send("q")
        let end3 = try pane.wait(forText: "TERMINAL-CHECKED")
        #expect(end3.contains("EXITED=0") && end3.contains("3 labelled"), "\(end3)")  // after the restart
        #expect(detectionIDs.count == 5)

        // Every label is in the store, as ground truth from review.
        let db = try DatabaseQueue(path: root + "/.vigil/vigil.db")
        let stored = try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT p.id, mc.name AS label, g.boxes, g.source, g.reviewer FROM ground_truth g JOIN predictions p ON p.seq = g.prediction_seq
                LEFT JOIN model_classes mc ON mc.model_id = g.model_id AND mc.idx = g.label_idx
                """)
        }
        var byID: [String: Row] = [:]
        for row in stored { byID[row["id"]] = row }
        #expect(expected.count == 20)
        for (id, label) in expected {
            #expect((byID[id]?["label"] as String?) == label, "\(id)")
            #expect((byID[id]?["source"] as String?) == "review" && (byID[id]?["reviewer"] as String?) == "ana")
        }
        let boxes = detectionIDs.map { (byID[$0]?["boxes"] as String?) ?? "none" }
        #expect(boxes == [
            #"[{"label":"can","bbox":[10,10,26,24],"review":"accepted"},{"label":"bottle","bbox":[80,60,32,40],"review":"accepted"}]"#,
            #"[{"label":"bottle","bbox":[80,60,32,40],"review":"accepted"}]"#,
            #"[{"label":"box","bbox":[10,10,26,24],"review":"changed"},{"label":"bottle","bbox":[80,60,32,40],"review":"accepted"}]"#,
            #"[{"label":"can","bbox":[10,10,26,24],"review":"accepted"},{"label":"bottle","bbox":[80,60,32,40],"review":"accepted"},{"label":"can","bbox":[64,45,40,30],"review":"added"}]"#,
            #"[{"label":"can","bbox":[10,10,26,24],"review":"accepted"},{"label":"bottle","bbox":[80,60,34,40],"review":"changed"}]"#,
        ])
        let queue = try runVigil(["queue", "status", "--workspace", root])
        #expect(queue.output.contains("open: 0  claimed: 0  done: 25"), "\(queue.output)")
        let check = try runVigil(["check", "--workspace", root])
        #expect(check.status == 0, "\(check.output)")
        // The detector's evaluation reads the reviewed boxes.
        let evaluate = try runVigil(["evaluate", "--workspace", root, "--model", "shelf-detector", "--window", "30d", "--format", "json", "--no-drift"],
                                    environment: ["VIGIL_NOW": ReviewFixture.sampleTime])
        let report = try JSONSerialization.jsonObject(with: Data(evaluate.output.utf8)) as? [String: Any]
        #expect((report?["detection"] as? [String: Any])?["images"] as? Int == 5, "\(evaluate.output.prefix(400))")

        if let dir = ProcessInfo.processInfo.environment["VIGIL_REVIEW_SCREENS"] {
            for (n, s) in screens.enumerated() { try s.write(toFile: "\(dir)/screen-\(n).txt", atomically: true, encoding: .utf8) }
        }
    }
}
