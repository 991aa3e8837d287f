import Foundation
import VigilCore
import VigilJobs
import VigilPostgres
import VigilStore

/// The composition root's part of a workspace: the one place that knows the store backends and
/// picks one from `vigil.yaml`'s `store:`. Jobs take `any Store` and know no backend.
extension Workspace {
    /// Opens the configured store. Commands that only read pass ``StoreAccess/readOnly``: no
    /// migration runs, SQLite opens the file read-only, and a store a newer Vigil migrated is read
    /// with a warning on stderr; with ``StoreAccess/readWrite`` such a store is refused.
    public func openStore(access: StoreAccess = .readWrite) throws -> any Store {
        let url = config.store
        if url.hasPrefix("sqlite:") {
            let store = try SQLiteStore(path: path(String(url.dropFirst("sqlite:".count))), access: access)
            Self.warn(store.newerSchemaWarning)
            if let backup = store.migrationBackup {
                Self.warn("note: migrated the store to schema version \(SQLiteStore.schemaVersion); the store as it was before is kept in \(backup) (restore it to go back to the older vigil; delete it once this version runs well)")
            }
            return store
        }
        if url.hasPrefix("postgres://") || url.hasPrefix("postgresql://") {
            let store = try PostgresStore.shared(url: url, access: access)
            Self.warn(store.newerSchemaWarning)
            return store
        }
        throw JobError("vigil.yaml: store: '\(url)' is not a store URL; use sqlite:.vigil/vigil.db or postgres://USER@HOST:PORT/DATABASE")
    }

    private static func warn(_ line: String?) {
        if let line { FileHandle.standardError.write(Data((line + "\n").utf8)) }
    }

    /// Opens the store and registers every policy's model in it.
    public func openStoreWithModels(clock: any VigilClock = SystemClock()) throws -> (store: any Store, catalog: ModelCatalog, policies: [Policy]) {
        let policies = try loadPolicies()
        let store = try openStore()
        let catalog = try store.syncModels(policies.map(\.schema), now: Timestamp.millis(clock.now))
        return (store, catalog, policies)
    }

    /// Creates a workspace in `directory`: `vigil.yaml`, an example policy and the store.
    /// Existing files are left alone. Returns the paths written.
    @discardableResult
    public static func initialize(at directory: String, examplePolicy: Policy = ExamplePolicies.classifier,
                                  clock: any VigilClock = SystemClock()) throws -> [String] {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true)
        var written: [String] = []
        let configPath = (directory as NSString).appendingPathComponent("vigil.yaml")
        if !fm.fileExists(atPath: configPath) {
            try WorkspaceConfig.template.write(toFile: configPath, atomically: true, encoding: .utf8)
            written.append(configPath)
        }
        let workspace = try Workspace(root: directory, config: loadConfig(configPath))
        let policies = workspace.path(workspace.config.policies)
        try fm.createDirectory(atPath: policies, withIntermediateDirectories: true)
        let policyPath = (policies as NSString).appendingPathComponent("\(examplePolicy.model).yaml")
        if !fm.fileExists(atPath: policyPath) {
            try ExamplePolicies.yaml(examplePolicy).write(toFile: policyPath, atomically: true, encoding: .utf8)
            written.append(policyPath)
        }
        _ = try workspace.openStoreWithModels(clock: clock)
        if case let storePath = workspace.path(String(workspace.config.store.dropFirst("sqlite:".count))),
           workspace.config.store.hasPrefix("sqlite:") {
            written.append(storePath)
        }
        return written
    }
}
