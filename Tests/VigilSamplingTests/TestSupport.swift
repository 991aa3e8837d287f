import Foundation
import VigilCore
import VigilPostgres
import VigilStore

let schema = ModelSchema(name: "shelf", task: .classification, classes: ["can", "jar", "box"])

/// A fresh SQLite store in a temporary folder, with the `shelf` model.
func temporaryStore() throws -> SQLiteStore {
    let dir = NSTemporaryDirectory() + "vigil-sampling-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    let store = try SQLiteStore(path: dir + "/vigil.db")
    _ = try store.syncModels([schema], now: 0)
    return store
}

/// The backends the queue tests run against (see VigilStoreTests' `Backend`): SQLite, and
/// PostgreSQL when `VIGIL_TEST_POSTGRES_URL` is set or `VIGIL_REQUIRE_POSTGRES=1` (then failing without it).
enum Backend: String, Sendable, CustomStringConvertible {
    case sqlite, postgres
    var description: String { rawValue }

    static var all: [Backend] {
        let env = ProcessInfo.processInfo.environment
        return !(env["VIGIL_TEST_POSTGRES_URL"] ?? "").isEmpty || env["VIGIL_REQUIRE_POSTGRES"] == "1" ? [.sqlite, .postgres] : [.sqlite]
    }

    /// A fresh store with the `shelf` model, and how to open another handle on it (another process's).
    func makeStore() throws -> (store: any Store, reopen: @Sendable () throws -> any Store) {
        switch self {
        case .sqlite:
            let store = try temporaryStore()
            let path = store.path
            return (store, { try SQLiteStore(path: path) })
        case .postgres:
            guard let admin = ProcessInfo.processInfo.environment["VIGIL_TEST_POSTGRES_URL"], !admin.isEmpty else {
                throw StoreError("VIGIL_REQUIRE_POSTGRES=1 but VIGIL_TEST_POSTGRES_URL is not set: export VIGIL_TEST_POSTGRES_URL=$(scripts/postgres-test-server.sh)")
            }
            let url = try PostgresStore.createScratchDatabase(adminURL: admin)
            let store = try PostgresStore(url: url)
            _ = try store.syncModels([schema], now: 0)
            return (store, { try PostgresStore(url: url) })
        }
    }
}

let day0 = Timestamp.parseMillis("2026-10-01T00:00:00Z")!

/// `count` predictions from `start` (ms), one a minute: class shares 80/15/5 %, a `scores` map
/// whose top-1 margin varies, and `input.attributes.camera` from `camera(i)`.
func ingestPredictions(_ store: any Store, count: Int, start: Int64 = day0, prefix: String = "p", seed: UInt64 = 1,
                       camera: (Int) -> String = { _ in "a" }) throws {
    var rng = SplitMix64(seed: seed)
    var lines: [String] = []
    for i in 0..<count {
        let u = rng.unit()
        let label = u < 0.8 ? "can" : (u < 0.95 ? "jar" : "box")
        let top = 0.34 + 0.65 * rng.unit()
        let rest = (1 - top) / 2
        let scores = schema.classes.map { "\"\($0)\":\($0 == label ? top : rest)" }.joined(separator: ",")
        let ts = Timestamp.format(millis: start + Int64(i) * 60_000)
        lines.append("{\"id\":\"\(prefix)\(i)\",\"ts\":\"\(ts)\",\"model\":\"shelf\",\"label\":\"\(label)\",\"score\":\(top),\"scores\":{\(scores)},\"input\":{\"uri\":\"x\",\"attributes\":{\"camera\":\"\(camera(i))\"}}}")
    }
    let parser = PredictionLineParser(catalog: ModelCatalog([schema]))
    let records = lines.enumerated().map { i, line in
        var l = line
        return l.withUTF8 { try! parser.parse($0, line: i + 1).get() }
    }
    var batch: [PredictionRecord]? = records
    _ = try store.ingestPredictions(options: IngestOptions(now: start), nextBatch: { defer { batch = nil }; return batch }, progress: { _ in })
}

/// Labels predictions `ids` with `label`.
func ingestLabels(_ store: any Store, _ ids: [String], label: String = "can", now: Int64 = day0) throws {
    let parser = LabelLineParser()
    let records = ids.enumerated().map { i, id in
        var l = "{\"prediction_id\":\"\(id)\",\"label\":\"\(label)\"}"
        return l.withUTF8 { try! parser.parse($0, line: i + 1).get() }
    }
    var batch: [LabelRecord]? = records
    _ = try store.ingestLabels(options: IngestOptions(now: now), nextBatch: { defer { batch = nil }; return batch }, progress: { _ in })
}
