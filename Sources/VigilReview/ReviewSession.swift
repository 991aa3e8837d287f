import VigilCore
import VigilStore

/// The reviewer's side of `vigil review` as a value: the item on screen, the boxes being
/// edited, the mode (browsing, searching classes, typing a flag reason, help) and what each key
/// does. ``handle(_:)`` is pure: it changes the state and returns the ``Action`` for the
/// controller to carry out against the store, so key → action → store call is unit-testable.
///
/// ```swift
/// var session = ReviewSession(reviewer: "ana")
/// session.present(item)
/// session.handle(.enter)   // .submit(.label("can")): the predicted class accepted
/// ```
public struct ReviewSession: Sendable {
    /// What the controller must do after a key.
    public enum Action: Equatable, Sendable {
        case none
        case submit(ReviewOutcome)
        case undo
        case quit
        /// Look for new items in the queue (when it was empty).
        case refresh
    }

    public enum Mode: Equatable, Sendable {
        case browse
        /// `/`: typing a class name; `highlight` indexes the matches.
        case search(query: String, highlight: Int)
        /// `f`: typing the reason.
        case flagReason(String)
        /// Detection `c` or `n`: the next class key or search result sets the selected box's class.
        case pickClass
        case help
    }

    /// A box being reviewed; `verdict == nil` means not looked at yet (taken as accepted on submit).
    public struct EditableBox: Equatable, Sendable {
        public var label: String
        public var score: Double?
        public var x: Double, y: Double, width: Double, height: Double
        public var verdict: ReviewedBox.Verdict?
        public var predicted: Bool

        /// What is submitted.
        public var reviewed: ReviewedBox {
            ReviewedBox(label: label, x: x, y: y, width: width, height: height, verdict: verdict ?? .accepted)
        }
    }

    /// The one-character commands of browsing an item (`s` skip, `f` flag, …); where class
    /// keys are read, ``ClassKeys`` never gives a class these keys.
    public enum Command: Character, CaseIterable, Sendable {
        case skip = "s", flag = "f", undo = "u", quit = "q", help = "?", search = "/"

        /// What the key line and the help call it ("skip").
        public var name: String { "\(self)" }
    }

    /// The commands that share the keyboard with the class keys of a `task` item: a
    /// classification item reads class keys while browsing (every command), a detection item
    /// while picking a box's class (where only `/` search is a command).
    public static func commands(sharingClassKeys task: ModelTask) -> Set<Command> {
        task == .classification ? Set(Command.allCases) : [.search]
    }

    public let reviewer: String
    public private(set) var item: PreparedItem?
    public private(set) var boxes: [EditableBox] = []
    public private(set) var selected = 0
    public private(set) var mode: Mode = .browse
    /// The class keys of the item on screen (``ClassKeys``).
    public private(set) var keys = ClassKeys(classes: [], commands: [])
    /// One line for the reviewer: what just happened or why a key did nothing.
    public var message: String?
    /// Whether the pick-class mode is for a box just added with `n` (Escape removes it).
    private var pickingForNewBox = false

    public init(reviewer: String) { self.reviewer = reviewer }

    /// Shows `item` (or the empty queue when nil), resetting the edit state.
    public mutating func present(_ item: PreparedItem?) {
        self.item = item
        boxes = item?.boxes.map { EditableBox(label: $0.label, score: $0.score, x: $0.x, y: $0.y, width: $0.width, height: $0.height, verdict: nil, predicted: true) } ?? []
        selected = 0
        mode = .browse
        pickingForNewBox = false
        keys = ClassKeys(classes: item?.classes ?? [], commands: Set((item.map { Self.commands(sharingClassKeys: $0.task) } ?? []).map(\.rawValue)))
    }

    /// The classes matching a search query (case-insensitive substring), in the model's order.
    public func matches(_ query: String) -> [String] {
        guard let item else { return [] }
        if query.isEmpty { return item.classes }
        return item.classes.filter { $0.lowercased().contains(query.lowercased()) }
    }

    /// Pixels an arrow key moves or resizes a box by: 1/80 of the image width, at least 1.
    public var step: Double { Double(max(1, (item?.imageSize.width ?? 640) / 80)) }

    public mutating func handle(_ key: Key) -> Action {
        switch mode {
        case .help:
            mode = .browse
            return .none
        case .search(let query, let highlight):
            return search(key, query: query, highlight: highlight)
        case .flagReason(let text):
            switch key {
            case .enter:
                mode = .browse
                return .submit(.flag(reason: text.isEmpty ? "flagged in review" : text))
            case .escape: mode = .browse; message = "flag cancelled"
            case .backspace: mode = .flagReason(String(text.dropLast()))
            case .char(let c): mode = .flagReason(text + String(c))
            default: break
            }
            return .none
        case .pickClass:
            if key == .escape {
                mode = .browse
                if pickingForNewBox, !boxes.isEmpty { boxes.remove(at: selected); selected = max(0, min(selected, boxes.count - 1)); message = "new box dropped" }
                pickingForNewBox = false
                return .none
            }
            if key == .char(Command.search.rawValue) { mode = .search(query: "", highlight: 0); return .none }
            if case .char(let c) = key, let label = keys.label(for: c) { setClass(label) }  // the prompt lists the keys
            return .none
        case .browse:
            break
        }
        if key == .control("c") { return .quit }
        if key == .char("r"), item == nil { return .refresh }
        if case .char(let c) = key, let command = Command(rawValue: c) { return run(command) }
        guard let item else { message = Self.nothingToReview; return .none }
        return item.task == .classification ? classify(key, item) : detect(key, item)
    }

    private static let nothingToReview = "nothing to review: r looks again, q quits"

    private mutating func run(_ command: Command) -> Action {
        switch command {
        case .quit: return .quit
        case .undo: return .undo
        case .help: mode = .help
        case .skip, .flag, .search:
            guard item != nil else { message = Self.nothingToReview; return .none }
            if command == .skip { return .submit(.skip(reason: nil)) }
            mode = command == .flag ? .flagReason("") : .search(query: "", highlight: 0)
        }
        return .none
    }

    private mutating func classify(_ key: Key, _ item: PreparedItem) -> Action {
        switch key {
        case .enter:
            guard let predicted = item.claim.predictedClass else { message = "no predicted class: pick one with its key or /"; return .none }
            return .submit(.label(predicted))
        case .char(let c):
            if let label = keys.label(for: c) { return .submit(.label(label)) }
            message = "'\(c)' is no class key here: the keys are beside CLASSES, ? shows them all"
        default: break
        }
        return .none
    }

    private mutating func detect(_ key: Key, _ item: PreparedItem) -> Action {
        let hasBox = !boxes.isEmpty
        switch key {
        case .enter: return .submit(.boxes(boxes.map(\.reviewed)))
        case .tab: if hasBox { selected = (selected + 1) % boxes.count }
        case .backTab: if hasBox { selected = (selected + boxes.count - 1) % boxes.count }
        case .char("a"): if hasBox { boxes[selected].verdict = boxes[selected].predicted && boxes[selected].verdict != .changed ? .accepted : boxes[selected].verdict; advance() }
        case .char("x"): if hasBox { boxes[selected].verdict = boxes[selected].verdict == .rejected ? nil : .rejected; advance() }
        case .char("c"): if hasBox { mode = .pickClass; pickingForNewBox = false }
        case .char("n"):
            let (w, h) = (Double(item.imageSize.width), Double(item.imageSize.height))
            boxes.append(EditableBox(label: boxes.indices.contains(selected) ? boxes[selected].label : item.classes.first ?? "",
                                     score: nil, x: (w * 3 / 8).rounded(), y: (h * 3 / 8).rounded(), width: (w / 4).rounded(), height: (h / 4).rounded(),
                                     verdict: .added, predicted: false))
            selected = boxes.count - 1
            mode = .pickClass
            pickingForNewBox = true
        case .up: let d = step; edit { $0.y -= d }
        case .down: let d = step; edit { $0.y += d }
        case .left: let d = step; edit { $0.x -= d }
        case .right: let d = step; edit { $0.x += d }
        case .shiftUp: let d = step; edit { $0.height = max(1, $0.height - d) }
        case .shiftDown: let d = step; edit { $0.height += d }
        case .shiftLeft: let d = step; edit { $0.width = max(1, $0.width - d) }
        case .shiftRight: let d = step; edit { $0.width += d }
        default: message = "that key does nothing here: ? shows the keys"
        }
        return .none
    }

    /// Moves the selection to the next box not looked at yet, if any.
    private mutating func advance() {
        guard !boxes.isEmpty else { return }
        for offset in 1...boxes.count {
            let i = (selected + offset) % boxes.count
            if boxes[i].verdict == nil { selected = i; return }
        }
    }

    private mutating func edit(_ change: (inout EditableBox) -> Void) {
        guard boxes.indices.contains(selected) else { return }
        change(&boxes[selected])
        boxes[selected].x = max(0, boxes[selected].x)
        boxes[selected].y = max(0, boxes[selected].y)
        if boxes[selected].predicted { boxes[selected].verdict = .changed }
    }

    private mutating func setClass(_ label: String) {
        mode = .browse
        if pickingForNewBox {
            pickingForNewBox = false
            if boxes.indices.contains(selected) { boxes[selected].label = label }
            return
        }
        guard boxes.indices.contains(selected) else { return }
        if boxes[selected].label != label {
            boxes[selected].label = label
            if boxes[selected].predicted { boxes[selected].verdict = .changed }
        }
        advance()
    }

    private mutating func search(_ key: Key, query: String, highlight: Int) -> Action {
        let found = matches(query)
        switch key {
        case .escape:
            mode = pickingForNewBox ? .pickClass : .browse
            return .none
        case .backspace: mode = .search(query: String(query.dropLast()), highlight: 0)
        case .up: mode = .search(query: query, highlight: max(0, highlight - 1))
        case .down, .tab: mode = .search(query: query, highlight: min(max(0, found.count - 1), highlight + 1))
        case .enter:
            guard found.indices.contains(highlight), let item else { message = "no class matches '\(query)'"; return .none }
            let label = found[highlight]
            if item.task == .classification { mode = .browse; return .submit(.label(label)) }
            setClass(label)
        case .char(let c): mode = .search(query: query + String(c), highlight: 0)
        default: break
        }
        return .none
    }
}
