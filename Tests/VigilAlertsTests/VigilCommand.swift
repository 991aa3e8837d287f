import Foundation

/// Runs the built `vigil` executable (next to the test bundle) as a user or cron would.
enum VigilCommand {
    static let binary: String = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vigil").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug/vigil"
    }()

    /// A configured process, not started.
    static func process(_ args: [String], environment: [String: String] = [:]) -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        return p
    }

    /// Runs `vigil args…` to completion: exit status and stdout + stderr.
    static func run(_ args: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
        let p = process(args, environment: environment)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
