import Testing
import VigilCore
import VigilStore
@testable import VigilReview

@Suite("the session: keys → actions")
struct ReviewSessionTests {
    func session(_ item: PreparedItem) -> ReviewSession {
        var s = ReviewSession(reviewer: "ana")
        s.present(item)
        return s
    }

    @Test("classification: Enter accepts the prediction, keys pick classes, s skips, u undoes, q quits")
    func classification() {
        var s = session(item(task: .classification, predicted: "jar"))
        #expect(s.handle(.enter) == .submit(.label("jar")))
        #expect(s.handle(.char("1")) == .submit(.label("can")))
        #expect(s.handle(.char("3")) == .submit(.label("box")))
        #expect(s.handle(.char("4")) == .none)  // no fourth class
        #expect(s.message != nil)
        #expect(s.handle(.char("s")) == .submit(.skip(reason: nil)))
        #expect(s.handle(.char("u")) == .undo)
        #expect(s.handle(.char("q")) == .quit)
        #expect(s.handle(.control("c")) == .quit)
        var none = session(item(task: .classification, predicted: nil))
        #expect(none.handle(.enter) == .none)
    }

    @Test("named classes past the keys: 1-9, 0, then letters without the commands f, q, s, u")
    func classKeys() {
        let many = (0..<15).map { "class\($0)" }
        var s = session(item(task: .classification, classes: many))
        #expect(s.handle(.char("0")) == .submit(.label("class9")))
        #expect(s.handle(.char("a")) == .submit(.label("class10")))
        #expect(s.handle(.char("e")) == .submit(.label("class14")))
    }

    @Test("classes named 0-9: the key pressed is the class stored")
    func digitClasses() {
        var s = session(item(task: .classification, predicted: "1", classes: (0...9).map(String.init)))
        for digit in "0123456789" { #expect(s.handle(.char(digit)) == .submit(.label(String(digit)))) }
    }

    @Test("a class named like a command: the command keeps its key, the class answers to the key listed beside it")
    func commandsWin() {
        var s = session(item(task: .classification, predicted: "m", classes: ["s", "m", "l", "xl", "f"]))
        #expect(s.keys.key(for: "s") == "1" && s.keys.key(for: "f") == "3")
        #expect(s.handle(.char("s")) == .submit(.skip(reason: nil)))
        #expect(s.handle(.char("1")) == .submit(.label("s")))
        #expect(s.handle(.char("m")) == .submit(.label("m")))
        #expect(s.handle(.char("2")) == .submit(.label("xl")))
        _ = s.handle(.char("f"))
        #expect(s.mode == .flagReason(""))
        _ = s.handle(.escape)
        #expect(s.handle(.char("3")) == .submit(.label("f")))
        #expect(s.handle(.char("9")) == .none && s.message?.contains("no class key") == true)
        // Every command keeps its meaning whatever the classes are called.
        var named = session(item(task: .classification, classes: ReviewSession.Command.allCases.map { String($0.rawValue) }))
        for command in ReviewSession.Command.allCases {
            if case .submit(.label) = named.handle(.char(command.rawValue)) { Issue.record("\(command) became a class key") }
            named.present(named.item)
        }
    }

    @Test("picking a box's class follows the same rule; only / is a command there, so s picks class s")
    func boxClassKeys() {
        let boxes = [PreparedItem.PredictedBox(label: "3", score: 0.9, x: 10, y: 10, width: 20, height: 20)]
        var s = session(item(task: .detection, classes: (0...9).map(String.init), boxes: boxes))
        _ = s.handle(.char("c")); _ = s.handle(.char("7"))
        #expect(s.boxes[0].label == "7" && s.boxes[0].verdict == .changed)
        var letters = session(item(task: .detection, classes: ["s", "f", "cat"], boxes: boxes))
        _ = letters.handle(.char("c")); _ = letters.handle(.char("s"))
        #expect(letters.boxes[0].label == "s" && letters.mode == .browse)
        _ = letters.handle(.char("n")); _ = letters.handle(.char("1"))
        #expect(letters.boxes[1].label == "cat")
        _ = letters.handle(.char("c")); _ = letters.handle(.char("x"))
        #expect(letters.mode == .pickClass)  // x is no class key: still picking
    }

    @Test("/ searches classes by name; Enter takes the highlighted match; Escape cancels")
    func search() {
        var s = session(item(task: .classification, classes: ["can", "carton", "jar", "cup"]))
        #expect(s.handle(.char("/")) == .none)
        for c in "ca" { _ = s.handle(.char(c)) }
        #expect(s.mode == .search(query: "ca", highlight: 0))
        #expect(s.matches("ca") == ["can", "carton"])
        _ = s.handle(.down)
        #expect(s.handle(.enter) == .submit(.label("carton")))
        #expect(s.mode == .browse)
        _ = s.handle(.char("/")); _ = s.handle(.char("z"))
        #expect(s.handle(.enter) == .none)
        _ = s.handle(.escape)
        #expect(s.mode == .browse)
    }

    @Test("f asks for a reason; Enter flags with it, Escape cancels")
    func flag() {
        var s = session(item(task: .classification))
        _ = s.handle(.char("f"))
        for c in "blurry" { _ = s.handle(.char(c)) }
        _ = s.handle(.backspace)
        #expect(s.handle(.enter) == .submit(.flag(reason: "blurr")))
        _ = s.handle(.char("f"))
        _ = s.handle(.escape)
        #expect(s.mode == .browse)
    }

    static let twoBoxes = [PreparedItem.PredictedBox(label: "can", score: 0.9, x: 10, y: 10, width: 20, height: 20),
                           PreparedItem.PredictedBox(label: "bottle", score: 0.6, x: 50, y: 40, width: 10, height: 30)]

    @Test("detection: untouched boxes are accepted on Enter")
    func acceptAll() {
        var s = session(item(task: .detection, classes: ["can", "bottle", "box"], boxes: Self.twoBoxes))
        #expect(s.handle(.enter) == .submit(.boxes([
            ReviewedBox(label: "can", x: 10, y: 10, width: 20, height: 20, verdict: .accepted),
            ReviewedBox(label: "bottle", x: 50, y: 40, width: 10, height: 30, verdict: .accepted)])))
    }

    @Test("detection: x rejects, c changes the class, arrows move, Shift+arrows resize, n adds")
    func editBoxes() {
        var s = session(item(task: .detection, classes: ["can", "bottle", "box"], boxes: Self.twoBoxes))
        #expect(s.step == 2)  // 160 px wide / 80
        _ = s.handle(.char("x"))           // box 1 rejected; selection moves on to box 2
        #expect(s.selected == 1)
        _ = s.handle(.char("c")); _ = s.handle(.char("3"))  // box 2 is a box
        _ = s.handle(.tab)                  // back to box 1 …
        _ = s.handle(.char("x"))            // … x again takes the rejection back
        _ = s.handle(.right); _ = s.handle(.down); _ = s.handle(.shiftRight); _ = s.handle(.shiftUp)
        _ = s.handle(.char("n"))            // a new box, then its class
        #expect(s.mode == .pickClass)
        _ = s.handle(.char("2"))
        _ = s.handle(.left)
        #expect(s.handle(.enter) == .submit(.boxes([
            ReviewedBox(label: "can", x: 12, y: 12, width: 22, height: 18, verdict: .changed),
            ReviewedBox(label: "box", x: 50, y: 40, width: 10, height: 30, verdict: .changed),
            ReviewedBox(label: "bottle", x: 58, y: 45, width: 40, height: 30, verdict: .added)])))
    }

    @Test("Escape while choosing the class of a new box drops it; boxes never leave the image's top-left")
    func dropNewBox() {
        var s = session(item(task: .detection, classes: ["can", "bottle", "box"], boxes: Self.twoBoxes))
        _ = s.handle(.char("n"))
        #expect(s.boxes.count == 3)
        _ = s.handle(.escape)
        #expect(s.boxes.count == 2 && s.mode == .browse)
        for _ in 0..<30 { _ = s.handle(.left) }
        #expect(s.boxes[s.selected].x == 0)
    }

    @Test("? shows the keys and any key closes them; with nothing to review r looks again")
    func helpAndEmpty() {
        var s = session(item(task: .classification))
        _ = s.handle(.char("?"))
        #expect(s.mode == .help)
        #expect(s.handle(.char("1")) == .none)  // closes help, labels nothing
        #expect(s.mode == .browse)
        var empty = ReviewSession(reviewer: "ana")
        empty.present(nil)
        #expect(empty.handle(.char("r")) == .refresh)
        #expect(empty.handle(.enter) == .none)
        #expect(empty.handle(.char("q")) == .quit)
    }
}
