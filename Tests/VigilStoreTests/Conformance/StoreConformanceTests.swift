import Foundation
import Testing
import VigilCore
@testable import VigilStore

/// The requirements `Store` declares itself (models, ingest, evaluation reads, the event log,
/// verification and retention), on every backend, through `any Store`.
@Suite struct StoreConformanceTests {
    @Test(arguments: Backend.all) func modelsAreSyncedAppendOnlyAndLookedUp(backend: Backend) throws {
        let store = try backend.makeStore().store
        #expect(try store.model(named: "shelf") == nil)
        let first = try store.syncModels([classifierSchema, detectorSchema], now: 5)
        #expect(first.models["shelf"]?.classes == ["can", "jar", "box"])
        #expect(try store.model(named: "dock") == detectorSchema)
        // New classes are appended whatever the policy's order; stored ones keep their index.
        let grown = try store.syncModels([ModelSchema(name: "shelf", task: .classification, classes: ["tray", "box", "can", "jar"])], now: 6)
        #expect(grown.models["shelf"]?.classes == ["can", "jar", "box", "tray"])
        #expect(try store.model(named: "shelf")?.classes == ["can", "jar", "box", "tray"])
        // A removed class or a changed task is refused, and nothing changes.
        #expect(throws: StoreError.self) { try store.syncModels([ModelSchema(name: "shelf", task: .classification, classes: ["can"])], now: 7) }
        #expect(throws: StoreError.self) { try store.syncModels([ModelSchema(name: "dock", task: .classification, classes: ["pallet", "person"])], now: 7) }
        #expect(try store.model(named: "shelf")?.classes.count == 4)
        #expect(try store.model(named: "dock")?.task == .detection)
        #expect(try store.model(named: "nope") == nil)
    }

    @Test(arguments: Backend.all) func predictionsAreStoredOnceAndRefusalsSaid(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let rows = predictions([cls("a", "can", at: When.at(10)), cls("b", "jar", at: When.at(10, 30)), cls("c", "box", at: When.at(11))], catalog: c.catalog)
        var progress: [IngestProgress] = []
        let o1 = try store.ingestPredictions(options: .init(now: 1), nextBatch: batches([Array(rows[0..<2]), [rows[2]]]), progress: { progress.append($0) })
        #expect(o1.inserted == 3 && o1.duplicates == 0 && o1.rejectedCount == 0 && o1.committed)
        #expect(progress.map(\.recordsWritten) == [2, 3])
        #expect(progress.last?.outcome.inserted == 3)
        // The same records again are duplicates; one with the same id and other content is refused.
        let again = try store.ingestPredictions(options: .init(now: 2), nextBatch: batches([rows]), progress: { _ in })
        #expect(again.inserted == 0 && again.duplicates == 3)
        var reported: [String] = []
        let box = ReportBox()
        let changed = predictions([cls("b", "can", at: When.at(10, 30))], catalog: c.catalog)
        let o3 = try store.ingestPredictions(options: .init(now: 3, onReject: { box.add($0.id ?? "") }), nextBatch: batches([changed]), progress: { _ in })
        reported = box.all
        #expect(o3.inserted == 0 && o3.rejectedCount == 1 && o3.rejected.first?.id == "b" && o3.rejected.first?.field == "id")
        #expect(reported == ["b"])
        // A record of a model the store does not know is refused (field `model`).
        let stranger = ModelSchema(name: "ghost", task: .classification, classes: ["can"])
        let foreign = predictions([cls("g", "can", at: When.at(10), model: "ghost")], catalog: ModelCatalog([classifierSchema, stranger]))
        let o4 = try store.ingestPredictions(options: .init(now: 4), nextBatch: batches([foreign]), progress: { _ in })
        #expect(o4.inserted == 0 && o4.rejected.first?.field == "model")
        // An atomic ingest that is not committed leaves nothing behind.
        let more = predictions([cls("d", "can", at: When.at(12)), cls("e", "jar", at: When.at(12))], catalog: c.catalog)
        let rolled = try store.ingestPredictions(options: .init(now: 5, atomic: true, shouldCommit: { false }), nextBatch: batches([more]), progress: { _ in })
        #expect(!rolled.committed && rolled.inserted == 0)
        #expect(try store.predictionCount(model: "shelf", window: TimeWindow(from: When.t0, to: When.t0 + When.day)) == 3)
        let v = try store.verify()
        #expect(v.isHealthy && v.predictions == 3 && v.distinctPredictionIDs == 3, "\(v.aggregateMismatches)")
    }

    @Test(arguments: Backend.all) func labelsKeepRevisionsAndRefuseConflicts(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try c.ingest([cls("a", "can", at: When.at(10)), cls("b", "jar", at: When.at(10)), det("img", at: When.at(10), boxes: [("pallet", 0.8)])])
        let first = labels([truthLine("a", "can"), truthLine("b", "can", reviewer: "ana")])
        let o1 = try store.ingestLabels(options: .init(now: When.at(20)), nextBatch: batches([first]), progress: { _ in })
        #expect(o1.inserted == 2 && o1.rejectedCount == 0)
        let o2 = try store.ingestLabels(options: .init(now: When.at(21)), nextBatch: batches([first]), progress: { _ in })
        #expect(o2.inserted == 0 && o2.duplicates == 2)
        // A different label is a conflict unless relabelling is allowed; then a new revision and an event.
        let changed = labels([truthLine("b", "jar", reviewer: "bo")])
        let refused = try store.ingestLabels(options: .init(now: When.at(22)), nextBatch: batches([changed]), progress: { _ in })
        #expect(refused.rejectedCount == 1 && refused.rejected.first?.id == "b")
        #expect(try c.truth()["b"]?.labelIndex == 0)
        let relabeled = try store.ingestLabels(options: .init(now: When.at(23), allowRelabel: true), nextBatch: batches([changed]), progress: { _ in })
        #expect(relabeled.relabeled == 1 && relabeled.inserted == 0)
        #expect(try c.truth()["b"]?.labelIndex == 1)
        let relabel = try #require(try c.events("label.relabel", model: "shelf").first)
        #expect(relabel.subject == "b" && relabel.actor == "bo" && relabel.ts == When.at(23))
        #expect(Conformance.details(relabel)["revision"] == "2")
        // Without a reviewer on the line, the ingest's actor is who relabelled.
        var options = IngestOptions(now: When.at(23, 30), allowRelabel: true, actor: "importer")
        options.bulk = false
        let byImporter = try store.ingestLabels(options: options, nextBatch: batches([labels([truthLine("a", "box")])]), progress: { _ in })
        #expect(byImporter.relabeled == 1)
        let imported = try #require(try c.events("label.relabel", model: "shelf").first)
        #expect(imported.subject == "a" && imported.actor == "importer")
        try c.label([truthLine("a", "can")], now: When.at(23, 40), relabel: true)
        // Unknown predictions, foreign classes and the wrong kind of answer are refused.
        let bad = labels([truthLine("zzz", "can"), truthLine("a", "tray"), boxesLine("a", []), truthLine("img", "pallet"), boxesLine("img", ["cat"])])
        let o3 = try store.ingestLabels(options: .init(now: When.at(24)), nextBatch: batches([bad]), progress: { _ in })
        #expect(o3.inserted == 0 && o3.rejected.map(\.line) == [1, 2, 3, 4, 5])
        #expect(o3.rejected.first?.field == "prediction_id")
        // An atomic label ingest with a refusal is rolled back whole.
        let mixed = labels([boxesLine("img", ["pallet"]), truthLine("nope", "can")])
        let rolled = try store.ingestLabels(options: .init(now: When.at(25), atomic: true), nextBatch: batches([mixed]), progress: { _ in })
        #expect(!rolled.committed && rolled.inserted == 0)
        #expect(try c.truth("dock").isEmpty)
        let window = TimeWindow(from: When.t0, to: When.t0 + When.day)
        let m = try store.confusionMatrix(model: "shelf", window: window)
        #expect(m.total == 2 && m[0, 0] == 1 && m[1, 1] == 1)
        #expect(try store.verify().isHealthy)
    }

    @Test(arguments: Backend.all) func windowsCountWholeHoursAndEdges(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        // 09:50 and 10:10 (edges), 11:00–11:59 (a whole hour), 13:00 (outside).
        try c.ingest([cls("a", "can", at: When.at(9, 50)), cls("b", "jar", at: When.at(10, 10)), cls("c", "box", at: When.at(11)),
                      cls("d", "can", at: When.at(11, 59)), cls("e", "jar", at: When.at(13))])
        try c.label([truthLine("a", "jar"), truthLine("b", "jar"), truthLine("c", "can"), truthLine("d", "can"), truthLine("e", "can")])
        let window = TimeWindow(from: When.at(9, 45), to: When.at(12, 30))
        #expect(try store.predictionCount(model: "shelf", window: window) == 4)
        let m = try store.confusionMatrix(model: "shelf", window: window)
        var expected = ConfusionMatrix(classCount: 3)
        expected.add(trueClass: 1, predicted: 0)  // a: jar, predicted can
        expected.add(trueClass: 1, predicted: 1)  // b
        expected.add(trueClass: 0, predicted: 2)  // c: can, predicted box
        expected.add(trueClass: 0, predicted: 0)  // d
        #expect(m == expected)
        #expect(try store.confusionMatrix(model: "shelf", window: TimeWindow(from: When.at(14), to: When.at(15))).total == 0)
        #expect(try store.predictionCount(model: "shelf", window: TimeWindow(from: When.at(11), to: When.at(12))) == 2)
        #expect(throws: (any Error).self) { try store.predictionCount(model: "ghost", window: window) }
        #expect(throws: (any Error).self) { try store.confusionMatrix(model: "ghost", window: window) }
    }

    @Test(arguments: Backend.all) func reviewedScoresAreTheLabelledPredictionsWithTheirScoresInTimeOrder(backend: Backend) throws {
        let c = try Conformance(backend)
        // b before a in time; c has no score; d is unlabelled; e is outside the window.
        try c.ingest([cls("a", "can", score: 0.75, at: When.at(10, 30)), cls("b", "jar", score: 0.5, at: When.at(10, 10)),
                      cls("c", "box", score: nil, at: When.at(11)), cls("d", "can", at: When.at(11, 5)), cls("e", "jar", at: When.at(13))])
        try c.label([truthLine("a", "jar"), truthLine("b", "jar"), truthLine("c", "box"), truthLine("e", "can")])
        let reviewed = try c.store.reviewedScores(model: "shelf", window: TimeWindow(from: When.at(10), to: When.at(12)))
        // Classes of the shelf model: can 0, jar 1, box 2.
        #expect(reviewed == [ReviewedScore(observed: 1, predicted: 1, score: 0.5), ReviewedScore(observed: 1, predicted: 0, score: 0.75),
                             ReviewedScore(observed: 2, predicted: 2, score: nil)])
        #expect(throws: (any Error).self) { try c.store.reviewedScores(model: "ghost", window: TimeWindow(from: 0, to: 1)) }
    }

    @Test(arguments: Backend.all) func reviewedAttributesComeWithTheLabelledPredictionsInTimeOrder(backend: Backend) throws {
        let c = try Conformance(backend)
        // b before a in time; c has no camera; d is unlabelled.
        try c.ingest([cls("a", "can", at: When.at(10, 30), attributes: ["camera": "dock-2"]), cls("b", "jar", at: When.at(10, 10), attributes: ["camera": "dock-1"]),
                      cls("c", "box", at: When.at(11)), cls("d", "can", at: When.at(11, 5), attributes: ["camera": "dock-1"])])
        try c.label([truthLine("a", "jar"), truthLine("b", "jar"), truthLine("c", "box")])
        let reviewed = try c.store.reviewedAttribute(model: "shelf", window: TimeWindow(from: When.at(10), to: When.at(12)), attribute: "camera")
        // Classes of the shelf model: can 0, jar 1, box 2.
        #expect(reviewed == [ReviewedAttribute(observed: 1, predicted: 1, value: "dock-1"), ReviewedAttribute(observed: 1, predicted: 0, value: "dock-2"),
                             ReviewedAttribute(observed: 2, predicted: 2, value: nil)])
        #expect(try c.store.reviewedAttribute(model: "shelf", window: TimeWindow(from: When.at(10), to: When.at(12)), attribute: "site").allSatisfy { $0.value == nil })
    }

    @Test(arguments: Backend.all) func reviewedImagesComeWithTheirPredictedBoxesInTimeOrder(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try c.ingest([det("i2", at: When.at(10, 30), boxes: [("person", 0.6)]), det("i1", at: When.at(10), boxes: [("pallet", 0.9), ("person", 0.4)]),
                      det("i3", at: When.at(10, 40), boxes: []), det("late", at: When.at(15), boxes: [("pallet", 0.7)])])
        try c.label([boxesLine("i2", ["person"]), boxesLine("i1", ["pallet"]), boxesLine("late", [])])
        var seen: [(String, String)] = []
        try store.forEachReviewedImage(model: "dock", window: TimeWindow(from: When.at(10), to: When.at(11))) { seen.append(($0, $1)) }
        #expect(seen.count == 2)
        #expect(seen.first?.0 == #"[{"label":"pallet","score":0.9,"bbox":[0,0,5,5]},{"label":"person","score":0.4,"bbox":[10,0,5,5]}]"#)
        #expect(seen.first?.1 == #"[{"label":"pallet","bbox":[0,0,5,5]}]"#)
        #expect(seen.last?.0 == #"[{"label":"person","score":0.6,"bbox":[0,0,5,5]}]"#)
        #expect(throws: (any Error).self) { try store.forEachReviewedImage(model: "ghost", window: TimeWindow(from: 0, to: 1)) { _, _ in } }
    }

    @Test(arguments: Backend.all) func evaluationRunsAndEventsAreLogged(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let window = TimeWindow(from: When.at(0), to: When.at(24))
        let id = try store.recordEvaluation(run(at: When.at(25), window: window, findings: [("accuracy", .critical), ("recall[can]", .warning)]))
        let logged = try #require(try store.events(model: "shelf", kind: "evaluation.run", limit: 10).first)
        #expect(logged.subject == "run/\(id)" && logged.actor == "tester" && logged.ts == When.at(25))
        let details = Conformance.details(logged)
        #expect(details["critical"] == "1" && details["warning"] == "1" && details["labeled"] == "3")
        #expect(try store.evaluationRuns(model: "shelf", window: window).map(\.id) == [id])
        #expect(throws: (any Error).self) { try store.recordEvaluation(run("ghost", at: 1, window: window)) }
        // The log: newest first, by model and kind, at most `limit`.
        try store.append(Event(ts: 1, actor: "a", kind: "note", model: "shelf", subject: "x", details: #"{"k":"v"}"#))
        try store.append(Event(ts: 2, actor: "b", kind: "note", model: nil, subject: nil, details: "{}"))
        try store.append(Event(ts: 3, actor: "c", kind: "other", model: "dock", subject: "y", details: "{}"))
        let all = try store.events(model: nil, kind: nil, limit: 10)
        #expect(all.map(\.kind) == ["other", "note", "note", "evaluation.run"])
        #expect(all.compactMap(\.id) == all.compactMap(\.id).sorted(by: >) && all.allSatisfy { $0.id != nil })
        #expect(try store.events(model: nil, kind: "note", limit: 10).map(\.actor) == ["b", "a"])
        #expect(try store.events(model: "shelf", kind: nil, limit: 10).map(\.kind) == ["note", "evaluation.run"])
        let one = try store.events(model: nil, kind: nil, limit: 1)
        try #require(one.count > 0, "one has too few elements")
        #expect(one.count == 1 && one[0].kind == "other" && one[0].model == "dock" && one[0].subject == "y")
        let first = try #require(try store.events(model: "shelf", kind: "note", limit: 1).first)
        #expect(first.details == #"{"k":"v"}"# && first.ts == 1 && first.subject == "x")
    }

    @Test(arguments: Backend.all) func firstPredictionTimeIsTheFirstHour(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        #expect(try store.firstPredictionTime(model: "shelf") == nil)
        #expect(try store.firstPredictionTime(model: "ghost") == nil)
        try c.ingest([cls("b", "can", at: When.at(30, 5)), cls("a", "jar", at: When.at(10, 59))])
        #expect(try store.firstPredictionTime(model: "shelf") == When.at(10))
        #expect(try store.firstPredictionTime(model: "dock") == nil)
    }

    @Test(arguments: Backend.all) func verificationNoticesATamperedAggregate(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try c.ingest([cls("a", "can", at: When.at(10)), cls("b", "jar", at: When.at(11)), det("i", at: When.at(10), boxes: [("pallet", 0.5)])])
        try c.label([truthLine("a", "jar")])
        let healthy = try store.verify()
        #expect(healthy.isHealthy && healthy.integrity == ["ok"] && healthy.predictions == 3 && healthy.distinctPredictionIDs == 3)
        try c.t.execute("UPDATE hourly_confusion SET n = n + 1")
        let broken = try store.verify()
        #expect(!broken.isHealthy && broken.aggregateMismatches.count == 1)
    }

    @Test(arguments: Backend.all) func theSchemaVersionIsTheOneThisBuildWritesUntilANewerVigilMigrates(backend: Backend) throws {
        let c = try Conformance(backend)
        let fresh = try c.store.storedSchema()
        #expect(fresh.stored == fresh.known && fresh.known >= 7 && !fresh.isNewer && fresh.unknownMigrations.isEmpty, "\(fresh)")
        switch backend {
        case .sqlite: try c.t.execute("INSERT INTO grdb_migrations(identifier) VALUES ('v99-from-a-newer-vigil')")
        case .postgres: try c.t.execute("INSERT INTO vigil_migrations(name, version) VALUES ('pg-v99-from-a-newer-vigil', 99)")
        }
        let newer = try c.store.storedSchema()
        #expect(newer.isNewer && newer.unknownMigrations.contains { $0.hasSuffix("v99-from-a-newer-vigil") }, "\(newer)")
        #expect(throws: StoreError.self) { try newer.admit(.readWrite) }
    }

    @Test(arguments: Backend.all) func retentionRemovesOldRawRowsAndRaisesTheMark(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        #expect(try store.retentionMark() == nil)
        // Day 1 (2026-10-01) and day 2; the cut is day 2's midnight.
        try c.ingest([cls("old1", "can", score: 0.1, at: When.at(10)), cls("old2", "jar", score: 0.2, at: When.at(11)),
                      cls("new1", "box", score: 0.3, at: When.at(34))])
        let cut = When.t0 + When.day
        let outcome = try store.applyRetention(before: cut)
        #expect(outcome.mark == cut)
        #expect(try store.retentionMark() == cut)
        switch backend {
        case .sqlite: #expect(outcome.deletedPredictions == 2 && outcome.droppedPartitions == 0)
        case .postgres: #expect(outcome.droppedPartitions == 1 && outcome.deletedPredictions == 0)
        }
        // The raw rows before the mark are gone, the aggregates that summarise them stay.
        let day1 = TimeWindow(from: When.t0, to: cut)
        let scores = try store.scores(model: "shelf", window: day1, limit: 100)
        #expect(scores.predictions == 2 && scores.values.isEmpty)
        #expect(try store.predictedClassCounts(model: "shelf", window: day1) == [1, 1, 0])
        #expect(try store.scores(model: "shelf", window: TimeWindow(from: cut, to: cut + When.day), limit: 100).values == [0.3])
        #expect(try store.firstPredictionTime(model: "shelf") == When.at(10))
        #expect(try store.verify().isHealthy)
        // Predictions before the mark are refused from now on; the mark never moves back.
        let late = try c.ingest([cls("older", "can", at: When.at(12))])
        #expect(late.inserted == 0 && late.rejected.first?.field == "ts")
        let lower = try store.applyRetention(before: When.t0)
        #expect(lower.mark == cut)
        #expect(try store.retentionMark() == cut)
    }

    /// What each backend removes is documented apart: SQLite deletes the unlabelled, unqueued rows
    /// of whole hours before the cut; PostgreSQL drops the day partitions that end before it.
    @Test(arguments: Backend.all) func retentionCutsWholeHoursOnSQLiteAndWholeDaysOnPostgreSQL(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        try c.ingest([cls("old", "can", at: When.at(30)), cls("labelled", "jar", at: When.at(31)), cls("queued", "box", at: When.at(32)),
                      cls("kept", "can", at: When.at(40))])
        try c.queue(["queued"])
        try c.label([truthLine("labelled", "can")])
        // The cut falls at 2026-10-02T11:30 (hour 35.5).
        let outcome = try store.applyRetention(before: When.at(35, 30))
        let day2 = TimeWindow(from: When.at(24), to: When.at(48))
        var reviewed: [String] = []
        try store.forEachReviewedPrediction(model: "shelf") { reviewed.append($0.id) }
        switch backend {
        case .sqlite:
            #expect(outcome.mark == When.at(35) && outcome.deletedPredictions == 1 && outcome.keptPredictions == 2)
            #expect(reviewed == ["labelled"], "labelled rows stay")
            #expect(try store.reviewItems(model: "shelf", state: nil, limit: 10).map(\.predictionID) == ["queued"], "queued rows stay")
            #expect(try store.scores(model: "shelf", window: day2, limit: 100).values.count == 3)
        case .postgres:
            #expect(outcome.mark == When.at(24) && outcome.droppedPartitions == 0, "day 2 does not end before the cut")
            #expect(reviewed == ["labelled"])
            #expect(try store.scores(model: "shelf", window: day2, limit: 100).values.count == 4)
        }
        #expect(try store.retentionMark() == outcome.mark)
        // Either way the aggregates and the ground truth stay.
        #expect(try store.predictionCount(model: "shelf", window: day2) == 4)
        #expect(try store.confusionMatrix(model: "shelf", window: day2)[0, 1] == 1)
        #expect(try store.verify().isHealthy)
    }
}

/// Collects reported values from a `@Sendable` callback.
final class ReportBox: @unchecked Sendable {
    private let lock = NSLock()
    private var values: [String] = []
    func add(_ v: String) { lock.withLock { values.append(v) } }
    var all: [String] { lock.withLock { values } }
}
