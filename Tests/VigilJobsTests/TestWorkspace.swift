import Foundation
import VigilCore
import VigilJobs
import VigilStore
import VigilWorkspace

/// A fresh workspace (vigil.yaml, the example classifier policy, a SQLite store) in a temporary folder.
struct TestWorkspace {
    let root: String
    let workspace: Workspace
    let store: any Store
    let catalog: ModelCatalog
    let clock = FixedClock(Timestamp.date(millis: Timestamp.parseMillis("2026-10-31T00:00:00Z")!))

    init(extraPolicies: [Policy] = []) throws {
        root = NSTemporaryDirectory() + "vigil-ws-\(UUID().uuidString)"
        try Workspace.initialize(at: root, examplePolicy: ExamplePolicies.absoluteClassifier)
        for p in extraPolicies {
            try ExamplePolicies.yaml(p).write(toFile: root + "/policies/\(p.model).yaml", atomically: true, encoding: .utf8)
        }
        workspace = try Workspace.locate(from: root)
        (store, catalog, _) = try workspace.openStoreWithModels()
    }

    /// Writes `text` to a file in the workspace and returns its path.
    func file(_ name: String, _ text: String) throws -> String {
        let path = root + "/" + name
        try text.write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    func file(_ name: String, bytes: [UInt8]) throws -> String {
        let path = root + "/" + name
        _ = FileManager.default.createFile(atPath: path, contents: Data(bytes))
        return path
    }

    func ingest(_ kind: IngestRequest.Kind, _ path: String, _ configure: (inout IngestRequest) -> Void = { _ in }) throws -> IngestSummary {
        var request = IngestRequest(kind: kind, path: path)
        configure(&request)
        return try IngestJob(store: store, catalog: catalog, clock: clock, rejectsDirectory: workspace.rejectsDirectory).run(request)
    }

    func storedPredictions() throws -> Int { try store.verify().predictions }

    /// Lines of the rejects file, parsed.
    func rejects(_ summary: IngestSummary) throws -> [[String: Any]] {
        guard let path = summary.rejectsFile else { return [] }
        return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
    }
}

/// A valid example prediction line.
func predictionLine(_ id: String, label: String = "can", ts: String = "2026-10-30T10:00:00Z", extra: String = "") -> String {
    "{\"id\":\"\(id)\",\"ts\":\"\(ts)\",\"model\":\"shelf-classifier\",\"model_version\":\"1\",\"label\":\"\(label)\",\"score\":0.9\(extra)}"
}
