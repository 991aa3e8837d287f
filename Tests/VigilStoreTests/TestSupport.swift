import Foundation
import GRDB
import VigilCore
import VigilPostgres
@testable import VigilStore

/// The backends the store tests run against: SQLite always; PostgreSQL when
/// `VIGIL_TEST_POSTGRES_URL` names a server (each test then gets a database of its own), and
/// also when `VIGIL_REQUIRE_POSTGRES=1` without a URL, so that such a run fails instead of
/// silently leaving PostgreSQL out (CI sets both).
enum Backend: String, CaseIterable, Sendable, CustomStringConvertible {
    case sqlite, postgres

    var description: String { rawValue }

    static var all: [Backend] {
        let env = ProcessInfo.processInfo.environment
        let url = env["VIGIL_TEST_POSTGRES_URL"].map { !$0.isEmpty } ?? false
        return url || env["VIGIL_REQUIRE_POSTGRES"] == "1" ? [.sqlite, .postgres] : [.sqlite]
    }

    /// A fresh, empty store of this backend.
    func makeStore() throws -> TestStore {
        switch self {
        case .sqlite:
            let (store, _) = try temporaryStore()
            return TestStore(store: store, sqlite: store, postgres: nil)
        case .postgres:
            guard let url = ProcessInfo.processInfo.environment["VIGIL_TEST_POSTGRES_URL"], !url.isEmpty else {
                throw StoreError("VIGIL_REQUIRE_POSTGRES=1 but VIGIL_TEST_POSTGRES_URL is not set: start a server with `export VIGIL_TEST_POSTGRES_URL=$(scripts/postgres-test-server.sh)`")
            }
            let store = try PostgresStore(url: try PostgresStore.createScratchDatabase(adminURL: url))
            return TestStore(store: store, sqlite: nil, postgres: store)
        }
    }
}

/// A store under test with a way to look at its tables directly, whatever the backend.
struct TestStore {
    let store: any Store
    let sqlite: SQLiteStore?
    let postgres: PostgresStore?

    /// Another handle on the same database, as another process would open it.
    func reopen() throws -> any Store {
        if let sqlite { return try SQLiteStore(path: sqlite.path) }
        return try PostgresStore(location: postgres!.location)
    }

    /// The rows of `sql`, every value as text (nil for NULL).
    func rows(_ sql: String) throws -> [[String?]] {
        if let sqlite {
            return try sqlite.queue.read { db in
                try Row.fetchAll(db, sql: sql).map { row in
                    row.databaseValues.map { v -> String? in
                        switch v.storage {
                        case .null: nil
                        case .int64(let i): String(i)
                        case .double(let d): String(d)
                        case .string(let s): s
                        case .blob(let b): String(decoding: b, as: UTF8.self)
                        }
                    }
                }
            }
        }
        return try postgres!.rows(sql)
    }

    /// The rows of `sql` as integers.
    func integers(_ sql: String) throws -> [[Int64]] {
        try rows(sql).map { $0.map { Int64($0 ?? "") ?? -999_999 } }
    }

    func execute(_ sql: String) throws {
        if let sqlite { try sqlite.queue.write { try $0.execute(sql: sql) } } else { try postgres!.execute(sql) }
    }
}

/// A fresh SQLite store in a temporary folder.
func temporaryStore() throws -> (SQLiteStore, String) {
    let dir = NSTemporaryDirectory() + "vigil-store-\(UUID().uuidString)"
    try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
    return (try SQLiteStore(path: dir + "/vigil.db"), dir)
}

let classifierSchema = ModelSchema(name: "shelf", task: .classification, classes: ["can", "jar", "box"])
let detectorSchema = ModelSchema(name: "dock", task: .detection, classes: ["pallet", "person"])

/// Parses NDJSON prediction lines with the real parser.
func predictions(_ lines: [String], catalog: ModelCatalog) -> [PredictionRecord] {
    let parser = PredictionLineParser(catalog: catalog)
    return lines.enumerated().map { i, line in
        var l = line
        return l.withUTF8 { try! parser.parse($0, line: i + 1).get() }
    }
}

func labels(_ lines: [String]) -> [LabelRecord] {
    let parser = LabelLineParser()
    return lines.enumerated().map { i, line in
        var l = line
        return l.withUTF8 { try! parser.parse($0, line: i + 1).get() }
    }
}

/// Feeds `batches` to a store ingest.
func batches<R>(_ all: [[R]]) -> () throws -> [R]? {
    var rest = all
    return { rest.isEmpty ? nil : rest.removeFirst() }
}

func line(_ id: String, label: String = "can", score: Double = 0.9, ts: String = "2026-10-01T10:00:00Z", model: String = "shelf") -> String {
    "{\"id\":\"\(id)\",\"ts\":\"\(ts)\",\"model\":\"\(model)\",\"label\":\"\(label)\",\"score\":\(score)}"
}
