import Foundation
import Testing
import VigilCore
import VigilJobs

/// The files the repository ships stay valid.
@Suite struct RepositoryContentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test func examplePoliciesParseAndCheck() throws {
        let dir = Self.root + "/policies"
        let policies = try PolicyLoader.loadAll(directory: dir)
        #expect(!policies.isEmpty)
        #expect(policies.allSatisfy { $0.problems().isEmpty })
    }

    @Test func initWritesThePolicyThatShips() throws {
        let shipped = try String(contentsOfFile: Self.root + "/policies/example-classifier.yaml", encoding: .utf8)
        #expect(shipped == ExamplePolicies.yaml(ExamplePolicies.classifier))
    }

    /// Every `vigil …` command that the sources (error messages, help, templates) or the docs
    /// recommend exists: `vigil <path> --help` shows that very path in its usage line.
    @Test func everyRecommendedCommandExists() throws {
        var commands: Set<String> = []
        let pattern = try NSRegularExpression(pattern: "`vigil((?: [a-z][a-z-]*)+)")
        var files = [Self.root + "/README.md"]
        for dir in ["Sources", "docs"] {
            let names = FileManager.default.enumerator(atPath: Self.root + "/" + dir)?.allObjects as? [String] ?? []
            for name in names where name.hasSuffix(".swift") || name.hasSuffix(".md") { files.append(Self.root + "/" + dir + "/" + name) }
        }
        for file in files {
            let text = try String(contentsOfFile: file, encoding: .utf8)
            for m in pattern.matches(in: text, range: NSRange(text.startIndex..., in: text)) {
                guard let r = Range(m.range(at: 1), in: text) else { continue }
                commands.insert(String(text[r]).trimmingCharacters(in: .whitespaces))
            }
        }
        #expect(commands.count > 20)
        for command in commands.sorted() {
            // The longest prefix that is a command: arguments (a model name, a file) follow it.
            let words = command.split(separator: " ").map(String.init)
            var found = false
            for n in stride(from: words.count, through: 1, by: -1) {
                let path = Array(words.prefix(n))
                let help = try VigilProcess.run(path + ["--help"])
                guard help.status == 0, help.stdout.contains("USAGE: vigil \(path.joined(separator: " "))") else { continue }
                // A group followed by a word that is not one of its subcommands does not count.
                found = n == words.count || !help.stdout.contains("USAGE: vigil \(path.joined(separator: " ")) <subcommand>")
                break
            }
            #expect(found, "`vigil \(command)` is recommended but no such command exists")
        }
    }

    /// Help texts are wrapped once, by the help printer: in every command's overview, no line
    /// of a paragraph ends early although the next word would have fitted (the ragged lines a
    /// second, hand-made wrap leaves).
    @Test func helpTextsAreWrappedOnce() throws {
        var pending = [[String]()], seen = 0
        while let path = pending.popLast() {
            let help = try VigilProcess.run(path + ["--help"]).stdout
            seen += 1
            let lines = help.components(separatedBy: "\n")
            let overview = lines.prefix { !$0.hasPrefix("USAGE:") }
            let width = lines.map(\.count).max() ?? 80
            for (a, b) in zip(overview, overview.dropFirst()) where !a.isEmpty && !b.isEmpty && !a.hasPrefix(" ") && !b.hasPrefix(" ") {
                let next = b.split(separator: " ").first.map(String.init) ?? ""
                #expect(a.count + 1 + next.count >= min(width, 80), "vigil \(path.joined(separator: " ")) --help: '\(a)' is followed by '\(b)'")
            }
            // Subcommands: the first word of each line of the SUBCOMMANDS section indented by two.
            if let start = lines.firstIndex(of: "SUBCOMMANDS:") {
                for line in lines[(start + 1)...].prefix(while: { !$0.isEmpty }) where line.hasPrefix("  ") && !line.hasPrefix("   ") {
                    let name = line.trimmingCharacters(in: .whitespaces).split(separator: " ").first.map(String.init) ?? ""
                    if name != "help" && !name.isEmpty { pending.append(path + [name]) }
                }
            }
        }
        #expect(seen > 30)
    }
}
