import ArgumentParser

/// Hidden commands that time or simulate library code for the benchmark scripts.
struct Debug: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Benchmark and simulation helpers (used by scripts/bench_*.sh; not part of the user interface).",
        shouldDisplay: false,
        subcommands: [DriftCalibrationCommand.self, SequentialDebug.self, MMDDebug.self, GEMMPeak.self])
}
