import Foundation
import Testing
@testable import VigilCore

/// Streams and river's detections from `scripts/make_sequential_fixture.py`.
struct SequentialFixture: Decodable {
    /// One detector setting run over a case's stream, with river's answers.
    struct Run: Decodable {
        var detector: String
        var settings: Settings
        var detections: [Int]
        var width: Double?
        var total: Double?
        var variance: Double?
        var n_detections: Int?

        enum Settings {
            case adwin(ADWIN.Settings)
            case pageHinkley(PageHinkley.Settings)
        }

        enum CodingKeys: String, CodingKey { case detector, settings, detections, width, total, variance, n_detections }

        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            detector = try c.decode(String.self, forKey: .detector)
            settings = detector == "adwin"
                ? .adwin(try c.decode(ADWIN.Settings.self, forKey: .settings))
                : .pageHinkley(try c.decode(PageHinkley.Settings.self, forKey: .settings))
            detections = try c.decode([Int].self, forKey: .detections)
            width = try c.decodeIfPresent(Double.self, forKey: .width)
            total = try c.decodeIfPresent(Double.self, forKey: .total)
            variance = try c.decodeIfPresent(Double.self, forKey: .variance)
            n_detections = try c.decodeIfPresent(Int.self, forKey: .n_detections)
        }
    }

    struct Case: Decodable, CustomStringConvertible {
        var name: String
        var stream: [Double]
        var runs: [Run]
        var description: String { name }
    }

    var river: String
    var cases: [Case]

    static let loaded: SequentialFixture? = {
        guard let url = Bundle.module.url(forResource: "sequential_cases", withExtension: "json", subdirectory: "Fixtures"),
              let data = try? Data(contentsOf: url) else { return nil }
        return try? JSONDecoder().decode(SequentialFixture.self, from: data)
    }()
}

private func relativeDifference(_ a: Double, _ b: Double) -> Double {
    a == b ? 0 : abs(a - b) / max(abs(a), abs(b))
}

@Suite("Sequential detectors match river")
struct SequentialDetectorTests {
    @Test func fixtureIsThere() throws {
        let fixture = try #require(SequentialFixture.loaded)
        #expect(fixture.cases.count >= 30)
        let runs = fixture.cases.flatMap(\.runs)
        #expect(runs.filter { $0.detector == "adwin" }.contains { !$0.detections.isEmpty })
        #expect(runs.filter { $0.detector == "page-hinkley" }.contains { !$0.detections.isEmpty })
    }

    @Test(arguments: SequentialFixture.loaded?.cases ?? [])
    func sameDetectionsAsRiver(_ c: SequentialFixture.Case) {
        for run in c.runs {
            switch run.settings {
            case .adwin(let settings):
                var adwin = ADWIN(settings)
                var hits: [Int] = []
                for (i, x) in c.stream.enumerated() where adwin.update(x) { hits.append(i) }
                #expect(hits == run.detections, "ADWIN \(settings)")
                #expect(changePoints(ADWIN(settings), on: c.stream) == run.detections, "ADWIN read in one run, \(settings)")
                #expect(Double(adwin.width) == run.width, "ADWIN width \(settings)")
                #expect(relativeDifference(adwin.sum, run.total ?? .nan) <= 1e-9, "ADWIN total \(settings)")
                #expect(relativeDifference(adwin.variance, run.variance ?? .nan) <= 1e-9, "ADWIN variance \(settings)")
                let riverEstimation = (run.width ?? 0) == 0 ? 0 : (run.total ?? .nan) / (run.width ?? .nan)
                #expect(relativeDifference(adwin.estimation, riverEstimation) <= 1e-9, "ADWIN estimation \(settings)")
                #expect(adwin.totalDetections == run.detections.count)
            case .pageHinkley(let settings):
                #expect(changePoints(PageHinkley(settings), on: c.stream) == run.detections, "Page-Hinkley \(settings)")
            }
        }
    }

    @Test func settingsUseSnakeCaseKeysAndDefaults() throws {
        let adwin = try JSONDecoder().decode(ADWIN.Settings.self, from: Data(#"{"delta": 0.01, "min_window_length": 7}"#.utf8))
        #expect(adwin == ADWIN.Settings(delta: 0.01, minWindowLength: 7))
        let encoded = String(decoding: try JSONEncoder().encode(ADWIN.Settings()), as: UTF8.self)
        for key in ["delta", "clock", "max_buckets", "min_window_length", "grace_period"] {
            #expect(encoded.contains("\"\(key)\""), "\(key) in \(encoded)")
        }
        let ph = try JSONDecoder().decode(PageHinkley.Settings.self, from: Data(#"{"mode": "down", "min_instances": 50}"#.utf8))
        #expect(ph == PageHinkley.Settings(minInstances: 50, mode: .down))
        #expect(PageHinkley.Settings().alpha == 0.9999)
        #expect(ADWIN.Settings(clock: 0).problems() == ["clock: must be at least 1"])
    }

    /// Reading a stream in runs of any length gives what reading it one value at a time gives.
    @Test func adwinReadsRunsAsSingleValues() {
        var rng = SplitMix64(seed: 3)
        let stream = (0..<6000).map { i in rng.unit() < (i < 3000 ? 0.9 : 0.6) ? 1.0 : 0.0 }
        let one = changePoints(ADWIN(ADWIN.Settings(clock: 5)), on: AnySequence(stream))
        var adwin = ADWIN(ADWIN.Settings(clock: 5))
        var hits: [Int] = []
        var start = 0, length = 1
        stream.withUnsafeBufferPointer { all in
            while start < all.count {
                let end = min(all.count, start + length)
                adwin.readValues(UnsafeBufferPointer(rebasing: all[start..<end]), from: start) { hits.append($0) }
                start = end
                length = length % 13 + 1
            }
        }
        #expect(!one.isEmpty)
        #expect(hits == one)
    }

    /// Vigil's shortcuts never change a decision: beside a plain transcription of river's
    /// code on 48 seeded streams (Bernoulli, Gaussian with offsets up to ±10⁶ and spreads
    /// down to 10⁻⁶, heavy tails, negative values, several changes) and six settings, the
    /// detections are the same and the window's sums equal bit for bit.
    @Test func adwinShortcutsMatchAPlainTranscription() {
        var rng = SplitMix64(seed: 11)
        func normal() -> Double {
            let u = 1 - rng.unit(), v = rng.unit()
            return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
        }
        let settings = [ADWIN.Settings(), ADWIN.Settings(delta: 0.1, clock: 1, maxBuckets: 3, minWindowLength: 1, gracePeriod: 0),
                        ADWIN.Settings(delta: 0.01, clock: 3, maxBuckets: 4, minWindowLength: 12, gracePeriod: 30),
                        ADWIN.Settings(delta: 0.5, clock: 7, maxBuckets: 2, minWindowLength: 2, gracePeriod: 5),
                        ADWIN.Settings(delta: 0.01, clock: 1, maxBuckets: 50, minWindowLength: 5, gracePeriod: 10),
                        ADWIN.Settings(delta: 0.002, clock: 64, maxBuckets: 17, minWindowLength: 40, gracePeriod: 100)]
        var detections = 0
        for stream in 0..<48 {
            let offset = [0, 1, -3, 1e6, -1e6, 1e-3][stream % 6]
            let spread = [1, 1e-6, 1e3, 0.1][stream % 4]
            let n = 400 + Int(rng.next() % 1200)
            var values: [Double] = []
            for i in 0..<n {
                let segment = Double(i * 4 / n)
                switch stream % 4 {
                case 0: values.append(rng.unit() < 0.9 - 0.1 * segment ? 1 : 0)
                case 1: values.append(offset + spread * (normal() + segment * 0.7))
                case 2: values.append(offset + spread * normal() / max(1e-3, rng.unit()) * 0.01 + segment * spread)
                default: values.append(offset - spread * abs(normal()) * (1 + segment))
                }
            }
            for s in settings {
                var reference = ADWINReference(s)
                let expected = values.indices.filter { reference.update(values[$0]) }
                var adwin = ADWIN(s)
                let hits = changePoints(adwin, on: values)
                #expect(hits == expected, "stream \(stream), \(s)")
                for x in values { _ = adwin.update(x) }
                #expect(Double(adwin.width) == reference.width && adwin.sum == reference.total && adwin.variance == reference.variance,
                        "stream \(stream), \(s)")
                detections += expected.count
            }
        }
        #expect(detections > 40)
    }

    /// The same on long streams, where the window spans many levels and most levels go
    /// untouched between two tests (the part of `hasCut` that bounds them from their last
    /// scan): scores in [0, 1] and correctness values, with abrupt and gradual shifts of the
    /// mean, several detections each, read in runs of uneven lengths.
    @Test func adwinMatchesAPlainTranscriptionOnLongStreams() {
        var rng = SplitMix64(seed: 29)
        let settings = [ADWIN.Settings(), ADWIN.Settings(delta: 0.05, clock: 5, maxBuckets: 3),
                        ADWIN.Settings(delta: 0.002, clock: 1, maxBuckets: 6, minWindowLength: 8, gracePeriod: 50)]
        var detections = 0
        for stream in 0..<6 {
            let n = 12_000 + Int(rng.next() % 8000)
            var values: [Double] = []
            for i in 0..<n {
                let t = Double(i) / Double(n)
                // abrupt: steps of the mean; gradual: a ramp over the middle third
                let mean = stream % 2 == 0 ? [0.85, 0.6, 0.8, 0.5][Int(t * 4)] : 0.9 - 0.3 * min(1, max(0, 3 * t - 1))
                switch stream % 3 {
                case 0: values.append(rng.unit() < mean ? 1 : 0)
                case 1: values.append(min(1, max(0, mean + 0.25 * (rng.unit() + rng.unit() - 1))))
                default: values.append(mean * rng.unit() * 2 > 1 ? rng.unit() : mean * rng.unit())
                }
            }
            for s in settings {
                var reference = ADWINReference(s)
                let expected = values.indices.filter { reference.update(values[$0]) }
                var adwin = ADWIN(s)
                var hits: [Int] = []
                var start = 0, length = 1
                values.withUnsafeBufferPointer { all in
                    while start < all.count {
                        let end = min(all.count, start + length)
                        adwin.readValues(UnsafeBufferPointer(rebasing: all[start..<end]), from: start) { hits.append($0) }
                        start = end
                        length = length % 97 + 1
                    }
                }
                #expect(hits == expected, "stream \(stream), \(s)")
                #expect(Double(adwin.width) == reference.width && adwin.sum == reference.total && adwin.variance == reference.variance,
                        "stream \(stream), \(s)")
                detections += expected.count
            }
        }
        #expect(detections > 30)
    }

    @Test func adwinStartsAfreshAfterADetection() throws {
        var adwin = ADWIN()
        let stream = Array(repeating: 0.0, count: 1000) + Array(repeating: 1.0, count: 1000)
        let hits = changePoints(adwin, on: stream)
        #expect(hits.count == 1)
        let at = try #require(hits.first)
        for x in stream[...at] { _ = adwin.update(x) }
        #expect(adwin.width < at + 1)
        _ = adwin.update(1)
        #expect(adwin.width == 1)
        #expect(adwin.estimation == 1)
        #expect(adwin.totalDetections == 1)
    }
}
