import Foundation

/// What a model does: the two kinds of vision model Vigil watches.
public enum ModelTask: String, Codable, Sendable, CaseIterable {
    case classification
    case detection
}

/// A model as the ingest parser and the metrics see it: its name, task and class list.
///
/// The class list is append-only once stored: class indices are what rows hold, so a class is
/// never removed or reordered, only new classes added at the end.
public struct ModelSchema: Sendable, Equatable {
    /// The model's name, e.g. `shelf-classifier`.
    public var name: String
    /// Classification or detection.
    public var task: ModelTask
    /// The classes, in index order.
    public private(set) var classes: [String]
    /// Class name → index.
    public private(set) var classIndex: [String: Int]
    /// Class names as UTF-8 bytes, for lookups straight from input bytes.
    private var classBytes: [[UInt8]]

    /// A schema; duplicate class names keep their first index.
    public init(name: String, task: ModelTask, classes: [String]) {
        self.name = name
        self.task = task
        self.classes = []
        self.classIndex = [:]
        self.classBytes = []
        for c in classes where classIndex[c] == nil {
            classIndex[c] = self.classes.count
            self.classes.append(c)
            self.classBytes.append(Array(c.utf8))
        }
    }

    public static func == (a: ModelSchema, b: ModelSchema) -> Bool {
        a.name == b.name && a.task == b.task && a.classes == b.classes
    }

    /// The index of the class whose UTF-8 bytes are `bytes`, without making a `String`
    /// (a linear scan is faster than hashing for the usual few dozen classes).
    @inline(__always) public func index(ofBytes bytes: UnsafeBufferPointer<UInt8>, hint: Int = -1) -> Int? {
        // Maps such as `scores` usually list the classes in the same order on every line.
        if hint >= 0, hint < classBytes.count, Self.equal(classBytes[hint], bytes) { return hint }
        if classBytes.count > 64 { return classIndex[String(decoding: bytes, as: UTF8.self)] }
        for k in classBytes.indices where Self.equal(classBytes[k], bytes) { return k }
        return nil
    }

    @inline(__always) static func equal(_ a: [UInt8], _ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard a.count == b.count else { return false }
        return a.withUnsafeBufferPointer { a in
            for i in 0..<b.count where a[i] != b[i] { return false }
            return true
        }
    }

    /// The index of `label`, or `nil` when it is not one of the model's classes.
    public func index(of label: String) -> Int? { classIndex[label] }
}

/// The models ingest may write to, by name.
public struct ModelCatalog: Sendable {
    /// Schemas by model name.
    public var models: [String: ModelSchema] {
        didSet { byBytes = Self.index(models) }
    }
    /// The schemas with their names' UTF-8 bytes, for lookups straight from input bytes.
    private var byBytes: [(name: [UInt8], schema: ModelSchema)]

    /// A catalogue of `models`.
    public init(_ models: [ModelSchema]) {
        var m: [String: ModelSchema] = [:]
        for s in models { m[s.name] = s }
        self.models = m
        byBytes = Self.index(m)
    }

    private static func index(_ models: [String: ModelSchema]) -> [(name: [UInt8], schema: ModelSchema)] {
        models.values.sorted { $0.name < $1.name }.map { (Array($0.name.utf8), $0) }
    }

    /// The schema of the model whose name's UTF-8 bytes are `bytes`, without making a `String`
    /// (a catalogue holds a few models: comparing bytes is cheaper than hashing a name per line).
    @inline(__always) public func schema(forBytes bytes: UnsafeBufferPointer<UInt8>) -> ModelSchema? {
        if byBytes.count > 16 { return models[String(decoding: bytes, as: UTF8.self)] }
        for entry in byBytes where ModelSchema.equal(entry.name, bytes) { return entry.schema }
        return nil
    }

    /// The names of all models, sorted, for error messages.
    public var names: [String] { models.keys.sorted() }
}
