/// Configuration mappings (policies, `vigil.yaml`) refuse keys they do not know, so a misspelt
/// `warnnig:` stops the command instead of silently changing what is monitored.
///
/// Every section decodes through ``Swift/Decoder/strictContainer(keyedBy:alsoAllowing:)``: the keys
/// it allows are its `CodingKeys`, written once. Keys starting with `x-` are the deliberate
/// extension point and are allowed anywhere (`x-team: vision`). Free-form maps (a dictionary
/// such as `training_distribution:`) are decoded as dictionaries and keep any key.
extension Decoder {
    /// The keyed container of this mapping, after refusing (with ``UnknownKeyError``) any key
    /// that neither `Keys` nor `extra` names; keys starting with ``ConfigurationKeys/extensionPrefix``
    /// pass. `extra` holds keys another decoder reads from the same mapping, e.g.
    /// `ConfigurationKeys.names(MMDSettings.CodingKeys.self)`.
    ///
    /// ```swift
    /// enum CodingKeys: String, CodingKey, CaseIterable { case warning, critical }
    /// let c = try decoder.strictContainer(keyedBy: CodingKeys.self)
    /// ```
    public func strictContainer<Keys: CodingKey & CaseIterable>(
        keyedBy keys: Keys.Type, alsoAllowing extra: [String] = []
    ) throws -> KeyedDecodingContainer<Keys> {
        let allowed = ConfigurationKeys.names(Keys.self) + extra
        try ConfigurationKeys.refuseUnknown(in: self, allowed: allowed)
        return try container(keyedBy: Keys.self)
    }
}

/// The one rule of which keys a configuration mapping accepts.
public enum ConfigurationKeys {
    /// Keys starting with this are the user's own and accepted anywhere.
    public static let extensionPrefix = "x-"

    /// The key names of a `CodingKeys` enumeration.
    public static func names<Keys: CodingKey & CaseIterable>(_ keys: Keys.Type) -> [String] {
        Keys.allCases.map(\.stringValue)
    }

    /// The `userInfo` key of an ``UnknownKeyCollector``: a decoder that carries one collects
    /// every unknown key and goes on decoding, so one run names them all.
    public static let collectorKey = CodingUserInfoKey(rawValue: "vigil.unknownKeys")!

    /// Throws ``UnknownKeyError`` for the first key of `decoder`'s mapping not in `allowed`, or,
    /// when the decoder carries an ``UnknownKeyCollector``, hands it every such key and returns.
    static func refuseUnknown(in decoder: any Decoder, allowed: [String]) throws {
        let present = try decoder.container(keyedBy: AnyKey.self).allKeys.map(\.stringValue)
        let path = decoder.codingPath.map(ConfigurationPath.Step.init)
        let unknown = present.filter { !allowed.contains($0) && !$0.hasPrefix(extensionPrefix) }
            .map { UnknownKeyError(path: path, key: $0, allowed: allowed) }
        if let collector = decoder.userInfo[collectorKey] as? UnknownKeyCollector {
            collector.add(unknown)
        } else if let first = unknown.first {
            throw first
        }
    }

    /// Any key, to list what a mapping holds.
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int?
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { stringValue = "\(intValue)"; self.intValue = intValue }
    }
}

/// The unknown keys met while decoding one document, in the order met, each once (a section
/// decoded twice is reported once).
public final class UnknownKeyCollector: @unchecked Sendable {
    private var found: [UnknownKeyError] = []

    public init() {}

    func add(_ errors: [UnknownKeyError]) {
        for e in errors where !found.contains(e) { found.append(e) }
    }

    /// Every unknown key met so far.
    public var errors: [UnknownKeyError] { found }
}

/// A key the configuration does not know, where it is, and the nearest allowed key.
public struct UnknownKeyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The mapping that holds the key, from the document's root.
    public var path: [ConfigurationPath.Step]
    public var key: String
    /// The keys allowed in that mapping, in declaration order.
    public var allowed: [String]

    public init(path: [ConfigurationPath.Step], key: String, allowed: [String]) {
        self.path = path
        self.key = key
        self.allowed = allowed
    }

    /// The allowed key nearest to ``key`` (at most two edits away), if any.
    public var suggestion: String? { EditDistance.nearest(to: key, among: allowed, within: 2) }

    /// `thresholds[0]: unknown key `warnnig`; did you mean `warning`? …`, without the file.
    public var description: String {
        let at = ConfigurationPath.text(path)
        let hint = suggestion.map { "did you mean `\($0)`? " } ?? ""
        return (at.isEmpty ? "" : "\(at): ") + "unknown key `\(key)`; " + hint
            + "keys allowed here: \(allowed.joined(separator: ", ")) (or your own, starting with `\(ConfigurationKeys.extensionPrefix)`). Fix or remove it."
    }
}

/// Where in a configuration document a value is: keys of mappings and indices of sequences.
public enum ConfigurationPath {
    /// One step down from a mapping (`.key`) or a sequence (`.index`).
    public enum Step: Sendable, Equatable {
        case key(String)
        case index(Int)

        init(_ codingKey: any CodingKey) {
            self = codingKey.intValue.map(Step.index) ?? .key(codingKey.stringValue)
        }
    }

    /// `alerts.routes[1]` for the steps to it.
    public static func text(_ steps: [Step]) -> String {
        steps.enumerated().map { i, step in
            switch step {
            case .key(let k): i == 0 ? k : ".\(k)"
            case .index(let n): "[\(n)]"
            }
        }.joined()
    }
}
