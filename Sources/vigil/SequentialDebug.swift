import ArgumentParser
import Foundation
import VigilCore

/// `vigil debug sequential`: a sequential detector over a stream in a file, printing the
/// detection indices and the compute time (file loading excluded) as JSON.
struct SequentialDebug: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sequential",
        abstract: "Run ADWIN, Page–Hinkley or CUSUM over a stream and print the change points and the time as JSON.",
        discussion: """
            FILE holds one number per line, or raw little-endian float64 values when its name ends in .f64. Settings are the policy's, as JSON (snake_case keys; defaults for missing ones). Indices are 0-based; compute_s is the fastest of --repeat runs (wall clock), cpu_s the thread CPU time of that run (steadier on a busy machine).

              vigil debug sequential --detector adwin --input stream.f64
              vigil debug sequential --detector page-hinkley --settings '{"mode": "down"}' --input stream.txt
            """
    )

    enum Detector: String, ExpressibleByArgument, CaseIterable {
        case adwin, pageHinkley = "page-hinkley", cusum
    }

    @Option(help: "adwin, page-hinkley or cusum.") var detector: Detector
    @Option(help: "The stream: one number per line, or a .f64 file.") var input: String
    @Option(help: "The detector's settings as JSON, e.g. '{\"delta\": 0.01}'.") var settings = "{}"
    @Option(name: .customLong("repeat"), help: "Runs to time; the fastest is reported.") var runs = 1

    func run() throws {
        let values = try reportingErrors(exitCode: 1) { try Self.load(input) }
        let json = Data(settings.utf8)
        let decoder = JSONDecoder()
        let result: Output
        switch detector {
        case .adwin:
            let s = try reportingErrors(exitCode: 1) { try decoder.decode(ADWIN.Settings.self, from: json) }
            guard s.problems().isEmpty else { throw ValidationError(s.problems().joined(separator: "; ")) }
            result = Self.time(ADWIN(s), on: values, runs: runs)
        case .pageHinkley:
            let s = try reportingErrors(exitCode: 1) { try decoder.decode(PageHinkley.Settings.self, from: json) }
            result = Self.time(PageHinkley(s), on: values, runs: runs)
        case .cusum:
            let s = try reportingErrors(exitCode: 1) { try decoder.decode(CUSUM.Settings.self, from: json) }
            guard s.problems().isEmpty else { throw ValidationError(s.problems().joined(separator: "; ")) }
            result = Self.time(CUSUM(s), on: values, runs: runs)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var out = result
        out.detector = detector.rawValue
        print(String(decoding: try encoder.encode(out), as: UTF8.self))
    }

    struct Output: Encodable {
        var detector = ""
        var count: Int
        var detections: [Int]
        var compute_s: Double
        var cpu_s: Double
        var runs_s: [Double]
    }

    static func time<D: SequentialDetector>(_ detector: D, on values: [Double], runs: Int) -> Output {
        let clock = ContinuousClock()
        var hits: [Int] = []
        var times: [Double] = []
        var cpu: [Double] = []
        for _ in 0..<max(1, runs) {
            let cpuStart = threadCPUSeconds()
            let elapsed = clock.measure { hits = changePoints(detector, on: values) }
            cpu.append(threadCPUSeconds() - cpuStart)
            times.append(Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18)
        }
        let best = times.indices.min { times[$0] < times[$1] } ?? 0
        return Output(count: values.count, detections: hits, compute_s: times[best], cpu_s: cpu[best], runs_s: times)
    }

    static func threadCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) * 1e-9
    }

    static func load(_ path: String) throws -> [Double] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path): check the path")
        }
        if path.hasSuffix(".f64") {
            guard data.count % 8 == 0 else { throw ValidationError("\(path): \(data.count) bytes is not a whole number of float64 values") }
            return data.withUnsafeBytes { raw in
                (0..<data.count / 8).map { Double(bitPattern: UInt64(littleEndian: raw.loadUnaligned(fromByteOffset: $0 * 8, as: UInt64.self))) }
            }
        }
        var values: [Double] = []
        for (n, line) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let text = line.trimmingCharacters(in: .whitespaces)
            if text.isEmpty { continue }
            guard let x = Double(text) else { throw ValidationError("\(path):\(n + 1): '\(text)' is not a number") }
            values.append(x)
        }
        return values
    }
}
