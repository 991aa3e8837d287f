import Testing
@testable import VigilReview

@Suite("class keys: a key that spells a class stores that class")
struct ClassKeysTests {
    /// Classification's commands: s f u q ? /.
    static let browsing = Set(ReviewSession.commands(sharingClassKeys: .classification).map(\.rawValue))
    /// Picking a detection box's class: only / is a command.
    static let pickingBoxClass = Set(ReviewSession.commands(sharingClassKeys: .detection).map(\.rawValue))

    /// What holds for every class list: keys are distinct, no key is a command, each key finds
    /// its class, and a key that spells a class name belongs to that class.
    func expectSound(_ keys: ClassKeys, _ sourceLocation: SourceLocation = #_sourceLocation) {
        let all = keys.keyed.map { $0.key! }
        #expect(Set(all).count == all.count, "keys are distinct", sourceLocation: sourceLocation)
        #expect(all.allSatisfy { !keys.commands.contains($0) }, "no key is a command", sourceLocation: sourceLocation)
        for entry in keys.keyed {
            #expect(keys.label(for: entry.key!) == entry.label, sourceLocation: sourceLocation)
            #expect(keys.key(for: entry.label) == entry.key, sourceLocation: sourceLocation)
        }
        let names = Set(keys.entries.map(\.label))
        for key in all where names.contains(String(key)) {
            #expect(keys.label(for: key) == String(key), "key \(key) spells a class and must store it", sourceLocation: sourceLocation)
        }
        // An assigned key is no class's name in either case.
        let lowered = Set(keys.entries.map { $0.label.lowercased() })
        for entry in keys.keyed where String(entry.key!) != entry.label {
            #expect(!lowered.contains(String(entry.key!).lowercased()), "assigned \(entry.key!) to \(entry.label)", sourceLocation: sourceLocation)
        }
    }

    @Test("classes 0-9: each digit is its own key, so 0 stores 0")
    func digits() {
        let classes = (0...9).map(String.init)
        let keys = ClassKeys(classes: classes, commands: Self.browsing)
        expectSound(keys)
        for name in classes { #expect(keys.key(for: name) == Character(name)) }
        #expect(keys.label(for: "0") == "0" && keys.label(for: "7") == "7")
        #expect(keys.unkeyed.isEmpty && keys.shadowedByCommands.isEmpty)
        #expect(keys.summary == "0-9")
    }

    @Test("classes a-z: letters are their own keys except the commands f q s u, which keep their meaning; their classes get digits")
    func letters() {
        let classes = "abcdefghijklmnopqrstuvwxyz".map(String.init)
        let keys = ClassKeys(classes: classes, commands: Self.browsing)
        expectSound(keys)
        #expect(keys.label(for: "a") == "a" && keys.label(for: "z") == "z")
        #expect(["f", "q", "s", "u"].allSatisfy { keys.label(for: Character($0)) == nil })
        #expect(["f", "q", "s", "u"].map { keys.key(for: $0) } == ["1", "2", "3", "4"])
        #expect(keys.shadowedByCommands.map(\.label) == ["f", "q", "s", "u"])
        #expect(keys.summary == "1-4 a-e g-p r t v-z")
        // Picking a box's class, only / is a command: every letter is its own key.
        let boxKeys = ClassKeys(classes: classes, commands: Self.pickingBoxClass)
        expectSound(boxKeys)
        #expect(classes.allSatisfy { boxKeys.key(for: $0) == Character($0) })
        #expect(boxKeys.summary == "a-z")
    }

    @Test("named classes take 1, 2, 3 … in the model's order")
    func named() {
        let keys = ClassKeys(classes: ["cat", "dog", "bird"], commands: Self.browsing)
        expectSound(keys)
        #expect(keys.entries == [.init(label: "cat", key: "1"), .init(label: "dog", key: "2"), .init(label: "bird", key: "3")])
        #expect(keys.summary == "1-3")
    }

    @Test("mixed: one-character names keep themselves; the others skip every class name and command")
    func mixed() {
        let keys = ClassKeys(classes: ["cat", "3", "dog", "1", "A"], commands: Self.browsing)
        expectSound(keys)
        #expect(keys.entries.map(\.key) == ["2", "3", "4", "1", "A"])  // cat 2, dog 4: never 1 or 3; nothing gets a (class A)
        // Sizes: s is skip, so class s is key 1; m and l are themselves; xl is assigned.
        let sizes = ClassKeys(classes: ["s", "m", "l", "xl"], commands: Self.browsing)
        expectSound(sizes)
        #expect(sizes.entries.map(\.key) == ["1", "m", "l", "2"])
        #expect(sizes.label(for: "s") == nil && sizes.shadowedByCommands.map(\.label) == ["s"])
        // Numbers past 9: the digits are themselves, 10 and 11 take keys that are no class.
        let numbers = ClassKeys(classes: (0...11).map(String.init), commands: Self.browsing)
        expectSound(numbers)
        #expect(numbers.key(for: "10") == "a" && numbers.key(for: "11") == "b" && numbers.label(for: "1") == "1")
    }

    @Test("more classes than keys: the rest have no key (/ search finds them)")
    func moreClassesThanKeys() {
        let classes = (0..<50).map { "class\($0)" }
        let keys = ClassKeys(classes: classes, commands: Self.browsing)
        expectSound(keys)
        #expect(keys.keyed.count == ClassKeys.assignable.count - 4)  // s f u q are commands
        #expect(keys.unkeyed == Array(classes.dropFirst(32)))
        #expect(keys.key(for: "class49") == nil)
        // One-character classes use up keys the others could have taken.
        let crowded = ClassKeys(classes: (0...9).map(String.init) + (0..<30).map { "c\($0)" }, commands: Self.browsing)
        expectSound(crowded)
        #expect(crowded.keyed.count == 10 + 22 && crowded.unkeyed.count == 8)
    }

    @Test("a name is its own key only when the terminal sends it as one printable character")
    func ownKeys() {
        #expect(ClassKeys.ownKey("é") == "é" && ClassKeys.ownKey("🐱") == "🐱" && ClassKeys.ownKey("7") == "7")
        #expect(ClassKeys.ownKey("e\u{301}") == nil)  // two scalars: two keys
        #expect(ClassKeys.ownKey(" ") == nil && ClassKeys.ownKey("\t") == nil && ClassKeys.ownKey("ab") == nil && ClassKeys.ownKey("") == nil)
        let keys = ClassKeys(classes: [" ", "x"], commands: Self.browsing)
        expectSound(keys)
        #expect(keys.entries.map(\.key) == ["1", "x"])
    }
}
