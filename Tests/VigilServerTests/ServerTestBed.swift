import Foundation
import Hummingbird
import HummingbirdTesting
import VigilCore
import VigilJobs
import VigilStore
@testable import VigilServer
import VigilWorkspace

/// A fresh workspace (the example classifier policy), a token per scope, and the server's
/// application over it, driven through HummingbirdTesting's router client.
struct ServerTestBed {
    let root: String
    let workspace: Workspace
    let environment: ServerEnvironment
    let clock: FixedClock
    /// Tokens by scope, plus "admin".
    let tokens: [TokenScope: String]
    static let model = "shelf-classifier"

    init(settings: ServerSettings = ServerSettings()) throws {
        root = NSTemporaryDirectory() + "vigil-server-\(UUID().uuidString)"
        clock = FixedClock(Timestamp.date(millis: Timestamp.parseMillis("2026-10-08T00:00:00Z")!))
        try Workspace.initialize(at: root, examplePolicy: ExamplePolicies.absoluteClassifier, clock: clock)
        workspace = try Workspace.locate(from: root)
        var s = settings
        s.tokenCacheSeconds = 0
        s.port = 0
        environment = try ServerEnvironment.open(workspace, settings: s, clock: clock, logger: .init(label: "test"))
        var tokens: [TokenScope: String] = [:]
        for scope in TokenScope.allCases {
            let (token, record) = APITokens.generate(name: "\(scope.rawValue)-user", scopes: [scope], now: 0)
            try environment.store.createToken(record, actor: "test")
            tokens[scope] = token
        }
        self.tokens = tokens
    }

    /// Runs `body` with a client of the application.
    func test<T: Sendable>(_ body: @escaping @Sendable (any TestClientProtocol) async throws -> T) async throws -> T {
        try await VigilServe.application(environment).test(.router, body)
    }

    func headers(_ scope: TokenScope?, _ extra: HTTPFields = [:]) -> HTTPFields {
        var h = extra
        if let scope, let token = tokens[scope] { h[.authorization] = "Bearer \(token)" }
        return h
    }

    /// `n` valid prediction lines of the example model, ids `p-<start>…`.
    static func predictions(_ n: Int, start: Int = 0, day: Int = 5) -> [String] {
        (start..<(start + n)).map { i in
            let label = ExampleData.classes[i % ExampleData.classes.count]
            return "{\"id\":\"p-\(i)\",\"ts\":\"2026-10-0\(day)T\(String(format: "%02d", i % 24)):00:00Z\",\"model\":\"\(model)\",\"label\":\"\(label)\",\"score\":0.9}"
        }
    }

    func remove() { try? FileManager.default.removeItem(atPath: root) }
}

extension ByteBuffer {
    init(text: String) { self.init(string: text) }
}

/// The JSON object of a response body.
func json(_ response: TestResponse) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(String(buffer: response.body).utf8))) as? [String: Any] ?? [:]
}

/// gzip of `data` by the system's gzip.
func gzip(_ data: Data) throws -> Data {
    let path = NSTemporaryDirectory() + "vigil-gzip-\(UUID().uuidString)"
    try data.write(to: URL(fileURLWithPath: path))
    defer { try? FileManager.default.removeItem(atPath: path) }
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", "gzip -c \"$0\"", path]
    let output = Pipe()
    p.standardOutput = output
    try p.run()
    let out = output.fileHandleForReading.readDataToEndOfFile()
    p.waitUntilExit()
    return out
}
