import Foundation
import Hummingbird
import Testing
import VigilCore
import VigilJobs
@testable import VigilServer
import VigilWorkspace

/// The connection limits of `vigil serve` (issue 26, point 5), on a real socket on 127.0.0.1:
/// the header timeout, the idle timeout and the connection cap, and all three under a low file
/// limit. Outcomes are asserted (closed, status codes), not timings; the time bounds are generous.
@Suite(.serialized) struct ConnectionLimitsTests {
    /// A request head long enough to trickle for longer than any header timeout here.
    static let slowRequest = Array("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nX-Slow: " + String(repeating: "a", count: 400))

    @Test func tricklingHeadersAreClosedAtTheHeaderTimeoutWhileHealthzKeepsAnswering() async throws {
        var settings = ServerSettings()
        settings.headerTimeout = 2
        settings.maxConnections = 400
        try await withLiveServer(settings) { port in
            let trickling = (0..<300).compactMap { _ in RawConnection(port: port) }
            #expect(trickling.count == 300)
            for connection in trickling { connection.send(String(Self.slowRequest[0])) }
            // Held, their headers incomplete: a new connection is still served (the bound is
            // generous: on a busy machine accepting 300 connections first may take seconds).
            #expect(try await RawConnection.status(port: port, within: 30) == 200)
            let outcome = try await Self.trickle(trickling, for: 20)
            #expect(outcome.stillOpen == 0, "\(outcome.stillOpen) of 300 trickling connections still open 20 s after a 2 s header timeout")
            #expect(outcome.answered["408"] ?? 0 > 0, "no 408 Request Timeout was written: \(outcome.answered)")
            #expect(try await RawConnection.status(port: port, within: 30) == 200)
        }
    }

    @Test func anIdleKeepAliveConnectionIsClosedAfterTheIdleTimeout() async throws {
        var settings = ServerSettings()
        settings.idleTimeout = 1
        settings.headerTimeout = 30
        try await withLiveServer(settings) { port in
            let connection = try #require(RawConnection(port: port))
            for _ in 0..<2 {  // keep-alive works: two requests on the one connection
                connection.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                #expect(RawConnection.statusCode(of: try await connection.readResponse(within: 5)) == 200)
            }
            let after = try await connection.readUntilClosed(within: 15)
            #expect(after.closed, "an idle keep-alive connection was still open 15 s after a 1 s idle timeout")
        }
    }

    @Test func aConnectionBeyondTheCapIsAnswered503AndTheOthersKeepWorking() async throws {
        var settings = ServerSettings()
        settings.maxConnections = 3
        try await withLiveServer(settings) { port in
            var held = (0..<3).compactMap { _ in RawConnection(port: port) }
            for connection in held { connection.send("GET /healthz HTTP/1.1\r\n") }
            try await Task.sleep(for: .milliseconds(500))  // accepted and admitted

            let extra = try #require(RawConnection(port: port))
            extra.send("GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            let refused = try await extra.readUntilClosed(within: 5)
            #expect(RawConnection.statusCode(of: refused.text) == 503, "\(refused.text)")
            #expect(refused.text.contains("Retry-After: ") && refused.text.contains("Connection: close"), "\(refused.text)")
            #expect(refused.closed)

            // The connections within the cap are served as before.
            held[0].send("Host: 127.0.0.1\r\n\r\n")
            #expect(RawConnection.statusCode(of: try await held[0].readResponse(within: 5)) == 200)
            // One closes: its place goes to the next connection.
            held.removeLast()
            try await Task.sleep(for: .milliseconds(500))
            #expect(try await RawConnection.status(port: port) == 200)
        }
    }

    /// `vigil serve` under `prlimit --nofile=256`: the cap is lowered to fit and said so, 300
    /// trickling connections are all turned away (503) or cut off (408), /healthz answers
    /// throughout, and 200 once they are gone.
    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/prlimit")))
    func underALowFileLimitTricklingConnectionsCannotStarveHealthz() async throws {
        let root = NSTemporaryDirectory() + "vigil-limits-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: root) }
        try Workspace.initialize(at: root, examplePolicy: ExamplePolicies.absoluteClassifier)
        try (try String(contentsOfFile: root + "/vigil.yaml", encoding: .utf8) + "\nserver:\n  header_timeout: 2s\n")
            .write(toFile: root + "/vigil.yaml", atomically: true, encoding: .utf8)
        let (server, port, output) = try await Self.launchUnderFileLimit(256, ["--workspace", root, "--no-scheduler", "--no-deliverer"])
        defer { if server.isRunning { server.terminate() } }

        let trickling = (0..<300).compactMap { _ in RawConnection(port: port) }
        #expect(trickling.count == 300)
        for connection in trickling { connection.send(String(Self.slowRequest[0])) }
        var probes: [Int?] = []
        let outcome = try await Self.trickle(trickling, for: 20) { probes.append(try await RawConnection.status(port: port, within: 5)) }
        #expect(outcome.stillOpen == 0, "\(outcome.stillOpen) of 300 trickling connections still open 20 s after a 2 s header timeout")
        #expect(outcome.answered["503"] ?? 0 > 0 && outcome.answered["408"] ?? 0 > 0, "\(outcome.answered)")
        #expect(!probes.isEmpty && probes.allSatisfy { $0 == 200 || $0 == 503 }, "a /healthz went unanswered for 5 s: \(probes)")
        #expect(try await RawConnection.status(port: port) == 200)
        #expect(server.isRunning)

        server.terminate()
        server.waitUntilExit()
        let log = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(log.contains("server.max_connections lowered from 512 to 160 to fit the file limit of 256"), "\(log)")
    }

    // MARK: - Helpers

    /// Sends the next byte of ``slowRequest`` to every open connection every 0.25 s, until the
    /// server has closed them all or `seconds` pass; `probe` runs every second meanwhile. Counts
    /// the connections left open and the status codes written before closing.
    static func trickle(_ connections: [RawConnection], for seconds: Double, probe: () async throws -> Void = {}) async throws
        -> (stillOpen: Int, answered: [String: Int]) {
        var open = Set(connections.indices)
        var answered: [String: Int] = [:]
        var next = 1
        let start = Date()
        var lastProbe = start
        while !open.isEmpty, Date().timeIntervalSince(start) < seconds {
            for index in open.sorted() {
                switch connections[index].poll() {
                case .closed:
                    open.remove(index)
                case .data(let text):
                    if let code = RawConnection.statusCode(of: text) { answered["\(code)", default: 0] += 1 }
                case .nothing:
                    connections[index].send(String(slowRequest[next % slowRequest.count]))
                }
            }
            next += 1
            if Date().timeIntervalSince(lastProbe) >= 1 { try await probe(); lastProbe = Date() }
            try await Task.sleep(for: .milliseconds(250))
        }
        return (open.count, answered)
    }

    /// `vigil serve` run by `prlimit --nofile=limit:limit` on a free port, once /healthz answers.
    static func launchUnderFileLimit(_ limit: Int, _ arguments: [String]) async throws -> (process: Process, port: Int, output: Pipe) {
        for _ in 0..<5 {
            let port = ServeProcessTests.freePort()
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/prlimit")
            p.arguments = ["--nofile=\(limit):\(limit)", ServeProcessTests.binary, "serve", "--port", String(port)] + arguments
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            for _ in 0..<100 where p.isRunning {
                if try await RawConnection.status(port: port, within: 1) == 200 { return (p, port, out) }
                try await Task.sleep(for: .milliseconds(100))
            }
            if p.isRunning { return (p, port, out) }
            let log = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            guard log.contains("Address already in use") else { throw JobError("vigil serve exited: \(log)") }
        }
        throw JobError("vigil serve found every port it tried in use")
    }
}

/// Runs the application of a fresh test bed with `settings` on 127.0.0.1 (a port the system
/// picks) and `body` with that port; stops the server after.
func withLiveServer(_ settings: ServerSettings, _ body: (Int) async throws -> Void) async throws {
    let bed = try ServerTestBed(settings: settings)
    defer { bed.remove() }
    let (ports, portFound) = AsyncStream.makeStream(of: Int.self)
    let app = VigilServe.application(bed.environment, onServerRunning: { port in portFound.yield(port) })
    let server = Task { try await app.runService(gracefulShutdownSignals: []) }
    defer { server.cancel() }
    var iterator = ports.makeAsyncIterator()
    let port = try #require(await iterator.next())
    try await body(port)
}
