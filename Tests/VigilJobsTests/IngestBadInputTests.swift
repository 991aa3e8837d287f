import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore

/// Every kind of bad input gives a clear message naming the line and field, lands in the
/// rejects file, and leaves nothing partial: valid lines are stored exactly once.
@Suite struct IngestBadInputTests {
    struct Case: CustomStringConvertible, Sendable {
        var name: String
        var badLine: String
        var field: String?
        var reasonContains: String
        var description: String { name }
    }

    static let cases: [Case] = [
        Case(name: "truncated JSON", badLine: #"{"id":"bad","ts":"2026-10-30T10:00:00Z","model":"shelf-cl"#, field: "model",
             reasonContains: "unexpected end of input inside a string"),
        Case(name: "truncated object", badLine: #"{"id":"bad","ts":"2026-10-30T10:00:00Z""#, field: nil,
             reasonContains: "the object is not closed"),
        Case(name: "score is a string", badLine: #"{"id":"bad","ts":"2026-10-30T10:00:00Z","model":"shelf-classifier","label":"can","score":"high"}"#,
             field: "score", reasonContains: "'score' must be a number, found a string"),
        Case(name: "id is a number", badLine: #"{"id":17,"ts":"2026-10-30T10:00:00Z","model":"shelf-classifier","label":"can"}"#,
             field: "id", reasonContains: "'id' must be a string, found a number"),
        Case(name: "bad timestamp", badLine: #"{"id":"bad","ts":"yesterday","model":"shelf-classifier","label":"can"}"#,
             field: "ts", reasonContains: "RFC 3339"),
        Case(name: "missing id", badLine: #"{"ts":"2026-10-30T10:00:00Z","model":"shelf-classifier","label":"can"}"#,
             field: "id", reasonContains: "missing required field 'id'"),
        Case(name: "missing label", badLine: #"{"id":"bad","ts":"2026-10-30T10:00:00Z","model":"shelf-classifier","score":0.5}"#,
             field: "label", reasonContains: "missing required field 'label'"),
        Case(name: "unknown model", badLine: #"{"id":"bad","ts":"2026-10-30T10:00:00Z","model":"nope","label":"can"}"#,
             field: "model", reasonContains: "unknown model 'nope'"),
        Case(name: "unknown class", badLine: #"{"id":"bad","ts":"2026-10-30T10:00:00Z","model":"shelf-classifier","label":"banana"}"#,
             field: "label", reasonContains: "'banana' is not a class"),
        Case(name: "misspelt field", badLine: #"{"id":"bad","ts":"2026-10-30T10:00:00Z","model":"shelf-classifier","lable":"can"}"#,
             field: nil, reasonContains: "unknown field 'lable'"),
        Case(name: "score out of range", badLine: #"{"id":"bad","ts":"2026-10-30T10:00:00Z","model":"shelf-classifier","label":"can","score":1.5}"#,
             field: "score", reasonContains: "between 0 and 1"),
        Case(name: "not an object", badLine: #"["id","bad"]"#, field: nil, reasonContains: "expected a JSON object, found an array"),
        Case(name: "trailing garbage", badLine: #"{"id":"bad","ts":"2026-10-30T10:00:00Z","model":"shelf-classifier","label":"can"} x"#,
             field: nil, reasonContains: "unexpected content after the JSON object"),
    ]

    @Test(arguments: cases)
    func badLineIsRejectedAndTheRestStored(_ c: Case) throws {
        let ws = try TestWorkspace()
        let path = try ws.file("in.ndjson", [predictionLine("good-1"), c.badLine, predictionLine("good-2")].joined(separator: "\n") + "\n")
        let summary = try ws.ingest(.predictions, path)
        #expect(summary.inserted == 2)
        #expect(summary.rejected == 1)
        #expect(summary.exitCode == 1)
        let reject = try #require(summary.firstRejects.first)
        #expect(reject.line == 2)
        #expect(reject.field == c.field, "\(reject)")
        #expect(reject.reason.contains(c.reasonContains), "\(reject.reason)")
        let file = try ws.rejects(summary)
        #expect(file.count == 1)
        #expect(file.first?["line"] as? Int == 2)
        #expect((file.first?["text"] as? String)?.hasPrefix(String(c.badLine.prefix(20))) == true)
        #expect(try ws.storedPredictions() == 2)
        // Fixing nothing and running again stores nothing twice.
        let again = try ws.ingest(.predictions, path)
        #expect(again.inserted == 0 && again.duplicates == 2 && again.rejected == 1)
        #expect(try ws.store.verify().isHealthy)
    }

    @Test func allOrNothingStoresNothingWhenALineIsBad() throws {
        let ws = try TestWorkspace()
        let good = (0..<20_000).map { predictionLine("g\($0)") }
        let path = try ws.file("in.ndjson", (good + [#"{"id":"x""#]).joined(separator: "\n"))
        let summary = try ws.ingest(.predictions, path) { $0.atomic = true }
        #expect(!summary.committed)
        #expect(summary.exitCode == 2)
        #expect(summary.rejected == 1 && summary.firstRejects.first?.line == 20_001)
        #expect(try ws.storedPredictions() == 0)
        let ok = try ws.ingest(.predictions, try ws.file("ok.ndjson", good.joined(separator: "\n"))) { $0.atomic = true }
        #expect(ok.committed && ok.inserted == 20_000)
    }

    @Test func duplicateIdsInOneFileAreStoredOnce() throws {
        let ws = try TestWorkspace()
        let path = try ws.file("in.ndjson", [predictionLine("a"), predictionLine("b"), predictionLine("a")].joined(separator: "\n"))
        let s = try ws.ingest(.predictions, path)
        #expect(s.inserted == 2 && s.duplicates == 1 && s.rejected == 0 && s.exitCode == 0)
    }

    @Test func conflictingIdsAreReportedNotOverwritten() throws {
        let ws = try TestWorkspace()
        let path = try ws.file("in.ndjson", [predictionLine("a", label: "can"), predictionLine("a", label: "jar")].joined(separator: "\n"))
        let s = try ws.ingest(.predictions, path)
        #expect(s.inserted == 1 && s.rejected == 1)
        let r = try #require(s.firstRejects.first)
        #expect(r.line == 2 && r.field == "id" && r.id == "a" && r.reason.contains("conflict"))
        let m = try ws.store.confusionMatrix(model: "shelf-classifier", window: TimeWindow(from: 0, to: .max))
        #expect(m.total == 0)
        #expect(try ws.store.verify().predictions == 1)
    }

    @Test func emptyFileSaysSoAndExitsNonZero() throws {
        let ws = try TestWorkspace()
        for text in ["", "\n\n  \n"] {
            let s = try ws.ingest(.predictions, try ws.file("empty.ndjson", text))
            #expect(s.inserted == 0 && s.rejected == 0)
            #expect(s.exitCode == 1)
        }
    }

    @Test func tenMegabyteLineIsSkippedWithoutReadingItWhole() throws {
        let ws = try TestWorkspace()
        let huge = "{\"id\":\"huge\",\"ts\":\"2026-10-30T10:00:00Z\",\"model\":\"shelf-classifier\",\"label\":\"can\",\"input\":{\"data\":\""
            + String(repeating: "A", count: 10 << 20) + "\"}}"
        let path = try ws.file("big.ndjson", [predictionLine("a"), huge, predictionLine("b")].joined(separator: "\n") + "\n")
        let s = try ws.ingest(.predictions, path)
        #expect(s.inserted == 2 && s.rejected == 1)
        let r = try #require(s.firstRejects.first)
        #expect(r.line == 2)
        #expect(r.reason.contains("over the limit of 1048576 bytes") && r.reason.contains("--max-line-bytes"))
        // With a higher limit the same line is accepted.
        let raised = try ws.ingest(.predictions, path) { $0.maxLineBytes = 16 << 20; $0.rejectsPath = ws.root + "/r2.ndjson" }
        #expect(raised.inserted == 1 && raised.duplicates == 2 && raised.rejected == 0)
    }

    @Test func invalidUTF8IsRejectedWithItsPosition() throws {
        let ws = try TestWorkspace()
        var bytes = Array((predictionLine("a") + "\n").utf8)
        bytes += Array(#"{"id":"b"#.utf8) + [0xC3, 0x28] + Array(#"","ts":"2026-10-30T10:00:00Z","model":"shelf-classifier","label":"can"}"#.utf8) + [0x0A]
        bytes += Array((predictionLine("c") + "\n").utf8)
        let s = try ws.ingest(.predictions, try ws.file("utf8.ndjson", bytes: bytes))
        #expect(s.inserted == 2 && s.rejected == 1)
        let r = try #require(s.firstRejects.first)
        #expect(r.line == 2 && r.reason.contains("invalid UTF-8") && r.reason.contains("byte 9"), "\(r)")
    }

    @Test func missingFileIsAClearError() throws {
        let ws = try TestWorkspace()
        #expect(throws: JobError.self) { try ws.ingest(.predictions, ws.root + "/nope.ndjson") }
    }

    @Test func csvWithHeaderIsReadLikeNDJSON() throws {
        let ws = try TestWorkspace()
        let csv = """
            id,ts,model,model_version,label,score,input_uri,attr_camera,score_can,score_jar
            c1,2026-10-30T10:00:00Z,shelf-classifier,1,can,0.9,s3://b/1.jpg,cam-2,0.9,0.1
            c2,2026-10-30T10:00:01Z,shelf-classifier,1,jar,0.8,"s3://b/with,comma.jpg",cam-2,0.2,0.8
            c3,2026-10-30T10:00:02Z,shelf-classifier,1,jar,high,,,,
            c4,2026-10-30T10:00:03Z,shelf-classifier,1,can,0.7

            """
        let s = try ws.ingest(.predictions, try ws.file("in.csv", csv))
        #expect(s.format == .csv)
        #expect(s.inserted == 2 && s.rejected == 2)
        #expect(s.firstRejects.map(\.line) == [4, 5])
        #expect(s.firstRejects[0].field == "score")
        #expect(s.firstRejects[1].reason.contains("row has 6 cells, the header has 10"))
    }

    @Test func csvHeaderWithUnknownColumnIsRefused() throws {
        let ws = try TestWorkspace()
        #expect(throws: JobError.self) { try ws.ingest(.predictions, try ws.file("bad.csv", "id,ts,colour\nx,y,z\n")) }
    }
}
