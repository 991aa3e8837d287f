import Foundation

/// Runs the built `vigil` executable, as a user or cron would.
struct VigilProcess {
    /// The `vigil` binary next to the test bundle (SwiftPM puts both in the same products folder).
    static let binary: String = {
        let fm = FileManager.default
        var candidates: [String] = []
        let me = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = me.deletingLastPathComponent()
        for _ in 0..<4 {
            candidates.append(dir.appendingPathComponent("vigil").path)
            dir = dir.deletingLastPathComponent()
        }
        candidates.append(fm.currentDirectoryPath + "/.build/debug/vigil")
        return candidates.first { fm.isExecutableFile(atPath: $0) } ?? candidates.last!
    }()

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `vigil args…` to completion; `unsetting` names variables removed from the environment;
    /// `launcher` (e.g. `["/usr/sbin/runuser", "-u", "nobody", "--"]`) runs vigil through another program.
    static func run(_ args: [String], environment: [String: String] = [:], unsetting: [String] = [], stdin: String? = nil, launcher: [String] = []) throws -> Output {
        let p = start(args, environment: environment, unsetting: unsetting)
        if let program = launcher.first {
            p.executableURL = URL(fileURLWithPath: program)
            p.arguments = Array(launcher.dropFirst()) + [binary] + args
        }
        let out = Pipe(), err = Pipe(), input = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = input
        try p.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Output(status: p.terminationStatus, stdout: String(decoding: o, as: UTF8.self), stderr: String(decoding: e, as: UTF8.self))
    }

    /// A configured, not yet started process.
    static func start(_ args: [String], environment: [String: String] = [:], unsetting: [String] = []) -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        var env = ProcessInfo.processInfo.environment
        for (k, v) in environment { env[k] = v }
        for k in unsetting { env[k] = nil }
        p.environment = env
        return p
    }
}
