import Foundation
import Testing
import VigilAlerts
import VigilCore
import VigilJobs
import VigilStore
import VigilWorkspace

/// Receiver targets are guarded: at load, only http(s) URLs and no literal address the fence
/// refuses (nothing is connected to); when sending, every address the host resolves to is
/// checked and a refusal sends nothing and dead-letters the row; redirects are not followed.
/// Only loopback addresses are ever connected to here.
@Suite(.serialized) struct ReceiverGuardTests {
    static func fenced(denied: [String] = [], allowed: [String]? = nil) -> DeliverySettings {
        var s = AlertTestBed.fastDelivery
        s.deniedNetworks = denied.map { CIDRBlock($0)! }
        s.allowedNetworks = allowed?.map { CIDRBlock($0)! }
        return s
    }

    /// The error `body` throws, as text ("" when it does not throw).
    func failure(_ body: () throws -> Void) -> String {
        do { try body(); return "" } catch { return "\(error)" }
    }

    func setup(_ url: String, name: String = "ops", delivery: DeliverySettings = AlertTestBed.fastDelivery) throws {
        _ = try AlertSetup(receivers: [Receiver(name: name, kind: .webhook, url: url)], serverURL: nil, delivery: delivery, workspaceRoot: nil)
    }

    // MARK: at load (`vigil check`, every command): no network

    @Test func onlyHTTPAndHTTPSAreAccepted() throws {
        let file = failure { try setup("file:///etc/passwd", name: "files") }
        #expect(file.hasPrefix("vigil.yaml: receivers[files].url: the scheme is 'file'; Vigil sends webhooks over http or https only"), "\(file)")
        let gopher = failure { try setup("gopher://127.0.0.1:70/_x", name: "old") }
        #expect(gopher.hasPrefix("vigil.yaml: receivers[old].url: the scheme is 'gopher'"), "\(gopher)")
        #expect(failure { try setup("https://hooks.example.com/vigil") } == "")
        #expect(failure { try setup("HTTP://hooks.example.com/vigil") } == "")
    }

    @Test func metadataAndLinkLocalLiteralsAreRefusedAtLoad() throws {
        let meta = failure { try setup("http://169.254.169.254/latest/meta-data", name: "meta") }
        #expect(meta.hasPrefix("vigil.yaml: receivers[meta].url: refused: the host is 169.254.169.254, inside 169.254.0.0/16"), "\(meta)")
        #expect(meta.contains("point the receiver at another address"), "\(meta)")
        #expect(!failure { try setup("http://[fd00:ec2::254]/latest", name: "v6") }.isEmpty)
        #expect(!failure { try setup("http://[::ffff:169.254.169.254]/", name: "mapped") }.isEmpty)
        #expect(!failure { try setup("http://2852039166/", name: "decimal") }.isEmpty, "169.254.169.254 written as one number")
    }

    @Test func deniedLiteralsAreRefusedAtLoadAndNamesWaitForSending() throws {
        let denied = Self.fenced(denied: ["127.0.0.2/32"])
        let literal = failure { try setup("http://127.0.0.2:9/hook", delivery: denied) }
        #expect(literal.hasPrefix("vigil.yaml: receivers[ops].url: refused: the host is 127.0.0.2, inside delivery.denied_networks 127.0.0.2/32"), "\(literal)")
        #expect(literal.contains("change delivery.denied_networks / delivery.allowed_networks"), "\(literal)")
        #expect(failure { try setup("http://127.0.0.1:9/hook", delivery: denied) } == "")
        #expect(failure { try setup("http://hooks.invalid/x", delivery: Self.fenced(allowed: ["10.0.0.0/8"])) } == "", "names are not resolved at load")
    }

    @Test func placeholderURLsAreCheckedOnceExpanded() throws {
        let setup = try AlertSetup(receivers: [Receiver(name: "meta", kind: .slack, url: "${META_URL}")], serverURL: nil,
                                   delivery: AlertTestBed.fastDelivery, workspaceRoot: nil)
        let e = failure { try setup.checkEnvironment(["META_URL": "http://169.254.169.254/latest/meta-data?token=s3cret"]) }
        #expect(e.hasPrefix("vigil.yaml: receivers[meta].url: refused: the host is 169.254.169.254"), "\(e)")
        #expect(!e.contains("s3cret") && !e.contains("meta-data"), "the URL may hold a secret: only the address is named")
        #expect(failure { try setup.checkEnvironment(["META_URL": "file:///etc/passwd"]) }.contains("the scheme is 'file'"))
        #expect(failure { try setup.checkEnvironment(["META_URL": "https://hooks.slack.com/services/x"]) } == "")
    }

    /// The real binary, without a network namespace of its own (`unshare -n`): only loopback
    /// exists, and a refusal at load must not need even that.
    @Test func vigilCheckRefusesWithTheReceiverName() throws {
        guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return }
        for (name, url, expected) in [("files", "file:///etc/passwd", "the scheme is 'file'"),
                                      ("old", "gopher://127.0.0.1:70/_x", "the scheme is 'gopher'"),
                                      ("meta", "http://169.254.169.254/latest/meta-data", "refused: the host is 169.254.169.254")] {
            let root = NSTemporaryDirectory() + "vigil-guard-\(UUID().uuidString)"
            try Workspace.initialize(at: root, examplePolicy: ExamplePolicies.classifier)
            let yaml = try String(contentsOfFile: root + "/vigil.yaml", encoding: .utf8) + "receivers:\n  - {name: \(name), kind: webhook, url: \"\(url)\"}\n"
            try yaml.write(toFile: root + "/vigil.yaml", atomically: true, encoding: .utf8)
            let p = Process()
            p.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
            p.arguments = ["-n", VigilCommand.binary, "check", "--workspace", root]
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            try p.run()
            let text = String(decoding: out.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            p.waitUntilExit()
            #expect(p.terminationStatus == 1, "\(name): \(text)")
            #expect(text.contains("vigil.yaml: receivers[\(name)].url: \(expected)"), "\(name): \(text)")
        }
    }

    // MARK: when sending

    /// A bed whose receiver `ops` is at `url`, with `count` notices queued; its setup has no fence.
    func bed(_ url: String, count: Int = 1) throws -> AlertTestBed {
        let bed = try AlertTestBed(receivers: [Receiver(name: "ops", kind: .webhook, url: url)], routing: AlertRouting())
        let notices = Notices(store: bed.store, setup: bed.setup, clock: bed.clock)
        for i in 0..<count {
            try notices.enqueue(Notice(model: AlertTestBed.model, topic: "test", severity: .warning, message: "notice \(i)"), to: ["ops"])
        }
        return bed
    }

    func deliver(_ bed: AlertTestBed, _ settings: DeliverySettings) throws -> Deliverer.Summary {
        try Deliverer(store: bed.store, receivers: bed.setup.receivers, settings: settings, clock: bed.clock, owner: "test", seed: 1).runPass()
    }

    @Test func aDeniedAddressIsNotSentToAndTheRowIsDead() throws {
        let receiver = try LocalReceiver(host: "127.0.0.2")
        defer { receiver.stop() }
        let bed = try bed(receiver.url + "/hook", count: 2)
        let s = try deliver(bed, Self.fenced(denied: ["127.0.0.2/32"]))
        #expect(s.dead == 2 && s.delivered == 0 && s.retrying == 0, "a refusal is permanent: \(s)")
        let dead = try bed.outbox([.dead])
        #expect(dead.count == 2)
        #expect(dead.first?.lastError?.hasPrefix("refused: receivers[ops] is 127.0.0.2, inside delivery.denied_networks 127.0.0.2/32") == true,
                "\(dead.first?.lastError ?? "")")
        #expect(try receiver.requests().isEmpty, "nothing reached the receiver")
    }

    @Test func withoutAFenceTheSameReceiverGetsIt() throws {
        let receiver = try LocalReceiver(host: "127.0.0.2")
        defer { receiver.stop() }
        let bed = try bed(receiver.url + "/hook")
        #expect(try deliver(bed, AlertTestBed.fastDelivery).delivered == 1)
        #expect(try receiver.requests().count == 1)
        #expect(try deliver(try self.bed(receiver.url + "/hook"), Self.fenced(allowed: ["127.0.0.0/8"])).delivered == 1, "inside allowed_networks")
    }

    @Test func aNameIsCheckedByEveryAddressItResolvesTo() throws {
        let receiver = try LocalReceiver()
        defer { receiver.stop() }
        let bed = try bed("http://localhost:\(receiver.port)/hook")
        let s = try deliver(bed, Self.fenced(denied: ["127.0.0.0/8"]))
        #expect(s.dead == 1)
        let error = try bed.outbox([.dead]).first?.lastError ?? ""
        #expect(error.hasPrefix("refused: receivers[ops] resolves to 127.0.0.1, inside delivery.denied_networks 127.0.0.0/8"), "\(error)")
        #expect(try receiver.requests().isEmpty)
    }

    /// Plain http is sent to the checked address, the name kept in `Host:`.
    @Test func aNameIsSentToTheCheckedAddressWithItsHostHeader() throws {
        let receiver = try LocalReceiver()
        defer { receiver.stop() }
        let bed = try bed("http://localhost:\(receiver.port)/hook")
        #expect(try deliver(bed, AlertTestBed.fastDelivery).delivered == 1)
        let request = try #require(try receiver.requests().first)
        #expect(request.headers["host"] == "localhost:\(receiver.port)")
        #expect(request.path == "/hook")
    }

    /// The route itself (no connection): plain http to a name goes to the checked address, with
    /// the name in `Host:`; https and literal addresses are left as written.
    @Test func plainHTTPIsPinnedAndHTTPSKeepsTheName() throws {
        func route(_ url: String) throws -> [WebhookRequest] {
            let request = WebhookRequest(url: URL(string: url)!, headers: ["Content-Type": "application/json"], body: Data("{}".utf8))
            guard case .send(let requests) = try ReceiverTarget.route(request, receiver: "ops", fence: NetworkFence()) else {
                Issue.record("\(url) did not resolve")
                return []
            }
            return requests
        }
        let pinned = try route("http://localhost:8125/hook/a?b=c")
        #expect(pinned.map(\.url.absoluteString) == ["http://127.0.0.1:8125/hook/a?b=c"])
        #expect(pinned.first?.headers["Host"] == "localhost:8125")
        #expect(try route("http://localhost/x").first?.headers["Host"] == "localhost", "no port written, none added")
        #expect(try route("https://localhost:8443/hook").map(\.url.absoluteString) == ["https://localhost:8443/hook"], "TLS checks the name")
        let literal = try route("http://127.0.0.1:8125/hook")
        #expect(literal.map(\.url.absoluteString) == ["http://127.0.0.1:8125/hook"] && literal.first?.headers["Host"] == nil)
    }

    @Test(arguments: [302, 307])
    func aRedirectToADeniedAddressIsNotFollowed(status: Int) throws {
        let target = try LocalReceiver(host: "127.0.0.2")
        defer { target.stop() }
        let first = try LocalReceiver()
        defer { first.stop() }
        try first.script([["status": status, "location": target.url + "/stolen", "count": 5]])
        let bed = try bed(first.url + "/hook")
        let s = try deliver(bed, Self.fenced(denied: ["127.0.0.2/32"]))
        #expect(s.dead == 1 && s.delivered == 0, "\(s)")
        #expect(try bed.outbox([.dead]).first?.lastError?.contains("HTTP \(status): the receiver redirects and Vigil does not follow redirects") == true)
        #expect(try first.requests().count == 1)
        #expect(try target.requests().isEmpty, "the redirect was not followed")
    }
}
