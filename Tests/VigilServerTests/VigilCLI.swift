import Foundation

/// Runs the built `vigil` binary (``ServeProcessTests/binary``) to completion on a workspace,
/// as a user or cron would, with `environment` added to this process's.
enum VigilCLI {
    static func run(_ args: [String], workspace dir: String, environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: ServeProcessTests.binary)
        p.arguments = args + ["--workspace", dir]
        p.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        let e = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        p.waitUntilExit()
        return (p.terminationStatus, o, e)
    }
}
