import Yams

/// A YAML syntax error in words, with the file, line and column and the line it is on, instead
/// of Yams's "The given data was not valid YAML."
enum YAMLSyntax {
    /// `policies/shelf.yaml:5:7: not valid YAML: did not find expected ',' or ']' …` followed by
    /// the offending line and a caret; a repeated key names the key and what to do.
    static func describe(_ error: YamlError, path: String) -> String {
        switch error {
        case let .scanner(context, problem, mark, yaml), let .parser(context, problem, mark, yaml), let .composer(context, problem, mark, yaml):
            let started = context.map { " (\($0.text) that starts at line \($0.mark.line))" } ?? ""
            return "\(path):\(mark.line):\(mark.column): not valid YAML: \(problem)\(started)\n" + snippet(yaml, line: mark.line, column: mark.column)
        case let .duplicatedKeysInMapping(duplicates, context):
            let keys = duplicates.sorted().map { "`\($0)`" }.joined(separator: ", ")
            return "\(path):\(context.mark.line): the key \(keys) appears more than once in the same mapping; YAML keeps only one of them, so remove the others"
        case let .reader(problem, _, _, _):
            return "\(path): not valid YAML: \(problem) (is the file UTF-8 text?)"
        default:
            return "\(path): not valid YAML: \(error)"
        }
    }

    /// The line `line` (1-based) of `text` and a caret under `column`.
    static func snippet(_ text: String, line: Int, column: Int) -> String {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard line >= 1, line <= lines.count else { return "" }
        return "  " + lines[line - 1] + "\n  " + String(repeating: " ", count: max(0, column - 1)) + "^"
    }
}
