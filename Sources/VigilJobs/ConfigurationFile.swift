import Foundation
import VigilCore
import Yams

/// Decodes a YAML configuration file (a policy, `vigil.yaml`) strictly: every error names the
/// file, and an unknown key also its line and the nearest allowed key.
public enum ConfigurationFile {
    /// `text` (read from `path`) decoded as `T`; errors as `path:line: field: what is wrong`.
    /// Every unknown key is named, each on its own line, not only the first.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, path: String) throws -> T {
        let collector = UnknownKeyCollector()
        let decoded: Result<T, any Error> = Result {
            try YAMLDecoder().decode(T.self, from: text, userInfo: [ConfigurationKeys.collectorKey: collector])
        }
        var unknown = collector.errors
        if case .failure(let error) = decoded, let thrown = unknownKey(in: error), !unknown.contains(thrown) { unknown.append(thrown) }
        if !unknown.isEmpty {
            // An unknown key is usually why a required one is missing: name the unknown keys only.
            let located = unknown.map { (line: self.line(of: $0.key, under: $0.path, in: text), error: $0) }
                .sorted { ($0.line ?? .max) < ($1.line ?? .max) }
            throw JobError(located.map { "\(path)\($0.line.map { ":\($0)" } ?? ""): \($0.error)" }.joined(separator: "\n"))
        }
        switch decoded {
        case .success(let value): return value
        case .failure(let error):
            if let yaml = yamlError(in: error) { throw JobError(YAMLSyntax.describe(yaml, path: path)) }
            throw JobError("\(path): \(PolicyLoader.describe(error))")
        }
    }

    /// The Yams syntax error behind `error`, if the document is not valid YAML.
    static func yamlError(in error: any Error) -> YamlError? {
        if let yaml = error as? YamlError { return yaml }
        if case DecodingError.dataCorrupted(let context) = error, let underlying = context.underlyingError {
            return yamlError(in: underlying)
        }
        return nil
    }

    /// The ``UnknownKeyError`` behind `error`: Yams wraps errors of `init(from:)` as "not valid YAML".
    static func unknownKey(in error: any Error) -> UnknownKeyError? {
        if let unknown = error as? UnknownKeyError { return unknown }
        if case DecodingError.dataCorrupted(let context) = error, let underlying = context.underlyingError {
            return unknownKey(in: underlying)
        }
        return nil
    }

    /// The 1-based line of `key` in the mapping at `steps`, if the document can be walked there.
    static func line(of key: String, under steps: [ConfigurationPath.Step], in text: String) -> Int? {
        guard var node = try? Yams.compose(yaml: text) else { return nil }
        for step in steps {
            switch step {
            case .key(let k): guard let next = node.mapping?[k] else { return nil }; node = next
            case .index(let i):
                guard let sequence = node.sequence, sequence.indices.contains(i) else { return nil }
                node = sequence[i]
            }
        }
        return node.mapping?.keys.first { $0.string == key }?.mark?.line
    }
}
