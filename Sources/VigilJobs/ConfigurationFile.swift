import Foundation
import VigilCore
import Yams

/// Decodes a YAML configuration file (a policy, `vigil.yaml`) strictly: every error names the
/// file, and an unknown key also its line and the nearest allowed key.
public enum ConfigurationFile {
    /// `text` (read from `path`) decoded as `T`; errors as `path:line: field: what is wrong`.
    public static func decode<T: Decodable>(_ type: T.Type, from text: String, path: String) throws -> T {
        do {
            return try YAMLDecoder().decode(T.self, from: text)
        } catch {
            if let unknown = unknownKey(in: error) {
                let line = self.line(of: unknown.key, under: unknown.path, in: text)
                throw JobError("\(path)\(line.map { ":\($0)" } ?? ""): \(unknown)")
            }
            throw JobError("\(path): \(PolicyLoader.describe(error))")
        }
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
