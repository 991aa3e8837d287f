import Foundation
import Testing
import VigilAlerts
import VigilCore
import VigilJobs
import VigilStore
import VigilWorkspace

/// A deliverer process (`vigil alerts deliver --loop`) killed with SIGKILL at 50 random points
/// while 1,000 notifications are pending. Afterwards every notification was delivered at least
/// once, no notification id arrived with two different bodies, each receiver saw its
/// notifications first in queue order, and the duplicates are counted and printed.
@Suite(.serialized) struct CrashDeliveryTests {
    static let secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"

    @Test func deliveryAtLeastOnceThroughFiftyKills() throws {
        let receiver = try LocalReceiver()
        defer { receiver.stop() }
        try receiver.script([], delay: 0.01)  // a receiver that takes 10 ms per request
        let root = NSTemporaryDirectory() + "vigil-crash-\(UUID().uuidString)"
        try Workspace.initialize(at: root, examplePolicy: ExamplePolicies.absoluteClassifier)
        let names = ["a", "b", "c", "d"]
        var yaml = try String(contentsOfFile: root + "/vigil.yaml", encoding: .utf8)
        yaml += "receivers:\n" + names.map { "  - {name: \($0), kind: webhook, url: \"\(receiver.url)/\($0)\", secret: \"${HOOK_SECRET}\"}\n" }.joined()
        yaml += "delivery: {timeout: 2s, lease: 400ms, batch: 10, workers: 4, backoff_base: 100ms, backoff_cap: 500ms}\n"
        try yaml.write(toFile: root + "/vigil.yaml", atomically: true, encoding: .utf8)
        let ws = try Workspace.locate(from: root)
        let store = try ws.openStore()
        let env = ["HOOK_SECRET": Self.secret]
        let notices = Notices(store: store, setup: try ws.alertSetup(store: store, environment: env), clock: SystemClock())
        let total = 1000
        for i in 0..<total {
            try notices.enqueue(Notice(model: "shelf-classifier", topic: "test", severity: .warning, message: "n\(i)"), to: [names[i % names.count]])
        }
        var rng = SplitMix64(seed: 20_261_125)
        var killedWithWorkLeft = 0
        for _ in 0..<50 {
            let p = VigilCommand.process(["alerts", "deliver", "--loop", "--interval", "0.05", "--workspace", root], environment: env)
            p.standardOutput = FileHandle.nullDevice
            p.standardError = FileHandle.nullDevice
            try p.run()
            Thread.sleep(forTimeInterval: 0.04 + Double(rng.next() % 160) / 1000)
            let pending = try store.outbox(states: [.pending], limit: 1).count
            kill(p.processIdentifier, SIGKILL)
            p.waitUntilExit()
            if pending > 0 { killedWithWorkLeft += 1 }
        }
        // The survivors finish the job (leases of the killed processes expire after 400 ms).
        var rounds = 0
        while try !store.outbox(states: [.pending], limit: 1).isEmpty, rounds < 40 {
            let r = try VigilCommand.run(["alerts", "deliver", "--workspace", root], environment: env)
            #expect(r.status == 0, "\(r.output)")
            Thread.sleep(forTimeInterval: 0.2)
            rounds += 1
        }
        #expect(try store.outbox(states: [.pending, .dead], limit: 10).isEmpty)
        #expect(killedWithWorkLeft >= 40, "only \(killedWithWorkLeft) of 50 kills landed while notifications were pending")

        let requests = try receiver.requests()
        var bodies: [String: String] = [:]
        var conflicting = 0
        for r in requests {
            let id = try #require(r.headers["webhook-id"])
            if let seen = bodies[id], seen != r.body { conflicting += 1 }
            bodies[id] = r.body
        }
        let ids = Set(try store.outbox(states: [.delivered], limit: 10_000).map(\.notification.id))
        #expect(ids.count == total)
        #expect(Set(bodies.keys) == ids, "every notification delivered at least once")
        #expect(conflicting == 0, "no id delivered with two different bodies")
        for name in names {
            var firstSeen: [Int] = []
            var seen = Set<String>()
            for r in requests where r.path == "/\(name)" && seen.insert(r.headers["webhook-id"]!).inserted {
                let message = r.body.range(of: #""message": "n(\d+)""#, options: .regularExpression).map { String(r.body[$0]) } ?? ""
                firstSeen.append(Int(message.dropFirst(13).dropLast()) ?? -1)
            }
            #expect(firstSeen == firstSeen.sorted(), "receiver \(name) saw its notifications first in queue order")
        }
        let verify = try python(["scripts/verify_webhook_signature.py", receiver.log, Self.secret])
        #expect(verify.status == 0, "\(verify.output)")
        let duplicates = requests.count - bodies.count
        print("crash test: \(total) notifications, 50 SIGKILLs (\(killedWithWorkLeft) with work pending), \(requests.count) requests, \(duplicates) duplicates (same id, same body), 0 lost")
    }
}
