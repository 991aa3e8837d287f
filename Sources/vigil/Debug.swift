import ArgumentParser

/// Hidden developer commands: timings and internals that the benchmarks call.
struct Debug: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Developer tools for benchmarks (not part of the user interface).",
        shouldDisplay: false,
        subcommands: [MMDDebug.self, GEMMPeak.self]
    )
}
