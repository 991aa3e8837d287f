/// Which key picks which class in `vigil review`: computed from the model's classes (in the
/// model's order) and the characters that are commands where class keys are read, so the key
/// shown beside a class is the key that stores it.
///
/// The rule, per class:
/// 1. **Its own name**, when the name is one typeable character (a single printable Unicode
///    scalar) that is not a command: class "7" is key `7`, class "a" is key `a`.
/// 2. Otherwise (a longer name, or a one-character name that is a command) **the next free key
///    of ``assignable``** — `1`–`9`, `0`, then `a`–`z` — skipping the commands and every
///    character that is a class's name in either case. A key that spells a class therefore
///    stores that class or runs its command; it never stores another class.
/// 3. When ``assignable`` runs out, the remaining classes have **no key**; `/` search reaches them.
///
/// Commands win over class names: a class named "s" where `s` skips gets an assigned key (shown
/// beside it) and `s` still skips, so a model's class names cannot silently turn skip or flag
/// into an answer.
///
/// ```swift
/// let keys = ClassKeys(classes: ["cat", "7", "s"], commands: ["s", "f", "u", "q", "?", "/"])
/// keys.label(for: "7")   // "7"
/// keys.key(for: "cat")   // "1"
/// keys.key(for: "s")     // "2": s stays skip
/// ```
public struct ClassKeys: Equatable, Sendable {
    /// One class and its key, in the model's order.
    public struct Entry: Equatable, Sendable {
        public let label: String
        /// Nil when the assignable keys ran out (rule 3).
        public let key: Character?
    }

    /// The keys rule 2 assigns from, in order.
    public static let assignable: [Character] = Array("1234567890abcdefghijklmnopqrstuvwxyz")

    /// Every class with its key, in the model's order.
    public let entries: [Entry]
    /// The characters that are commands where these keys are read.
    public let commands: Set<Character>
    private let labelsByKey: [Character: String]

    /// The keys of `classes` (in the model's order) where `commands` are the characters that
    /// are commands.
    public init(classes: [String], commands: Set<Character>) {
        self.commands = commands
        var labelsByKey: [Character: String] = [:]
        var keys: [Character?] = classes.map { label in
            guard let c = Self.ownKey(label), !commands.contains(c), labelsByKey[c] == nil else { return nil }
            labelsByKey[c] = label
            return c
        }
        // Names a reviewer might type for a class, either case: never assigned to another class.
        let spelled = Set(classes.filter { $0.count == 1 }.map { $0.lowercased() })
        var free = Self.assignable.filter { !commands.contains($0) && !spelled.contains(String($0).lowercased()) }[...]
        for i in classes.indices where keys[i] == nil {
            guard let key = free.popFirst() else { break }
            keys[i] = key
            labelsByKey[key] = classes[i]
        }
        entries = zip(classes, keys).map { Entry(label: $0, key: $1) }
        self.labelsByKey = labelsByKey
    }

    /// The class `key` stores, if any.
    public func label(for key: Character) -> String? { labelsByKey[key] }

    /// The key of class `label`, if it has one.
    public func key(for label: String) -> Character? { entries.first { $0.label == label }?.key }

    /// The entries that have a key.
    public var keyed: [Entry] { entries.filter { $0.key != nil } }

    /// Classes without a key (more classes than keys): only `/` search reaches them.
    public var unkeyed: [String] { entries.filter { $0.key == nil }.map(\.label) }

    /// Classes whose one-character name is a command: the command keeps the key; the class
    /// has an assigned one (rule 2).
    public var shadowedByCommands: [Entry] {
        entries.filter { Self.ownKey($0.label).map(commands.contains) ?? false }
    }

    /// The keys in short form for the key line and the help: sorted, runs of three or more
    /// consecutive characters joined with "-" (`0-9`, `1-3`, `1-4 a-e g-p`); "—" when there are none.
    public var summary: String {
        let sorted = keyed.compactMap(\.key).sorted { $0.unicodeScalars.first!.value < $1.unicodeScalars.first!.value }
        guard !sorted.isEmpty else { return "—" }
        var parts: [String] = []
        var run: [Character] = []
        func close() {
            guard let first = run.first, let last = run.last else { return }
            parts.append(run.count >= 3 ? "\(first)-\(last)" : run.map(String.init).joined(separator: " "))
            run = []
        }
        for key in sorted {
            if let last = run.last, key.unicodeScalars.first!.value != last.unicodeScalars.first!.value + 1 { close() }
            run.append(key)
        }
        close()
        return parts.joined(separator: " ")
    }

    /// The key a class named `label` may own (rule 1): its only character when that is one
    /// printable Unicode scalar, which the terminal sends as one key.
    static func ownKey(_ label: String) -> Character? {
        guard label.unicodeScalars.count == 1, let scalar = label.unicodeScalars.first else { return nil }
        let p = scalar.properties
        guard !p.isWhitespace, ![.control, .format, .surrogate, .privateUse, .unassigned].contains(p.generalCategory) else { return nil }
        return Character(scalar)
    }
}
