import Foundation
import GRDB
import Testing
import VigilCore
import VigilReview

/// The class keys in the real `vigil review` (tmux, like ``ReviewEndToEndTests``): a model whose
/// classes are the digits 0-9 and one with named classes, each answered by its keys; every
/// answer is checked on the message line and then in the store.
@Suite(.serialized) struct ReviewKeysEndToEndTests {
    /// A workspace with one classifier `model` of `classes` and one queued prediction per entry
    /// of `predicted` (`k-000`, `k-001`, …, predicted class as given, oldest first).
    static func workspace(model: String, classes: [String], predicted: [String]) throws -> String {
        let root = NSTemporaryDirectory() + "vigil-review-keys-\(UUID().uuidString.prefix(8))"
        #expect(try runVigil(["init", "--dir", root]).status == 0)
        let quoted = classes.map { "\"\($0)\"" }.joined(separator: ", ")
        try """
            model: \(model)
            task: classification
            classes: [\(quoted)]
            evaluation:
              window: 30d
              min_reviewed_per_class: 1
            thresholds:
              - metric: accuracy
                warning: 0.5
            sampling:
              daily_budget: \(predicted.count)
              window: 30d
              strategies:
                - {strategy: uniform, share: 1}
            review:
              lease: 10m

            """.write(toFile: root + "/policies/\(model).yaml", atomically: true, encoding: .utf8)
        let start = Timestamp.parseMillis("2026-10-30T08:00:00Z")!
        let lines = predicted.enumerated().map { i, label in
            #"{"id":"\#(id(i))","ts":"\#(Timestamp.format(millis: start + Int64(i) * 60_000))","model":"\#(model)","label":"\#(label)","score":0.8}"#
        }
        try (lines.joined(separator: "\n") + "\n").write(toFile: root + "/predictions.ndjson", atomically: true, encoding: .utf8)
        let ingest = try runVigil(["ingest", "predictions", root + "/predictions.ndjson", "--workspace", root])
        #expect(ingest.status == 0, "\(ingest.output)")
        let sample = try runVigil(["sample", "--workspace", root], environment: ["VIGIL_NOW": ReviewFixture.sampleTime])
        #expect(sample.status == 0 && sample.output.contains("queued \(predicted.count) of \(predicted.count)"), "\(sample.output)")
        return root
    }

    static func id(_ i: Int) -> String { String(format: "k-%03d", i) }

    /// The stored ground truth per prediction id: (class, source, reviewer).
    static func groundTruth(_ root: String) throws -> [String: (label: String?, source: String?, reviewer: String?)] {
        let db = try DatabaseQueue(path: root + "/.vigil/vigil.db")
        let rows = try db.read { db in
            try Row.fetchAll(db, sql: """
                SELECT p.id, mc.name AS label, g.source, g.reviewer FROM ground_truth g JOIN predictions p ON p.seq = g.prediction_seq
                LEFT JOIN model_classes mc ON mc.model_id = g.model_id AND mc.idx = g.label_idx
                """)
        }
        var byID: [String: (String?, String?, String?)] = [:]
        for row in rows { byID[row["id"]] = (row["label"], row["source"], row["reviewer"]) }
        return byID
    }

    /// Answers every item shown with `keys(id)` (tmux key names), waits for the message line
    /// about it and expects it to read `confirmation(id)`, then takes the next item; returns the
    /// ids in the order shown. Quits at the end.
    static func answerAll(_ pane: TmuxPane, keys: (String) -> [String], confirmation: (String) -> String) throws -> [String] {
        var seen: [String] = []
        var current = try ReviewEndToEndTests.shownItem(pane, after: nil)
        while let id = current {
            for key in keys(id) { try pane.send(key) }
            let screen = try pane.wait(for: "the message about \(id)") { screen in
                screen.split(separator: "\n").dropFirst().contains { $0.hasSuffix("· item \(id)") }  // not the title bar
            }
            let message = screen.split(separator: "\n").dropFirst().first { $0.hasSuffix("· item \(id)") }
            #expect(message?.trimmingCharacters(in: .whitespaces) == confirmation(id))
            seen.append(id)
            current = try ReviewEndToEndTests.shownItem(pane, after: id)
        }
        try pane.send("q")
        let end = try pane.wait(forText: "TERMINAL-CHECKED")
        #expect(end.contains("EXITED=0"), "\(end)")
        return seen
    }

    @Test(.enabled(if: TmuxPane.available, "needs tmux (scripts/install-deps.sh installs it)"), .timeLimit(.minutes(2)))
    func digitClassesStoreTheDigitPressed() throws {
        // Item i is answered with digit i; the model said 3i mod 10 (right for 0 and 5 only).
        let predicted = (0...9).map { String(3 * $0 % 10) }
        let root = try Self.workspace(model: "digits", classes: (0...9).map(String.init), predicted: predicted)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pane = TmuxPane(width: 120, height: 40)
        defer { pane.kill() }
        try pane.start("cd '\(root)' && '\(vigilBinary)' review --reviewer ana --model digits")

        let first = try pane.wait(forText: "pick · / find")
        #expect(first.contains("0-9 pick"), "the key line shows the real keys: \(first)")
        let rows = first.split(separator: "\n").map { $0.trimmingCharacters(in: .whitespaces) }
        for d in 0...9 { #expect(rows.contains { $0.hasSuffix("│\(d) \(d)") }, "the list shows digit \(d) as its own key: \(first)") }
        let digit = { (id: String) in String(Int(id.dropFirst(2))!) }
        let seen = try Self.answerAll(pane, keys: { [digit($0)] },
                                      confirmation: { "stored: \(digit($0)) (model said \(predicted[Int($0.dropFirst(2))!])) · item \($0)" })
        #expect(seen.count == 10)

        let stored = try Self.groundTruth(root)
        for i in 0...9 {
            #expect(stored[Self.id(i)]?.label == String(i), "\(Self.id(i)): pressed \(i), stored \(String(describing: stored[Self.id(i)]?.label))")
            #expect(stored[Self.id(i)]?.source == "review" && stored[Self.id(i)]?.reviewer == "ana")
        }
    }

    @Test(.enabled(if: TmuxPane.available, "needs tmux (scripts/install-deps.sh installs it)"), .timeLimit(.minutes(2)))
    func namedClassesStoreTheClassListedBesideTheKey() throws {
        let classes = ["cat", "dog", "bird"]
        let predicted = ["cat", "dog", "bird", "cat", "dog", "bird"]
        // Reviewer's answers: by key (1 cat, 2 dog, 3 bird), Enter for the prediction, s to skip.
        let answers: [(keys: [String], label: String?)] = [(["2"], "dog"), (["3"], "bird"), (["1"], "cat"), (["Enter"], "cat"), (["s"], nil), (["3"], "bird")]
        let root = try Self.workspace(model: "pets", classes: classes, predicted: predicted)
        defer { try? FileManager.default.removeItem(atPath: root) }
        let pane = TmuxPane(width: 120, height: 40)
        defer { pane.kill() }
        try pane.start("cd '\(root)' && '\(vigilBinary)' review --reviewer ana --model pets")

        let first = try pane.wait(forText: "pick · / find")
        #expect(first.contains("│1 cat") && first.contains("│2 dog") && first.contains("│3 bird") && first.contains("1-3 pick"), "\(first)")
        let index = { (id: String) in Int(id.dropFirst(2))! }
        let seen = try Self.answerAll(pane, keys: { answers[index($0)].keys }, confirmation: { id in
            guard let label = answers[index(id)].label else { return "skipped · item \(id)" }
            return "stored: \(label) (model said \(predicted[index(id)])) · item \(id)"
        })
        #expect(seen.count == 6)

        let stored = try Self.groundTruth(root)
        for (i, answer) in answers.enumerated() {
            #expect(stored[Self.id(i)]?.label == answer.label, "\(Self.id(i))")
        }
    }
}
