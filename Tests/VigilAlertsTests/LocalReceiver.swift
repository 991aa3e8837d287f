import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// The scripted webhook receiver (scripts/webhook_receiver.py) running as a real process on a
/// loopback port; stop and start it again on the same port to simulate an outage.
final class LocalReceiver: @unchecked Sendable {
    static let repoRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    let directory: String
    let log: String
    /// The loopback address it listens on.
    let host: String
    private(set) var port = 0
    private var process: Process?

    /// One recorded request.
    struct Request {
        var path: String
        var query: String
        var headers: [String: String]
        var body: String
        var status: Int
        var json: [String: Any] { (try? JSONSerialization.jsonObject(with: Data(body.utf8))) as? [String: Any] ?? [:] }
    }

    /// A receiver listening on `host` (a loopback address: tests never send elsewhere).
    init(host: String = "127.0.0.1") throws {
        precondition(host.hasPrefix("127."), "test receivers listen on loopback only")
        self.host = host
        directory = NSTemporaryDirectory() + "vigil-receiver-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        log = directory + "/requests.ndjson"
        try start()
    }

    deinit { stop() }

    /// The interpreter itself, not a launcher such as a pyenv shim: stopping the process we
    /// started must stop the server.
    static let python: String = {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        p.arguments = ["python3", "-c", "import sys; print(sys.executable)"]
        let out = Pipe()
        p.standardOutput = out
        try? p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        let path = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        return path.isEmpty ? "/usr/bin/python3" : path
    }()

    /// The base URL, e.g. `http://127.0.0.1:41234`.
    var url: String { "http://\(host):\(port)" }

    /// Starts the receiver (on its previous port after a ``stop()``).
    func start() throws {
        let portFile = directory + "/port"
        try? FileManager.default.removeItem(atPath: portFile)
        let p = Process()
        p.executableURL = URL(fileURLWithPath: Self.python)
        p.arguments = [Self.repoRoot + "/scripts/webhook_receiver.py", "--host", host, "--port", String(port), "--port-file", portFile, "--log", log]
        p.standardError = FileHandle.nullDevice
        try p.run()
        process = p
        let deadline = Date().addingTimeInterval(10)
        while Date() < deadline {
            if let text = try? String(contentsOfFile: portFile, encoding: .utf8), let n = Int(text) { port = n; return }
            Thread.sleep(forTimeInterval: 0.02)
        }
        throw ReceiverError("the test receiver did not start within 10 s")
    }

    /// Stops the receiver; its port refuses connections until ``start()``.
    func stop() {
        guard let p = process, p.isRunning else { return }
        p.terminate()
        let deadline = Date().addingTimeInterval(3)
        while p.isRunning, Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if p.isRunning { kill(p.processIdentifier, SIGKILL) }
        p.waitUntilExit()
        process = nil
    }

    /// Every request received so far, in arrival order.
    func requests() throws -> [Request] {
        guard let text = try? String(contentsOfFile: log, encoding: .utf8) else { return [] }
        return try text.split(separator: "\n").map { line in
            let o = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
            return Request(path: o["path"] as! String, query: o["query"] as! String, headers: o["headers"] as! [String: String],
                           body: o["body"] as! String, status: o["status"] as! Int)
        }
    }

    /// Tells the receiver how to answer the next requests (see the script's doc).
    func script(_ steps: [[String: Any]], delay: Double = 0) throws {
        var request = URLRequest(url: URL(string: url + "/_control")!)
        request.httpMethod = "POST"
        request.httpBody = try JSONSerialization.data(withJSONObject: ["script": steps, "delay": delay])
        let done = DispatchSemaphore(value: 0)
        let task = URLSession.shared.dataTask(with: request) { _, _, _ in done.signal() }
        task.resume()
        done.wait()
    }
}

struct ReceiverError: Error, CustomStringConvertible {
    var description: String
    init(_ d: String) { description = d }
}
