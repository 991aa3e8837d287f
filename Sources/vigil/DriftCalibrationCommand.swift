import ArgumentParser
import Foundation
import VigilCore
import VigilJobs

struct DriftCalibrationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "drift-calibration",
        abstract: "Simulate every drift test under no drift and under a shift; print false-positive rate and power.",
        discussion: "  vigil debug drift-calibration --simulations 1000 --alpha 0.01")

    @Option(help: "Simulations per test and condition.") var simulations = 1000
    @Option(help: "Significance level.") var alpha = 0.01
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Flag(help: "JSON instead of a table.") var json = false

    func run() throws {
        let calibration = DriftCalibration(simulations: simulations, alpha: alpha, seed: seed)
        let started = Date()
        let rows = calibration.run(DriftCalibration.standard + DriftCalibration.sampleTests) { name in
            FileHandle.standardError.write(Data("simulating \(name)…\n".utf8))
        }
        if json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            print(String(decoding: try encoder.encode(rows), as: UTF8.self))
            return
        }
        print("\(simulations) simulations per test and condition, α = \(alpha), seed \(seed), \(String(format: "%.1f", Date().timeIntervalSince(started))) s")
        print("test                          false positives (95% CI)      power   setting")
        for r in rows {
            let fp = String(format: "%.4f", r.falsePositiveRate) + (r.falsePositiveInterval.map { String(format: " [%.4f, %.4f]", $0.lower, $0.upper) } ?? "")
            print(r.test.padding(toLength: 30, withPad: " ", startingAt: 0) + fp.padding(toLength: 30, withPad: " ", startingAt: 0)
                  + String(format: "%.3f", r.power) + "   " + r.setting)
        }
    }
}
