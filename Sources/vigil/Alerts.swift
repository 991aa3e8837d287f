import ArgumentParser
import Foundation
import VigilAlerts
import VigilCore
import VigilJobs
import VigilStore
import VigilWorkspace

struct Alerts: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Alert state, silences, the notification outbox and its delivery.",
        discussion: """
            `vigil evaluate` turns findings into alerts and queues notifications for the receivers its policy routes them to; `vigil alerts deliver` (or `vigil tick`) sends them. Receivers live in vigil.yaml, routes in each policy's `alerts:` section (docs/formats.md).

              vigil alerts list
              vigil alerts test team-slack && vigil alerts deliver
              vigil alerts silence --model shelf-classifier --rule "recall[can]" --for 2h --reason "camera swap"
              vigil alerts outbox --dead
              vigil alerts retry --all-dead
              vigil alerts link --model shelf-classifier --run 42
            """,
        subcommands: [AlertsList.self, AlertsDeliver.self, AlertsOutbox.self, AlertsRetry.self, AlertsTest.self,
                      AlertsSilence.self, AlertsSilences.self, AlertsUnsilence.self, AlertsTemplates.self, AlertsLink.self]
    )
}

/// What alert commands share: the workspace, its store, clock and alert setup.
struct AlertContext {
    let workspace: Workspace
    let store: any Store
    let clock: any VigilClock
    let setup: AlertSetup

    init(_ options: WorkspaceOptions) throws {
        workspace = try options.workspace()
        store = try workspace.openStore()
        clock = try options.clock()
        setup = try workspace.alertSetup(store: store)
    }

    var now: Int64 { Timestamp.millis(clock.now) }

    func job() throws -> AlertsJob {
        AlertsJob(store: store, setup: setup, policies: try workspace.loadPolicies(), clock: clock)
    }
}

struct AlertsList: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list", abstract: "Show alerts and their state, firing first.",
        discussion: "  vigil alerts list\n  vigil alerts list --model shelf-classifier")

    @Option(help: "Only alerts of this model.") var model: String?
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let store = try workspace.workspace().openStore(access: .readOnly)
            let now = Timestamp.millis(try workspace.clock().now)
            let alerts = try store.alerts(model: model)
            let silences = try store.silences(activeAt: now)
            if alerts.isEmpty { print("no alerts yet: they appear when `vigil evaluate` reports a warning or critical finding") }
            for a in alerts {
                let muted = silences.first { $0.mutes(a, at: now) }.map { " (silenced by \($0.id ?? 0))" } ?? ""
                let since = Timestamp.format(millis: a.state == .firing ? a.startsAt : (a.endsAt ?? a.updatedAt))
                print("\(a.state.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(a.severity.rawValue.padding(toLength: 9, withPad: " ", startingAt: 0)) \(a.model)  \(a.rule)  since \(since)  run \(a.runID.map(String.init) ?? "-")  \(a.fingerprint)\(muted)")
                print("          \(a.message)")
            }
        }
    }
}

struct AlertsDeliver: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "deliver", abstract: "Send the notifications that are due (one pass), after queuing repeats and post-silence updates.",
        discussion: """
            Exit 0 when nothing failed for good in this pass, 1 otherwise (see `vigil alerts outbox --dead`).

              vigil alerts deliver
              vigil alerts deliver --loop --interval 5     # keep delivering (a small service)
            """)

    @Flag(help: "Keep delivering until stopped.") var loop = false
    @Option(help: "Seconds between passes with --loop.") var interval: Double = 5
    @Option(help: "Seed of the backoff jitter (tests).") var seed: UInt64?
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let dead = try reportingErrors(exitCode: 1) { () throws -> Int in
            let c = try AlertContext(workspace)
            let job = try c.job()
            repeat {
                let queued = try job.reconcile()
                let s = try job.deliver(seed: seed)
                if !loop || s.attempts > 0 || queued > 0 {
                    print("delivered \(s.delivered), retrying later \(s.retrying), dead-lettered \(s.dead)" + (queued > 0 ? " (\(queued) newly queued)" : ""))
                }
                if !loop { return s.dead }
                if s.attempts == 0 { Thread.sleep(forTimeInterval: interval) }
            } while true
        }
        if dead > 0 { throw ExitCode(1) }
    }
}

struct AlertsOutbox: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "outbox", abstract: "Show queued notifications (pending by default).",
        discussion: "  vigil alerts outbox\n  vigil alerts outbox --dead\n  vigil alerts outbox --all --limit 200")

    @Flag(help: "Only dead-lettered notifications.") var dead = false
    @Flag(help: "Pending, delivered and dead.") var all = false
    @Option(help: "At most this many rows.") var limit = 50
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let store = try workspace.workspace().openStore(access: .readOnly)
            let states: [OutboxState] = dead ? [.dead] : (all ? OutboxState.allCases : [.pending])
            let rows = try store.outbox(states: states, limit: limit)
            if rows.isEmpty { print("no \(states.map(\.rawValue).joined(separator: "/")) notifications") }
            for r in rows {
                let n = r.notification
                let when = r.state == .pending ? "next \(Timestamp.format(millis: r.nextAttemptAt))" : "at \(Timestamp.format(millis: r.finishedAt ?? 0))"
                print("\(n.id)  \(r.state.rawValue)  \(n.receiver)  \(n.topic)  \(n.model ?? "-")  attempts \(r.attempts)  \(when)"
                    + (r.lastError.map { "  last error: \($0)" } ?? ""))
            }
            if dead && !rows.isEmpty { print("retry with `vigil alerts retry ID` or `vigil alerts retry --all-dead` once the cause is fixed") }
        }
    }
}

struct AlertsRetry: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "retry", abstract: "Put dead-lettered notifications back in the queue.",
        discussion: "  vigil alerts retry vn_3f2a9c0d41e87b6a5c2d1e0f\n  vigil alerts retry --all-dead && vigil alerts deliver")

    @Argument(help: "Notification ids (from `vigil alerts outbox --dead`).") var ids: [String] = []
    @Flag(help: "Every dead-lettered notification.") var allDead = false
    @OptionGroup var workspace: WorkspaceOptions

    func validate() throws {
        if ids.isEmpty != allDead { throw ValidationError("give notification ids or --all-dead") }
    }

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let c = try AlertContext(workspace)
            let n = try c.store.retryDead(ids: allDead ? nil : ids, now: c.now, actor: "cli")
            print("\(n) notification\(n == 1 ? "" : "s") queued again; `vigil alerts deliver` sends them")
            if n == 0 && !ids.isEmpty { throw JobError("none of \(ids.joined(separator: ", ")) is dead-lettered: see `vigil alerts outbox --dead`") }
        }
    }
}

struct AlertsLink: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "link", abstract: "Print a signed link to a report page of `vigil serve` (opens without a token for 30 days).",
        discussion: """
            The same link an alert carries (docs/server.md, "Report pages"), made now: for
            someone whose alert link expired. Needs server_url in vigil.yaml.

              vigil alerts link --model shelf-classifier
              vigil alerts link --model shelf-classifier --run 42
            """)

    @Option(help: "The model whose page to link.") var model: String
    @Option(name: .customLong("run"), help: "A stored evaluation run of the model (default: the model's page).") var runID: Int64?
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        try reportingErrors(exitCode: 1) {
            print(try AlertContext(workspace).job().reportLink(model: model, runID: runID))
        }
    }
}

struct AlertsTest: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "test", abstract: "Send a sample notification to a receiver now, to see it in the channel.",
        discussion: """
            Sends a sample straight to the receiver, once, outside the outbox: notifications queued for it are not sent with it and do not hold it up (`vigil alerts deliver` sends those). Exit 1 when it was not delivered.

              vigil alerts test team-slack
              vigil alerts test audit-hook --count 1000 --queue-only   # load for a benchmark
            """)

    @Argument(help: "A receiver name from vigil.yaml.") var receiver: String
    @Option(help: "How many samples.") var count = 1
    @Flag(help: "Only queue them in the outbox; `vigil alerts deliver` sends them.") var queueOnly = false
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let c = try AlertContext(workspace)
            if queueOnly {
                let notices = Notices(store: c.store, setup: c.setup, clock: c.clock)
                let ids = try (0..<max(1, count)).map { _ in try notices.test(receiver: receiver) }
                print("queued \(ids.count) sample notification\(ids.count == 1 ? "" : "s") for \(receiver)")
                return
            }
            for (id, attempt) in try c.job().sendTests(receiver: receiver, count: count) {
                guard attempt.delivered else {
                    throw JobError("\(receiver) did not take the sample \(id): \(attempt.error ?? "HTTP \(attempt.status ?? 0)"); fix the receiver in vigil.yaml and run `vigil alerts test \(receiver)` again")
                }
                if count <= 1 { print("sent \(id) to \(receiver): HTTP \(attempt.status ?? 0)") }
            }
            if count > 1 { print("sent \(count) samples to \(receiver)") }
        }
    }
}

struct AlertsSilence: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "silence", abstract: "Mute a model's alerts (or one rule / class) for a while.",
        discussion: """
            Silenced alerts still change state; receivers hear the current state when the silence ends.

              vigil alerts silence --model shelf-classifier --for 2h --reason "relabelling in progress"
              vigil alerts silence --model shelf-classifier --rule "recall[can]" --for 1d --reason "known camera issue"
            """)

    @Option(help: "The model.") var model: String
    @Option(help: "Only this rule, e.g. recall[can] or macro_f1.") var rule: String?
    @Option(name: .customLong("class"), help: "Only this class.") var className: String?
    @Option(name: .customLong("for"), help: "How long, e.g. 30m, 2h, 1d.") var duration: String
    @Option(help: "Why (kept in the event log).") var reason: String
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        try reportingErrors(exitCode: 1) {
            guard let seconds = WindowLength.seconds(duration) else { throw JobError("--for '\(duration)' is not a length such as 30m, 2h or 1d") }
            let c = try AlertContext(workspace)
            let id = try c.store.addSilence(Silence(model: model, rule: rule, className: className, startsAt: c.now, endsAt: c.now + seconds * 1000,
                                                    reason: reason, createdBy: ProcessInfo.processInfo.environment["USER"] ?? "cli"))
            print("silence \(id) until \(Timestamp.format(millis: c.now + seconds * 1000)); end it early with `vigil alerts unsilence \(id)`")
        }
    }
}

struct AlertsSilences: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "silences", abstract: "List silences in force (or all with --all).",
        discussion: "  vigil alerts silences\n  vigil alerts silences --all")

    @Flag(help: "Include expired silences.") var all = false
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let c = try AlertContext(workspace)
            let list = try c.store.silences(activeAt: all ? nil : c.now)
            if list.isEmpty { print("no silences\(all ? "" : " in force")") }
            for s in list {
                print("\(s.id ?? 0)  \(s.model)  rule \(s.rule ?? "*")  class \(s.className ?? "*")  \(Timestamp.format(millis: s.startsAt)) → \(Timestamp.format(millis: s.endsAt))  by \(s.createdBy): \(s.reason)")
            }
        }
    }
}

struct AlertsUnsilence: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "unsilence", abstract: "End a silence now.",
        discussion: "  vigil alerts unsilence 3")

    @Argument(help: "The silence id (from `vigil alerts silences`).") var id: Int64
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let c = try AlertContext(workspace)
            guard try c.store.endSilence(id: id, now: c.now, actor: "cli") else {
                throw JobError("no silence \(id) in force: see `vigil alerts silences --all`")
            }
            print("silence \(id) ended; receivers hear the current state at the next `vigil alerts deliver`")
        }
    }
}

struct AlertsTemplates: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "templates", abstract: "Write the built-in body templates, to copy and edit.",
        discussion: """
            Writes alerts/<kind>.mustache for every receiver kind (existing files are kept). A template in the workspace's alerts/ folder replaces the built-in one for its kind; a receiver's `template:` field points at a file of its own.

              vigil alerts templates                 # into ./alerts
              vigil alerts templates --out /tmp/tpl
            """)

    @Option(help: "Folder to write into.") var out = "alerts"

    func run() throws {
        try reportingErrors(exitCode: 1) {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
            for kind in ReceiverKind.allCases {
                let path = (out as NSString).appendingPathComponent("\(kind.rawValue).mustache")
                if FileManager.default.fileExists(atPath: path) { print("kept \(path)"); continue }
                try TemplateSet.builtIn(kind).write(toFile: path, atomically: true, encoding: .utf8)
                print("wrote \(path)")
            }
        }
    }
}
