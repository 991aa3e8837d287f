import Foundation
import VigilCore
@testable import VigilStore

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
