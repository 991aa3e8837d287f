import Foundation
import Testing
@testable import VigilCore

@Suite struct TimestampTests {
    @Test(arguments: [
        ("2026-10-01T00:00:00Z", Int64(1_790_812_800_000)),
        ("2026-10-01T00:00:01.23Z", 1_790_812_801_230),
        ("2026-10-01T00:00:01.2345678Z", 1_790_812_801_234),
        ("2026-10-01 02:00:00+02:00", 1_790_812_800_000),
        ("2026-09-30T19:30:00-04:30", 1_790_812_800_000),
        ("1970-01-01T00:00:00Z", 0),
        ("2024-02-29T12:00:00z", 1_709_208_000_000),
    ])
    func parses(_ text: String, _ millis: Int64) {
        #expect(Timestamp.parseMillis(text) == millis)
    }

    @Test(arguments: ["2026-13-01T00:00:00Z", "2026-02-30T00:00:00Z", "2026-10-01T00:00:00", "2026-10-01", "2026-10-01T24:00:00Z",
                      "2026-10-01T00:00:00.Z", "2026-10-01T00:00:00+2:00", "yesterday", "2025-02-29T00:00:00Z"])
    func refuses(_ text: String) {
        #expect(Timestamp.parseMillis(text) == nil)
    }

    @Test func formatsRoundTrip() {
        for ms: Int64 in [0, 1_790_812_801_230, 951_782_400_000, 4_102_444_799_999] {
            #expect(Timestamp.parseMillis(Timestamp.format(millis: ms)) == ms)
        }
        #expect(Timestamp.format(millis: 1_790_812_801_230) == "2026-10-01T00:00:01.230Z")
    }

    @Test func windowLengths() {
        #expect(WindowLength.seconds("7d") == 604_800)
        #expect(WindowLength.seconds("36h") == 129_600)
        #expect(WindowLength.seconds("2w") == 1_209_600)
        #expect(WindowLength.seconds("7") == nil)
        #expect(WindowLength.seconds("-1d") == nil)
    }
}

@Suite struct JSONScannerTests {
    func number(_ text: String) throws -> Double {
        var t = text
        return try t.withUTF8 { buf in
            var s = JSONScanner(buf)
            return try s.scanNumber()
        }
    }

    @Test func numbersAreExactlyWhatSwiftParses() throws {
        var rng = SplitMix64(seed: 5)
        for _ in 0..<20_000 {
            let v = rng.unit() * pow(10, Double(Int(rng.next() % 40)) - 20)
            for text in [String(v), String(format: "%.6f", v), String(format: "%.17g", v), String(format: "%e", v)] {
                #expect(try number(text) == Double(text)!, "\(text)")
            }
        }
        for text in ["0", "-0", "1", "-12.5e3", "1E-7", "123456789012345678901234567890", "0.1", "2.2250738585072014e-308"] {
            #expect(try number(text) == Double(text)!, "\(text)")
        }
    }

    @Test(arguments: ["01", "1.", ".5", "-", "1e", "+1"])
    func invalidNumbers(_ text: String) {
        #expect(throws: JSONSyntaxError.self) { try number(text) }
    }

    @Test func stringsAreUnescapedAndValidated() throws {
        func string(_ text: String) throws -> String {
            var t = text
            return try t.withUTF8 { buf in
                var s = JSONScanner(buf)
                return try s.readString(field: "x")
            }
        }
        #expect(try string(#""a\"b\\c\/d\n\t\u00e9\ud83d\ude00""#) == "a\"b\\c/d\n\té😀")
        #expect(try string(#""plain""#) == "plain")
        #expect(throws: JSONSyntaxError.self) { try string(#""\ud83d""#) }
        #expect(throws: JSONSyntaxError.self) { try string(#""\x""#) }
        #expect(throws: JSONSyntaxError.self) { try string("\"tab\there\"") }
    }

    @Test func skipValueValidatesNestedJSON() throws {
        func skip(_ text: String) throws -> Range<Int> {
            var t = text
            return try t.withUTF8 { buf in
                var s = JSONScanner(buf)
                return try s.skipValue()
            }
        }
        #expect(try skip(#"{"a":[1,2,{"b":null,"c":true}],"d":"x"} "#) == 0..<39)
        #expect(throws: JSONSyntaxError.self) { try skip(#"{"a":[1,2,}"#) }
        #expect(throws: JSONSyntaxError.self) { try skip(#"{"a":tru}"#) }
        #expect(throws: JSONSyntaxError.self) { try skip(String(repeating: "[", count: 100) + String(repeating: "]", count: 100)) }
    }
}

@Suite struct PredictionLineParserTests {
    let catalog = ModelCatalog([
        ModelSchema(name: "shelf", task: .classification, classes: ["can", "jar"]),
        ModelSchema(name: "dock", task: .detection, classes: ["pallet"]),
    ])

    func parse(_ line: String) -> Result<PredictionRecord, RecordError> {
        var l = line
        return l.withUTF8 { PredictionLineParser(catalog: catalog).parse($0, line: 7) }
    }

    @Test func readsEveryField() throws {
        let r = try parse(#"{"id":"p1","ts":"2026-10-01T00:00:00Z","model":"shelf","model_version":"3","task":"classification","label":"jar","score":0.75,"scores":{"can":0.25,"jar":0.75},"input":{"uri":"s3://b/k.jpg","attributes":{"camera":"c2"}}}"#).get()
        #expect(r.id == "p1" && r.line == 7 && r.model == "shelf" && r.modelVersion == "3" && r.labelIndex == 1 && r.score == 0.75)
        #expect(r.timestampMillis == 1_790_812_800_000)
        #expect(r.payload == #"{"input":{"uri":"s3://b/k.jpg","attributes":{"camera":"c2"}},"scores":{"can":0.25,"jar":0.75}}"#)
    }

    @Test func scoresAreCheckedWhereverTheModelIs() throws {
        // The model before `scores` lets the parser check them in one pass; after, they are
        // checked once the model is known: the same record or the same error either way.
        let before = try parse(#"{"id":"p1","ts":"2026-10-01T00:00:00Z","model":"shelf","label":"jar","scores":{"can":0.25, "jar" : 0.75 }}"#).get()
        let after = try parse(#"{"id":"p1","ts":"2026-10-01T00:00:00Z","label":"jar","scores":{"can":0.25, "jar" : 0.75 },"model":"shelf"}"#).get()
        #expect(before.contentHash == after.contentHash && before.payload == after.payload)
        #expect(before.payload == #"{"scores":{"can":0.25, "jar" : 0.75 }}"#)
        let reordered = try parse(#"{"id":"p1","ts":"2026-10-01T00:00:00Z","model":"shelf","label":"jar","scores":{"jar":0.75,"can":0.25}}"#).get()
        #expect(reordered.payload == #"{"scores":{"jar":0.75,"can":0.25}}"#)
        let escaped = try parse(#"{"id":"p1","ts":"2026-10-01T00:00:00Z","model":"shelf","label":"jar","scores":{"j\u0061r":0.75}}"#).get()
        #expect(escaped.payload == #"{"scores":{"j\u0061r":0.75}}"#)
        #expect(try parse(#"{"id":"p1","ts":"2026-10-01T00:00:00Z","model":"shelf","label":"jar","scores":{}}"#).get().payload == #"{"scores":{}}"#)
        for modelFirst in [true, false] {
            func record(_ scores: String) -> String {
                modelFirst ? #"{"id":"p1","ts":"2026-10-01T00:00:00Z","model":"shelf","label":"jar","scores":"# + scores + "}"
                    : #"{"id":"p1","ts":"2026-10-01T00:00:00Z","label":"jar","scores":"# + scores + #","model":"shelf"}"#
            }
            func error(_ scores: String) -> RecordError? {
                if case .failure(let e) = parse(record(scores)) { return e } else { return nil }
            }
            #expect(error(#"{"can":0.25,"tray":0.75}"#)?.field == "scores.tray")
            #expect(error(#"{"can":1.5}"#)?.field == "scores.can")
            #expect(error(#"{"can":-0.1}"#)?.field == "scores.can")
            #expect(error(#"{"can":"0.5"}"#)?.field == "scores")
            #expect(error(#"{"can":0.5,}"#)?.field == "scores")
            #expect(error(#"{"can":0.5 "jar":0.5}"#)?.field == "scores")
            #expect(error(#"{"can":0.5x}"#)?.field == "scores")
            #expect(error(#"[0.5]"#)?.field == "scores")
            #expect(error(#"{"can":01}"#)?.field == "scores")
        }
        // Another model named later decides which classes the scores must be.
        let other = parse(#"{"id":"p1","ts":"2026-10-01T00:00:00Z","model":"shelf","label":"pallet","scores":{"can":0.5},"model":"dock","boxes":[]}"#)
        if case .failure(let e) = other { #expect(e.field == "scores.can") } else { Issue.record("accepted \(other)") }
    }

    @Test func contentHashIsStable() throws {
        // Stored hashes tell a re-sent record from a changed one, so the digest never changes.
        let r = try parse(#"{"id":"ex-0000000","ts":"2026-10-01T00:00:00.184Z","model":"shelf","model_version":"1","label":"can","score":0.680894,"scores":{"can":0.680894,"jar":0.319106}}"#).get()
        #expect(r.contentHash == -9_051_285_296_568_392_067)
    }

    @Test func numericTimestampsAreUnixSeconds() throws {
        let r = try parse(#"{"id":"p1","ts":1790812800.5,"model":"shelf","label":"can"}"#).get()
        #expect(r.timestampMillis == 1_790_812_800_500)
    }

    @Test func contentHashIgnoresNothingThatMatters() throws {
        let a = try parse(#"{"id":"p1","ts":"2026-10-01T00:00:00Z","model":"shelf","label":"can","score":0.5}"#).get()
        let spaced = try parse(#"{ "score": 0.5, "label": "can", "model": "shelf", "ts": "2026-10-01T00:00:00Z", "id": "p1" }"#).get()
        let changed = try parse(#"{"id":"p1","ts":"2026-10-01T00:00:00Z","model":"shelf","label":"can","score":0.51}"#).get()
        #expect(a.contentHash == spaced.contentHash)
        #expect(a.contentHash != changed.contentHash)
    }

    @Test func detectionBoxesAreChecked() throws {
        let ok = try parse(#"{"id":"i1","ts":"2026-10-01T00:00:00Z","model":"dock","boxes":[{"label":"pallet","score":0.9,"bbox":[1,2,3,4]}]}"#).get()
        #expect(ok.boxes.count == 1 && ok.boxes[0].bbox == (1, 2, 3, 4))
        let cases: [(String, String)] = [
            (#"{"id":"i1","ts":"2026-10-01T00:00:00Z","model":"dock","boxes":[{"label":"crate","score":0.9,"bbox":[1,2,3,4]}]}"#, "boxes[0].label"),
            (#"{"id":"i1","ts":"2026-10-01T00:00:00Z","model":"dock","boxes":[{"label":"pallet","score":0.9,"bbox":[1,2,3]}]}"#, "boxes[0].bbox"),
            (#"{"id":"i1","ts":"2026-10-01T00:00:00Z","model":"dock","boxes":[{"label":"pallet","bbox":[1,2,3,4]}]}"#, "boxes[0].score"),
            (#"{"id":"i1","ts":"2026-10-01T00:00:00Z","model":"dock"}"#, "boxes"),
            (#"{"id":"i1","ts":"2026-10-01T00:00:00Z","model":"dock","task":"classification","boxes":[]}"#, "task"),
        ]
        for (line, field) in cases {
            guard case .failure(let e) = parse(line) else { Issue.record("accepted \(line)"); continue }
            #expect(e.field == field, "\(e)")
        }
    }
}

@Suite struct CSVTests {
    @Test func splitsQuotedCells() {
        #expect(CSVRecordTranslator.split(#"a,"b,c","d""e",,f"#) == ["a", "b,c", "d\"e", "", "f"])
        #expect(CSVRecordTranslator.split(#"a,"open"#) == nil)
        #expect(CSVRecordTranslator.split("a,b\r") == ["a", "b"])
    }
}

@Suite struct PolicyTests {
    @Test func metricsMustSuitTheTask() {
        let classifier = Policy(model: "m", task: .classification, classes: ["a"], thresholds: [Threshold(metric: "map", warning: 0.5)])
        #expect(classifier.problems().contains { $0.contains("'map' is a detection metric") })
        let detector = Policy(model: "d", task: .detection, classes: ["a"], thresholds: [Threshold(metric: "ap", classSelector: "a", warning: 0.5)])
        #expect(detector.problems().isEmpty)
        let wrong = Policy(model: "d", task: .detection, classes: ["a"], thresholds: [Threshold(metric: "accuracy", warning: 0.5)])
        #expect(wrong.problems().contains { $0.contains("'accuracy' is a classification metric") })
    }
}
