import Foundation
import VigilCore

/// Model artifacts, content-addressed by SHA-256 under the workspace:
/// `<root>/sha256/<first two hex digits>/<hex>`. Storing the same bytes twice keeps one copy.
///
/// ```swift
/// let stored = try ArtifactStore(root: ws.path(".vigil/artifacts")).put(file: "out/artifact")
/// stored.sha256   // "9f86d0…"
/// ```
public struct ArtifactStore: Sendable {
    public let root: String

    public init(root: String) { self.root = root }

    /// SHA-256 of a file, read in 1 MiB chunks; `nil` when it cannot be read.
    public static func sha256(file path: String) -> String? {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try? handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(chunk) }
        return hasher.finalize().hexString
    }

    /// The path an artifact with this hash has in the store.
    public func path(sha256: String) -> String {
        "\(root)/sha256/\(sha256.prefix(2))/\(sha256)"
    }

    /// Copies `file` into the store (if its content is not there yet); returns its hash and path.
    public func put(file: String) throws -> (sha256: String, path: String) {
        guard FileManager.default.fileExists(atPath: file), let hash = Self.sha256(file: file) else {
            throw RegistryError(.invalidRequest, "cannot read the artifact \(file): the trainer must write it (see docs/registry.md, \"Trainer contract\")")
        }
        let target = path(sha256: hash)
        let fm = FileManager.default
        if !fm.fileExists(atPath: target) {
            try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            let partial = target + ".partial-\(ProcessInfo.processInfo.processIdentifier)"
            try? fm.removeItem(atPath: partial)
            try fm.copyItem(atPath: file, toPath: partial)
            try fm.moveItem(atPath: partial, toPath: target)  // atomic: readers see all or nothing
        }
        return (hash, target)
    }
}

/// A registry error meant for the person at the terminal: what happened and what to do, and
/// which kind of failure it is, so an API answers 404, 422, 409 or 502 as fits.
public struct RegistryError: Error, CustomStringConvertible, Sendable {
    /// What went wrong, for callers that must tell cases apart.
    public enum Kind: Sendable, Equatable {
        /// The model has no such version, champion or previous champion.
        case notFound
        /// The request itself is incomplete or unreadable (a missing reason, an unreadable file).
        case invalidRequest
        /// The registry refuses in its current state (a failed gate, no verdict, already champion).
        case refused
        /// The registry's backend (MLflow) cannot be reached or answered with an error.
        case unavailable
    }

    public var kind: Kind
    public var description: String

    public init(_ kind: Kind, _ description: String) {
        self.kind = kind
        self.description = description
    }

    /// A refusal: the registry's current state does not allow it.
    public init(_ description: String) { self.init(.refused, description) }
}
