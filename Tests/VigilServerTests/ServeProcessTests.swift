import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilCore
import VigilJobs
@testable import VigilServer
import VigilWorkspace

/// `vigil serve` and `vigil tokens` as a user runs them: the built binary, a real socket, SIGTERM.
@Suite(.serialized) struct ServeProcessTests {
    static let binary: String = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vigil").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug/vigil"
    }()

    static func run(_ args: [String]) throws -> (status: Int32, stdout: String, stderr: String) {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        try p.run()
        let o = out.fileHandleForReading.readDataToEndOfFile()
        let e = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    /// A port to try: below Linux's ephemeral range (32768–60999), so outgoing connections of
    /// other tests running at the same time do not hold it; a server that still finds it taken
    /// is started again on another (``launchServe(_:)``).
    static func freePort() -> Int { Int.random(in: 20_000...32_000) }

    /// Starts `vigil serve` with `arguments` on a free port and waits until `/readyz` answers;
    /// when another process took the port first ("Address already in use"), tries another.
    static func launchServe(_ arguments: [String], environment: [String: String]? = nil,
                            readyWithin seconds: Int = 10) throws -> (process: Process, port: Int, output: Pipe) {
        for _ in 0..<5 {
            let port = freePort()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: binary)
            p.arguments = ["serve", "--port", String(port)] + arguments
            if let environment { p.environment = environment }
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            for _ in 0..<(seconds * 10) where p.isRunning {
                if get("http://127.0.0.1:\(port)/readyz").0 == 200 { return (p, port, out) }
                Thread.sleep(forTimeInterval: 0.1)
            }
            if p.isRunning { return (p, port, out) }  // not ready in time: the caller's expectations say so
            let log = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            guard log.contains("Address already in use") else { throw JobError("vigil serve exited: \(log)") }
        }
        throw JobError("vigil serve found every port it tried in use")
    }

    static func get(_ url: String, token: String? = nil) -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.timeoutInterval = 5
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result = (0, "")
        URLSession.shared.dataTask(with: request) { data, response, _ in
            result = ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data ?? Data(), as: UTF8.self))
            done.signal()
        }.resume()
        done.wait()
        return result
    }

    @Test func tokensAreCreatedListedAndRevokedFromTheCommandLine() throws {
        let dir = NSTemporaryDirectory() + "vigil-tokens-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Workspace.initialize(at: dir, examplePolicy: ExamplePolicies.absoluteClassifier)
        let created = try Self.run(["tokens", "create", "--scope", "review", "--scope", "read", "--name", "alice", "--workspace", dir])
        #expect(created.status == 0, "\(created.stderr)")
        let token = created.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let key = try #require(APITokens.key(of: token))
        let list = try Self.run(["tokens", "list", "--workspace", dir])
        #expect(list.stdout.contains(key) && list.stdout.contains("alice") && list.stdout.contains("review,read"))
        #expect(!list.stdout.contains(String(token.suffix(64))))
        #expect(try Self.run(["tokens", "create", "--scope", "nope", "--name", "x", "--workspace", dir]).status != 0)
        #expect(try Self.run(["tokens", "revoke", key, "--workspace", dir]).status == 0)
        #expect(try Self.run(["tokens", "revoke", key, "--workspace", dir]).status == 1)
        #expect(try Self.run(["tokens", "list", "--all", "--workspace", dir]).stdout.contains("revoked"))
    }

    @Test func serveAnswersAndDrainsOnSIGTERM() throws {
        let dir = NSTemporaryDirectory() + "vigil-serve-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Workspace.initialize(at: dir, examplePolicy: ExamplePolicies.absoluteClassifier)
        let token = try Self.run(["tokens", "create", "--scope", "read", "--name", "t", "--workspace", dir]).stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let (p, port, out) = try Self.launchServe(["--workspace", dir])
        defer { if p.isRunning { p.terminate() } }
        #expect(Self.get("http://127.0.0.1:\(port)/readyz").0 == 200)
        #expect(Self.get("http://127.0.0.1:\(port)/v1/models", token: token).0 == 200)
        #expect(Self.get("http://127.0.0.1:\(port)/v1/models").0 == 401)
        kill(p.processIdentifier, SIGTERM)
        let deadline = Date().addingTimeInterval(15)
        while p.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        #expect(!p.isRunning)
        #expect(p.terminationReason == .exit && p.terminationStatus == 0)
        let log = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("listening on http://127.0.0.1:\(port)"))
        #expect(log.contains("stopped cleanly"), "\(log)")
    }

    @Test func settingsComeFromTheServerBlockOfVigilYaml() throws {
        let dir = NSTemporaryDirectory() + "vigil-settings-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try Workspace.initialize(at: dir, examplePolicy: ExamplePolicies.absoluteClassifier)
        let path = dir + "/vigil.yaml"
        try (try String(contentsOfFile: path, encoding: .utf8) + "server:\n  port: 9191\n  max_items: 50\n  review_lease: 10m\n  scheduler_interval: 30s\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let s = try ServerSettings.load(try Workspace.locate(from: dir))
        #expect(s.port == 9191 && s.maxItems == 50 && s.reviewLease == 600 && s.schedulerInterval == 30 && s.host == "127.0.0.1")
        try (try String(contentsOfFile: path, encoding: .utf8) + "").replacingOccurrences(of: "10m", with: "soon").write(toFile: path, atomically: true, encoding: .utf8)
        #expect(throws: (any Error).self) { try ServerSettings.load(try Workspace.locate(from: dir)) }
    }
}
