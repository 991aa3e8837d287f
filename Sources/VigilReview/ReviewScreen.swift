import Foundation
import VigilCore
import VigilStore

/// The reviewer's counts for the side panel.
public struct ReviewerTally: Equatable, Sendable {
    public var labeled = 0
    public var skipped = 0
    public var flagged = 0
    public var undone = 0
    /// Labels equal to the predicted class (classification) or images with every box accepted.
    public var agreed = 0
    /// Seconds spent on answered items (claim shown → answer), for the pace and the ETA.
    public var seconds = 0.0

    public init() {}

    public var answered: Int { labeled + skipped + flagged }
    public var secondsPerItem: Double? { answered > 0 ? seconds / Double(answered) : nil }
}

/// What the side panel shows about the queue and the day's budget.
public struct QueueProgress: Equatable, Sendable {
    /// Items of today's budget already done (all reviewers).
    public var doneToday: Int
    /// The day's budget (the policy's `sampling.daily_budget`, or today's queued items).
    public var budget: Int
    /// Items still open (not claimed by anyone).
    public var open: Int
    /// Now, for the ETA's clock time (milliseconds).
    public var now: Int64

    public init(doneToday: Int = 0, budget: Int = 0, open: Int = 0, now: Int64 = 0) {
        self.doneToday = doneToday
        self.budget = budget
        self.open = open
        self.now = now
    }
}

/// The layout of `vigil review`: a pure function from the session and the counts to a ``Screen``.
///
/// Title bar on top; the image (or the input's text) on the left, as large as fits; the
/// prediction, the class list or the boxes, the budget's progress bar with ETA and the
/// reviewer's stats on the right; a message line and the keys at the bottom. 80×24 is the
/// minimum; a larger terminal gives the image the extra room.
public enum ReviewScreen {
    public static let minimumWidth = 80
    public static let minimumHeight = 24

    public static func render(_ session: ReviewSession, progress: QueueProgress, tally: ReviewerTally, model: String?, width: Int, height: Int) -> Screen {
        var screen = Screen(width: width, height: height)
        guard width >= minimumWidth, height >= minimumHeight else {
            screen.put("vigil review needs at least \(minimumWidth)×\(minimumHeight); this terminal is \(width)×\(height).", x: 0, y: 0)
            screen.put("Make it larger, or q to quit.", x: 0, y: 1)
            return screen
        }
        let sideWidth = max(34, width / 3)
        let paneWidth = width - sideWidth - 1
        let paneHeight = height - 3
        let sideX = paneWidth + 1

        // Title.
        screen.fill(x: 0, y: 0, width: width, height: 1, bg: .dark)
        var title = " vigil review · \(session.reviewer)"
        if let model { title += " · \(model)" }
        if let item = session.item { title += " · item \(item.claim.predictionID)" + (item.claim.isGold ? "" : "") }
        screen.put(title, x: 0, y: 0, fg: .white, bold: true)

        // The input.
        if let item = session.item {
            if let image = item.image {
                ImageRenderer.draw(image, boxes: overlay(session), into: &screen, x: 0, y: 1, columns: paneWidth, rows: paneHeight)
            } else {
                var y = 2
                screen.put("(no image: \(item.imageProblem ?? "not an image"))", x: 1, y: y, fg: .grey, maxWidth: paneWidth - 1); y += 1
                if let uri = item.inputURI { screen.put("input: \(uri)", x: 1, y: y, maxWidth: paneWidth - 1); y += 1 }
                for line in item.details where y < paneHeight { screen.put(line, x: 1, y: y, maxWidth: paneWidth - 1); y += 1 }
            }
        } else {
            screen.put("Nothing left to review for \(session.reviewer).", x: 2, y: 3, fg: .green, bold: true)
            screen.put("r looks again · q quits", x: 2, y: 5, fg: .grey)
        }
        for y in 1..<(height - 2) { screen.put("│", x: paneWidth, y: y, fg: .grey) }

        // Side panel.
        var y = 1
        func line(_ text: String, fg: RGB = .white, bold: Bool = false, bg: RGB? = nil) {
            guard y < height - 2 else { return }
            screen.put(text, x: sideX, y: y, fg: fg, bg: bg, bold: bold, maxWidth: sideWidth)
            y += 1
        }
        if let item = session.item {
            line("PREDICTION", fg: .grey, bold: true)
            if item.task == .classification {
                let score = item.claim.score.map { String(format: " %.2f", $0) } ?? ""
                line("\(item.claim.predictedClass ?? "—")\(score)", fg: .yellow, bold: true)
                for (label, s) in item.topK.prefix(3) { line(String(format: "  %@ %.2f", label, s), fg: .grey) }
            } else {
                line("\(item.boxes.count) predicted box\(item.boxes.count == 1 ? "" : "es")", fg: .yellow, bold: true)
            }
            if item.claim.isGold { line("gold item (known answer)", fg: .grey) }
            y += 1
            let reserved = 5  // progress and stats below
            let room = max(1, height - 2 - reserved - y - 1)
            if item.task == .detection, session.mode == .browse || session.mode == .help || isFlag(session.mode) {
                line("BOXES  (Tab selects)", fg: .grey, bold: true)
                let first = max(0, min(session.selected - room / 2, session.boxes.count - room))
                for (i, box) in session.boxes.enumerated().dropFirst(first).prefix(room) {
                    let mark = i == session.selected ? "▶" : " "
                    let verdict = box.verdict?.rawValue ?? "?"
                    let score = box.score.map { String(format: " %.2f", $0) } ?? ""
                    line("\(mark)\(i + 1) \(box.label)\(score) \(verdict)", fg: colour(box.verdict), bold: i == session.selected)
                }
                if session.boxes.isEmpty { line("(none: n adds one)", fg: .grey) }
            } else {
                classList(session, into: &screen, x: sideX, y: &y, width: sideWidth, rows: room)
            }
        }
        // Progress and stats at the bottom of the panel.
        y = height - 2 - 5
        line("TODAY", fg: .grey, bold: true)
        let budget = max(progress.budget, progress.doneToday)
        let barWidth = max(10, sideWidth - 12)
        let filled = budget > 0 ? min(barWidth, progress.doneToday * barWidth / budget) : 0
        line(String(repeating: "█", count: filled) + String(repeating: "░", count: barWidth - filled) + " \(progress.doneToday)/\(budget)", fg: .green)
        var eta = "ETA —"
        if let pace = tally.secondsPerItem, budget > progress.doneToday {
            let left = Double(budget - progress.doneToday) * pace
            let at = Timestamp.format(millis: progress.now + Int64(left * 1000))
            eta = "ETA \(at.dropFirst(11).prefix(5)) UTC (\(Int(left / 60)) min)"
        }
        line("\(progress.open) open · \(eta)", fg: .grey)
        let pace = tally.secondsPerItem.map { String(format: "%.1f s/item", $0) } ?? "— s/item"
        let agree = tally.labeled > 0 ? " · \(tally.agreed * 100 / tally.labeled)% = model" : ""
        line("you: \(tally.labeled) labelled · \(tally.skipped) skipped · \(tally.flagged) flagged", fg: .white)
        line("\(pace)\(agree)\(tally.undone > 0 ? " · \(tally.undone) undone" : "")", fg: .grey)

        // Message and keys.
        let prompt: String
        switch session.mode {
        case .search(let query, _): prompt = "/\(query)▏  Enter picks the highlighted class · ↑↓ move · Esc cancels"
        case .flagReason(let text): prompt = "flag reason: \(text)▏  Enter flags · Esc cancels"
        case .pickClass: prompt = "class for box \(session.selected + 1): its key (\(classKeysHint(session.keys))), or / to search · Esc cancels"
        default: prompt = session.message ?? ""
        }
        screen.put(prompt, x: 1, y: height - 2, fg: .yellow, maxWidth: width - 2)
        screen.fill(x: 0, y: height - 1, width: width, height: 1, bg: .dark)
        screen.put(keyHints(session), x: 1, y: height - 1, fg: .white, maxWidth: width - 2)
        if session.mode == .help { help(session, into: &screen) }
        return screen
    }

    static func isFlag(_ mode: ReviewSession.Mode) -> Bool { if case .flagReason = mode { true } else { false } }

    static func keyHints(_ session: ReviewSession) -> String {
        guard let item = session.item else { return "r look again · q quit" }
        if item.task == .classification {
            // At most 78 characters, so the whole line shows on an 80-column terminal.
            return "Enter accept · \(classKeysHint(session.keys)) pick · / find · s skip · f flag · u undo · ? help · q quit"
        }
        return "Tab box · a accept · x reject · c class · ←↑→↓ move · Shift resize · n new · Enter submit · ? · q"
    }

    /// The class keys for the key line: their ``ClassKeys/summary`` (`0-9`, `1-3`), or "keys"
    /// when that would crowd the line (the keys are beside CLASSES anyway).
    static func classKeysHint(_ keys: ClassKeys) -> String {
        let summary = keys.summary
        return summary.count <= 5 ? summary : "keys"
    }

    static func colour(_ verdict: ReviewedBox.Verdict?) -> RGB {
        switch verdict {
        case nil: .yellow
        case .accepted: .green
        case .changed: .cyan
        case .rejected: .red
        case .added: .magenta
        }
    }

    static func overlay(_ session: ReviewSession) -> [OverlayBox] {
        session.boxes.enumerated().map { i, box in
            let score = box.score.map { String(format: " %.2f", $0) } ?? ""
            return OverlayBox(x: box.x, y: box.y, width: box.width, height: box.height, colour: colour(box.verdict),
                              caption: "\(i + 1) \(box.label)\(score)", selected: i == session.selected)
        }
    }

    static func classList(_ session: ReviewSession, into screen: inout Screen, x: Int, y: inout Int, width: Int, rows: Int) {
        guard let item = session.item else { return }
        if case .search(let query, let highlight) = session.mode {
            screen.put("CLASSES matching '\(query)'", x: x, y: y, fg: .grey, bold: true, maxWidth: width); y += 1
            let found = session.matches(query)
            let first = max(0, min(highlight - rows / 2, found.count - rows))
            for (i, label) in found.enumerated().dropFirst(first).prefix(rows) {
                screen.put((i == highlight ? "▶ " : "  ") + label, x: x, y: y, fg: i == highlight ? .yellow : .white, bold: i == highlight, maxWidth: width); y += 1
            }
            if found.isEmpty { screen.put("(none)", x: x, y: y, fg: .grey); y += 1 }
            return
        }
        screen.put("CLASSES", x: x, y: y, fg: .grey, bold: true, maxWidth: width); y += 1
        let keys = session.keys
        let notes = classListNotes(keys)
        // Two columns when the list is longer than the room; the notes go below it.
        let listRows = max(1, rows - notes.count)
        let keyed = keys.keyed
        let shown = min(keyed.count, listRows * 2)
        let columns = shown > listRows ? 2 : 1
        let perColumn = (shown + columns - 1) / max(1, columns)
        let columnWidth = width / columns
        for (i, entry) in keyed.prefix(shown).enumerated() {
            let predicted = entry.label == item.claim.predictedClass
            screen.put("\(entry.key!) \(entry.label)", x: x + (i / perColumn) * columnWidth, y: y + i % perColumn,
                       fg: predicted ? .yellow : .white, bold: predicted, maxWidth: columnWidth - 1)
        }
        y += perColumn
        let hidden = keys.entries.count - shown
        var lines = notes
        if hidden > 0 {
            let unkeyed = keys.unkeyed.count
            lines.append("… \(hidden) more\(unkeyed > 0 ? " (\(unkeyed) without a key)" : ""): / searches")
        }
        for text in lines { screen.put(text, x: x, y: y, fg: .grey, maxWidth: width); y += 1 }
    }

    /// What the class list says about classes named like a command: the command keeps its key.
    static func classListNotes(_ keys: ClassKeys) -> [String] {
        let shadowed = keys.shadowedByCommands
        guard !shadowed.isEmpty else { return [] }
        if shadowed.count == 1, let entry = shadowed.first, let command = ReviewSession.Command(rawValue: entry.label.first!) {
            return ["\(entry.label) is \(command.name); class \(entry.label) is \(entry.key.map { "key \($0)" } ?? "found with /")"]
        }
        return [shadowed.map(\.label).joined(separator: " ") + " are commands: their classes have the keys above"]
    }

    static func help(_ session: ReviewSession, into screen: inout Screen) {
        let lines = ["KEYS"] + helpLines(session) + ["", "any key closes this"]
        let w = 64, h = lines.count + 2
        let x0 = max(0, (screen.width - w) / 2), y0 = max(1, (screen.height - h) / 2)
        screen.fill(x: x0, y: y0, width: w, height: h, bg: .dark)
        for (i, text) in lines.enumerated() {
            screen.put(text, x: x0 + 2, y: y0 + 1 + i, fg: i == 0 ? .yellow : .white, bg: .dark, bold: i == 0, maxWidth: w - 4)
        }
    }

    /// The help's lines for the item on screen, with its real class keys.
    static func helpLines(_ session: ReviewSession) -> [String] {
        let keys = session.keys
        func padded(_ key: String) -> String { key.count < 13 ? key.padding(toLength: 13, withPad: " ", startingAt: 0) : key + " " }
        var lines: [String] = []
        switch session.item?.task {
        case .classification?:
            lines += [
                "classification:",
                "  Enter        accept the predicted class",
                "  \(padded(keys.summary))store the class with that key (see CLASSES)",
                "  /            search every class by name",
            ]
        case .detection?:
            lines += [
                "detection:",
                "  Tab/Shift+Tab select the next/previous box",
                "  a / x        accept / reject (false positive)",
                "  c            change the box's class: then \(keys.summary) or /",
                "  arrows       move the box; Shift+arrows resize",
                "  n            add a box for a missed object (its class next)",
                "  Enter        submit the image",
            ]
        case nil:
            lines += ["  r            look for new items"]
        }
        lines += [
            "both:",
            "  s skip · f flag with a reason · u undo the last answer",
            "  q quit (your claims go back to the queue)",
        ]
        if !keys.shadowedByCommands.isEmpty {
            lines.append("  commands keep their keys: " + keys.shadowedByCommands.map { "class \($0.label) is \($0.key.map(String.init) ?? "found with /")" }.joined(separator: ", "))
        }
        if !keys.unkeyed.isEmpty { lines.append("  \(keys.unkeyed.count) classes have no key: / finds them") }
        return lines
    }
}
