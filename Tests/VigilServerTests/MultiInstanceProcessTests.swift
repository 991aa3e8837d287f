import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing
import VigilCore
import VigilJobs
import VigilPostgres
import VigilStore
import VigilWorkspace

/// Scale-out on PostgreSQL as it is deployed: 3 `vigil serve` processes and 5 `vigil tick`
/// processes on one database, the same and different prediction batches sent to every server
/// at once, and 20 reviewers claiming and labelling through the servers. Every prediction is
/// stored once, every schedule slot runs once, no item is claimed twice.
///
/// Runs when `VIGIL_TEST_POSTGRES_URL` names a server (`scripts/postgres-test-server.sh`);
/// with `VIGIL_REQUIRE_POSTGRES=1` and no URL it fails instead of being skipped.
@Suite(.serialized) struct MultiInstanceProcessTests {
    static var enabled: Bool {
        let env = ProcessInfo.processInfo.environment
        return !(env["VIGIL_TEST_POSTGRES_URL"] ?? "").isEmpty || env["VIGIL_REQUIRE_POSTGRES"] == "1"
    }

    static let now = "2026-10-31T07:32:10Z"
    static let classes = ["bottle", "can", "box", "bag", "jar"]

    /// An HTTP request answered synchronously: (status, body).
    static func request(_ method: String, _ url: String, token: String, body: String? = nil, contentType: String = "application/json") -> (Int, String) {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        request.timeoutInterval = 60
        request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization")
        if let body {
            request.httpBody = Data(body.utf8)
            request.setValue(contentType, forHTTPHeaderField: "Content-Type")
        }
        let done = DispatchSemaphore(value: 0)
        nonisolated(unsafe) var result = (0, "")
        URLSession.shared.dataTask(with: request) { data, response, error in
            result = ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data ?? Data(), as: UTF8.self) + (error.map { " \($0)" } ?? ""))
            done.signal()
        }.resume()
        done.wait()
        return result
    }

    /// Runs `body(i)` for `i` in `0..<count` on as many threads at once.
    static func together(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
        let group = DispatchGroup()
        for i in 0..<count {
            group.enter()
            Thread { body(i); group.leave() }.start()
        }
        group.wait()
    }

    static func predictionLines(_ prefix: String, count: Int) -> String {
        (0..<count).map { i in
            let day = 22 + i % 9, hour = i % 24
            let ts = String(format: "2026-10-%02dT%02d:%02d:00Z", day, hour, i % 60)
            return "{\"id\":\"\(prefix)-\(i)\",\"ts\":\"\(ts)\",\"model\":\"shelf-classifier\",\"label\":\"\(classes[i % classes.count])\",\"score\":\(0.5 + Double(i % 50) / 100)}"
        }.joined(separator: "\n") + "\n"
    }

    @Test(.enabled(if: enabled)) func threeServersAndFiveTicksShareOneDatabase() throws {
        guard let admin = ProcessInfo.processInfo.environment["VIGIL_TEST_POSTGRES_URL"], !admin.isEmpty else {
            Issue.record("VIGIL_REQUIRE_POSTGRES=1 but VIGIL_TEST_POSTGRES_URL is not set: export VIGIL_TEST_POSTGRES_URL=$(scripts/postgres-test-server.sh)")
            return
        }
        let url = try PostgresStore.createScratchDatabase(adminURL: admin, prefix: "vigil_multi")
        let dir = NSTemporaryDirectory() + "vigil-multi-\(UUID().uuidString)"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        try (WorkspaceConfig.template.replacingOccurrences(of: "store: sqlite:.vigil/vigil.db", with: "store: \(url)")
            + "server:\n  scheduler_interval: 1s\n").write(toFile: dir + "/vigil.yaml", atomically: true, encoding: .utf8)
        try Workspace.initialize(at: dir, examplePolicy: ExamplePolicies.absoluteClassifier)
        let env = ["VIGIL_NOW": Self.now]
        func cli(_ args: [String]) throws -> String {
            let r = try VigilCLI.run(args, workspace: dir, environment: env)
            #expect(r.status == 0, "vigil \(args.joined(separator: " ")): \(r.stderr)")
            return r.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }
        let ingestToken = try cli(["tokens", "create", "--scope", "ingest", "--name", "ingest"])
        let reviewerTokens = try (0..<20).map { try cli(["tokens", "create", "--scope", "review", "--name", "reviewer-\($0)"]) }

        // Three servers.
        var servers: [(process: Process, port: Int, output: Pipe)] = []
        defer { for s in servers where s.process.isRunning { s.process.terminate() } }
        for _ in 0..<3 {
            servers.append(try ServeProcessTests.launchServe(["--workspace", dir], environment: ProcessInfo.processInfo.environment.merging(env) { $1 },
                                                             readyWithin: 30))
        }
        for s in servers {
            #expect(ServeProcessTests.get("http://127.0.0.1:\(s.port)/readyz").0 == 200, "server on \(s.port) did not become ready")
        }

        // Ingest: three shared batches sent to every server at once, one batch of its own per server.
        let shared = (0..<3).map { Self.predictionLines("shared\($0)", count: 400) }
        let own = (0..<3).map { Self.predictionLines("own\($0)", count: 400) }
        let ports = servers.map(\.port)
        let posts = shared.flatMap { b in (0..<3).map { (server: $0, body: b) } } + (0..<3).map { (server: $0, body: own[$0]) }
        let statuses = NSLock()
        nonisolated(unsafe) var answers: [(Int, String)] = []
        Self.together(posts.count) { i in
            let (server, body) = posts[i]
            let a = Self.request("POST", "http://127.0.0.1:\(ports[server])/v1/predictions", token: ingestToken, body: body,
                                 contentType: "application/x-ndjson")
            statuses.withLock { answers.append(a) }
        }
        for (status, body) in answers { #expect(status == 200, "\(body)") }
        let store = try PostgresStore(url: url)
        let v = try store.verify()
        #expect(v.isHealthy, "\(v.aggregateMismatches) \(v.integrity)")
        #expect(v.predictions == 2400 && v.distinctPredictionIDs == 2400)

        // The schedule appears: the servers' schedulers (every second) and five ticks race for its slots.
        let policy = dir + "/policies/shelf-classifier.yaml"
        try (try String(contentsOfFile: policy, encoding: .utf8) + """
            schedule:
              - {job: sample, cron: "@hourly"}
              - {job: evaluate, cron: "0 6 * * *"}
              - {job: retention, cron: "*/5 * * * *"}
            sampling:
              daily_budget: 60
              window: 30d

            """).write(toFile: policy, atomically: true, encoding: .utf8)
        let ticks = (0..<5).map { _ in
            let p = Process()
            p.executableURL = URL(fileURLWithPath: ServeProcessTests.binary)
            p.arguments = ["tick", "--workspace", dir]
            p.environment = ProcessInfo.processInfo.environment.merging(env) { $1 }
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            return p
        }
        for p in ticks { try p.run() }
        for p in ticks { p.waitUntilExit() }
        Thread.sleep(forTimeInterval: 3)  // a few scheduler passes of every server
        let runs = try store.jobRuns(model: nil, limit: 100)
        #expect(runs.count == 3, "\(runs.map { "\($0.slot.job)@\($0.slot.slot) by \($0.owner)" })")
        #expect(Set(runs.map(\.slot.job)) == ["sample", "evaluate", "retention"])
        #expect(runs.allSatisfy { $0.attempts == 1 && $0.finishedAt != nil && $0.status == .succeeded }, "\(runs)")
        let started = try store.events(model: "shelf-classifier", limit: 10_000).filter { $0.kind == "job.started" || $0.kind == "job.taken-over" }
        #expect(started.count == 3)

        // Twenty reviewers, each on a server of its own choosing per request.
        let queued = try store.queueStatus(model: nil, now: Timestamp.parseMillis(Self.now)!)
        #expect(queued.open > 20, "the sample job queued \(queued.open) items")
        let claimLog = NSLock()
        nonisolated(unsafe) var claims: [(item: Int64, reviewer: Int)] = []
        nonisolated(unsafe) var failures: [String] = []
        Self.together(20) { r in
            var n = r
            while true {
                n += 1
                let base = "http://127.0.0.1:\(ports[n % 3])"
                let (status, body) = Self.request("POST", base + "/v1/review/claim", token: reviewerTokens[r], body: "{}")
                if status == 204 { break }
                guard status == 200, let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any],
                      let assignment = (object["assignment"] as? NSNumber)?.int64Value, let item = (object["item"] as? NSNumber)?.int64Value else {
                    claimLog.withLock { failures.append("claim \(status): \(body)") }
                    break
                }
                claimLog.withLock { claims.append((item, r)) }
                let label = Self.classes[(r + Int(item)) % Self.classes.count]
                let (answered, text) = Self.request("POST", "http://127.0.0.1:\(ports[(n + 1) % 3])/v1/review/\(assignment)/label",
                                                    token: reviewerTokens[r], body: "{\"label\":\"\(label)\"}")
                if answered != 200 { claimLog.withLock { failures.append("label \(answered): \(text)") } }
            }
        }
        #expect(failures.isEmpty, "\(failures.prefix(5))")
        let items = try store.reviewItems(model: nil, state: nil, limit: 100_000)
        let required = Dictionary(uniqueKeysWithValues: items.map { ($0.id, $0.reviewsRequired) })
        let byItem = Dictionary(grouping: claims, by: \.item)
        #expect(byItem.count == items.count)
        for (item, list) in byItem {
            #expect(list.count == required[item], "item \(item) was claimed \(list.count) times for \(required[item] ?? 0) reviews")
            #expect(Set(list.map(\.reviewer)).count == list.count)
        }
        let status = try store.queueStatus(model: nil, now: Timestamp.parseMillis(Self.now)!)
        #expect(status.open == 0 && status.claimed == 0 && status.done == items.count, "\(status)")
        #expect(try store.verify().isHealthy)

        for s in servers { kill(s.process.processIdentifier, SIGTERM) }
        for s in servers {
            let deadline = Date().addingTimeInterval(15)
            while s.process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
            #expect(!s.process.isRunning)
        }
    }
}
