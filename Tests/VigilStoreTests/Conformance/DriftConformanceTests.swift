import Foundation
import Testing
import VigilCore
@testable import VigilStore

/// `DriftDataSource`: the window reads of the drift tests, on every backend.
@Suite struct DriftConformanceTests {
    @Test(arguments: Backend.all) func predictedClassesAreCountedPerClassAndPerBox(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try c.ingest([cls("a", "can", at: When.at(9, 50)), cls("b", "jar", at: When.at(10, 5)), cls("c", "jar", at: When.at(10, 55)),
                      cls("d", "box", at: When.at(11, 30)), cls("e", "can", at: When.at(12, 10)),
                      det("i1", at: When.at(9, 55), boxes: [("pallet", 0.9), ("person", 0.8), ("person", 0.3)]),
                      det("i2", at: When.at(10, 20), boxes: [("pallet", 0.5)]), det("i3", at: When.at(12, 40), boxes: [])])
        // 09:50 is before the window; 10:00–12:00 whole hours; 12:10 an edge inside; 12:40 an edge.
        let window = TimeWindow(from: When.at(9, 52), to: When.at(12, 45))
        #expect(try store.predictedClassCounts(model: "shelf", window: window) == [1, 2, 1])
        #expect(try store.predictedClassCounts(model: "dock", window: window) == [2, 2])
        #expect(try store.predictedClassCounts(model: "dock", window: TimeWindow(from: When.at(10), to: When.at(11))) == [1, 0])
        #expect(throws: (any Error).self) { try store.predictedClassCounts(model: "ghost", window: window) }
    }

    @Test(arguments: Backend.all) func scoresAreAllReadOrTheStoredSample(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let lines = (0..<40).map { cls("p\($0)", ["can", "jar", "box"][$0 % 3], score: Double($0) / 100, at: When.at(10, Int64($0))) }
            + [cls("unscored", "can", score: nil, at: When.at(10, 50))]
        try c.ingest(lines)
        let window = TimeWindow(from: When.at(10), to: When.at(11))
        let all = try store.scores(model: "shelf", window: window, limit: 100)
        #expect(all.predictions == 41 && all.sampleLevel == nil)
        #expect(all.values.sorted() == (0..<40).map { Double($0) / 100 })
        // Over the limit: the predictions whose content hash has level ≥ L, L the smallest that fits.
        let records = predictions(lines, catalog: c.catalog)
        let sampled = try store.scores(model: "shelf", window: window, limit: 4)
        let level = try #require(PredictionSample.level(forCount: 41, limit: 4))
        #expect(sampled.sampleLevel == level && sampled.predictions == 41)
        let expected = records.filter { PredictionSample.level(contentHash: $0.contentHash) >= level }.compactMap(\.score).sorted()
        #expect(sampled.values.sorted() == expected)
        // A window edge is respected.
        let part = try store.scores(model: "shelf", window: TimeWindow(from: When.at(10, 30), to: When.at(10, 35)), limit: 100)
        #expect(part.values.sorted() == [0.3, 0.31, 0.32, 0.33, 0.34] && part.predictions == 5)
        #expect(throws: (any Error).self) { try store.scores(model: "ghost", window: window, limit: 10) }
    }

    @Test(arguments: Backend.all) func predictedBoxesAreReadInTimeOrder(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try c.ingest([det("i2", at: When.at(10, 30), boxes: [("person", 0.6)]), det("i1", at: When.at(10, 10), boxes: [("pallet", 0.9)]),
                      det("i3", at: When.at(10, 40), boxes: []), det("out", at: When.at(12), boxes: [("pallet", 0.1)])])
        var seen: [String] = []
        let read = try store.forEachPredictedBoxes(model: "dock", window: TimeWindow(from: When.at(10), to: When.at(11)), limit: 10) { seen.append($0) }
        #expect(read == WindowValues(values: [], predictions: 3, sampleLevel: nil))
        #expect(seen == [#"[{"label":"pallet","score":0.9,"bbox":[0,0,5,5]}]"#, #"[{"label":"person","score":0.6,"bbox":[0,0,5,5]}]"#, "[]"])
        // Over the limit: the stored sample's rows only (each a boxes array).
        var sampled: [String] = []
        let lines = [det("i1", at: When.at(10, 10), boxes: [("pallet", 0.9)]), det("i2", at: When.at(10, 30), boxes: [("person", 0.6)]),
                     det("i3", at: When.at(10, 40), boxes: [])]
        let records = predictions(lines, catalog: c.catalog)
        let few = try store.forEachPredictedBoxes(model: "dock", window: TimeWindow(from: When.at(10), to: When.at(11)), limit: 1) { sampled.append($0) }
        let level = try #require(PredictionSample.level(forCount: 3, limit: 1))
        #expect(few.sampleLevel == level && few.predictions == 3)
        #expect(sampled.count == records.filter { PredictionSample.level(contentHash: $0.contentHash) >= level }.count)
        #expect(throws: (any Error).self) { try store.forEachPredictedBoxes(model: "ghost", window: TimeWindow(from: 0, to: 1), limit: 1) { _ in } }
    }

    @Test(arguments: Backend.all) func correctnessFollowsTheCurrentLabelInTimeOrder(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try c.ingest([cls("b", "jar", at: When.at(10, 30)), cls("a", "can", at: When.at(10, 10)), cls("c", "box", at: When.at(10, 50)),
                      cls("unlabelled", "can", at: When.at(10, 20)), cls("out", "can", at: When.at(12))])
        try c.label([truthLine("a", "can"), truthLine("b", "can"), truthLine("c", "box"), truthLine("out", "can")])
        let window = TimeWindow(from: When.at(10), to: When.at(11))
        var stream = try store.correctnessStream(model: "shelf", window: window)
        #expect(stream.map(\.ts) == [When.at(10, 10), When.at(10, 30), When.at(10, 50)])
        #expect(stream.map(\.correct) == [true, false, true])
        try c.label([truthLine("b", "jar")], now: 1, relabel: true)
        stream = try store.correctnessStream(model: "shelf", window: window)
        #expect(stream.map(\.correct) == [true, true, true])
        #expect(throws: (any Error).self) { try store.correctnessStream(model: "ghost", window: window) }
    }

    @Test(arguments: Backend.all) func hourlyMeansComeFromSumsAndEdges(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try c.ingest([cls("a", "can", score: 0.5, at: When.at(9, 50)), cls("b", "can", score: 0.25, at: When.at(10, 10)),
                      cls("c", "jar", score: 0.75, at: When.at(10, 20)), cls("d", "box", score: 1.0, at: When.at(11, 5)),
                      cls("e", "box", score: nil, at: When.at(11, 6)), cls("f", "can", score: 0.5, at: When.at(12, 30))])
        let got = try store.hourlyMeanScores(model: "shelf", window: TimeWindow(from: When.at(9, 30), to: When.at(12, 15)))
        #expect(got.map(\.hour) == [When.at(9), When.at(10), When.at(11)].map { $0 / When.hour })
        #expect(got.map(\.mean) == [0.5, 0.5, 1.0])
        #expect(got.map(\.count) == [1, 2, 1])
        #expect(try store.hourlyMeanScores(model: "shelf", window: TimeWindow(from: When.at(13), to: When.at(14))).isEmpty)
        #expect(throws: (any Error).self) { try store.hourlyMeanScores(model: "ghost", window: TimeWindow(from: 0, to: 1)) }
    }

    @Test(arguments: Backend.all) func embeddingSampleIsTheSmallestContentHashes(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let window = TimeWindow(from: When.at(10), to: When.at(11))
        try c.ingest([cls("plain", "can", at: When.at(10))])
        #expect(try store.embeddingSample(model: "shelf", window: window, limit: 10).isEmpty)
        let lines = (0..<6).map { cls("e\($0)", "can", at: When.at(10, Int64($0 + 1)), embedding: "[\($0),0.5]") }
        try c.ingest(lines)
        let records = predictions(lines, catalog: c.catalog)
        let expected = zip(records, 0..<6).sorted { $0.0.contentHash < $1.0.contentHash }.map { "[\($0.1),0.5]" }
        #expect(try store.embeddingSample(model: "shelf", window: window, limit: 3) == Array(expected.prefix(3)))
        #expect(Set(try store.embeddingSample(model: "shelf", window: window, limit: 10)) == Set(expected))
        #expect(try store.embeddingSample(model: "shelf", window: TimeWindow(from: When.at(11), to: When.at(12)), limit: 3).isEmpty)
        #expect(throws: (any Error).self) { try store.embeddingSample(model: "ghost", window: window, limit: 3) }
    }
    /// JSON text with spaces, as a client may send it: the reads hand back the values ingest
    /// stored (the protocol promises values, not spacing: SQLite's JSON functions re-serialise).
    @Test(arguments: Backend.all) func boxesAndEmbeddingsComeBackAsIngestStoredThem(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let boxes = #"[ {"label": "pallet", "score": 0.5, "bbox": [1, 2, 3, 4]} ]"#
        let embedding = "[1, 2.5]"
        try c.ingest([#"{"id":"w","ts":"\#(When.iso(When.at(10)))","model":"dock","boxes":\#(boxes),"input":{"uri":"w"}}"#,
                      #"{"id":"e","ts":"\#(When.iso(When.at(10)))","model":"shelf","label":"can","input":{"uri":"e","embedding":\#(embedding)}}"#])
        try c.label([#"{"prediction_id":"w","boxes":[ {"label": "pallet", "bbox": [1, 2, 3, 4]} ]}"#])
        var predicted: [String] = []
        try store.forEachPredictedBoxes(model: "dock", window: QueueConformanceTests.hourTen, limit: 10) { predicted.append($0) }
        var reviewed: [(String, String)] = []
        try store.forEachReviewedImage(model: "dock", window: QueueConformanceTests.hourTen) { reviewed.append(($0, $1)) }
        let embeddings = try store.embeddingSample(model: "shelf", window: QueueConformanceTests.hourTen, limit: 10)
        try #require(predicted.count == 1 && reviewed.count == 1 && embeddings.count == 1)
        func json(_ text: String) -> NSObject? { try? JSONSerialization.jsonObject(with: Data(text.utf8), options: [.fragmentsAllowed]) as? NSObject }
        #expect(json(predicted[0]) == json(boxes))
        #expect(json(reviewed[0].0) == json(boxes))
        #expect(reviewed[0].1 == #"[ {"label": "pallet", "bbox": [1, 2, 3, 4]} ]"#, "ground truth as the client sent it")
        #expect(json(embeddings[0]) == json(embedding))
    }
}
