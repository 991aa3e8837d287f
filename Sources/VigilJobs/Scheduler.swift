import Foundation
import VigilAlerts
import VigilCore
import VigilRegistry
import VigilSampling
import VigilStore

/// What a job needs to run one slot.
public struct JobContext: Sendable {
    public var store: any Store
    public var policy: Policy
    /// The slot's scheduled instant (ms).
    public var slot: Int64
    /// When the run started (ms).
    public var now: Int64
    public var clock: any VigilClock
    /// Who runs it (host:pid), for the event log.
    public var actor: String
}

/// How a job run ended, with a one-line summary of what it produced.
public struct JobResult: Sendable {
    public var status: JobRunStatus
    public var output: String
    public init(status: JobRunStatus = .succeeded, output: String) {
        self.status = status
        self.output = output
    }
}

/// Runs one kind of job for one slot; throws to record the run as failed.
public typealias JobRunner = @Sendable (JobContext) throws -> JobResult

/// The job kinds the scheduler knows, each with its runner. A kind without a runner in this
/// build is recorded as `unavailable`, never faked.
public struct JobRegistry: Sendable {
    public var runners: [String: JobRunner]

    public init(runners: [String: JobRunner]) { self.runners = runners }

    /// `sample`, `evaluate`, `retention`, `deliver-alerts` (evaluations queue their alerts
    /// with `alerts`) and `retrain-check` (retraining jobs of the workspace in the current folder).
    public static var standard: JobRegistry { standard(alerts: .silent()) }

    /// The standard runners, with evaluations and alert delivery using `alerts`, retraining
    /// jobs writing under `workspaceRoot` and registering in `registry` (default: the store's
    /// embedded registry), and `retention` removing raw predictions older than `retention` ms
    /// before the slot (vigil.yaml's `retention`; `nil` keeps them).
    public static func standard(alerts: AlertSetup, workspaceRoot: String = FileManager.default.currentDirectoryPath,
                                registry: (@Sendable (any Store) throws -> any ModelRegistry)? = nil,
                                retention: Int64? = nil) -> JobRegistry {
        JobRegistry(runners: [
            "sample": { ctx in
                let outcome = try SampleRun(store: ctx.store, actor: ctx.actor).run(policy: ctx.policy, now: ctx.slot)
                return JobResult(output: outcome.summary)
            },
            "evaluate": { ctx in
                // Ground truth arrives late: judge the window that ended label_delay before the slot.
                let w = ctx.policy.canonicalWindow(at: ctx.slot)
                // Before the model's first prediction there is nothing to judge: no "unknown" run is stored.
                guard let first = try ctx.store.firstPredictionTime(model: ctx.policy.model), first < w.to else {
                    return JobResult(output: "nothing to evaluate: \(ctx.policy.model) has no predictions before the window's end "
                                     + "\(Timestamp.format(millis: w.to)) (window \(Timestamp.format(millis: w.from))..\(Timestamp.format(millis: w.to))); no run stored")
                }
                let report = try EvaluateJob(store: ctx.store, clock: ctx.clock, actor: ctx.actor, alerts: alerts).run(
                    policy: ctx.policy, window: .range(from: Timestamp.date(millis: w.from), to: Timestamp.date(millis: w.to)))
                return JobResult(output: "run \(report.runID.map(String.init) ?? "?"): \(report.verdict), \(report.labeled) labelled, window \(report.window.from)..\(report.window.to)")
            },
            "retention": { ctx in
                let expired = try ctx.store.expireLeases(now: ctx.now)
                let claims = "returned \(expired) expired review claims to the queue"
                guard let retention else { return JobResult(output: claims + "; raw predictions are kept (no retention in vigil.yaml)") }
                return JobResult(output: claims + "; " + (try ctx.store.applyRetention(before: ctx.slot - retention)).summary)
            },
            "deliver-alerts": { ctx in
                let job = AlertsJob(store: ctx.store, setup: alerts, policies: [ctx.policy], clock: ctx.clock, actor: ctx.actor)
                let queued = try job.reconcile()
                let s = try job.deliver()
                return JobResult(output: "\(queued) queued, \(s.delivered) delivered, \(s.retrying) retrying later, \(s.dead) dead-lettered")
            },
            "retrain-check": { ctx in
                let notify = Promotion.notifier(store: ctx.store, setup: alerts, policy: ctx.policy, clock: ctx.clock, actor: ctx.actor)
                let job = RetrainJob(store: ctx.store, workspaceRoot: workspaceRoot, registry: try registry?(ctx.store) ?? EmbeddedRegistry(store: ctx.store),
                                     clock: ctx.clock, actor: ctx.actor, notify: notify)
                return JobResult(output: try job.check(policy: ctx.policy))
            },
        ])
    }
}

/// Decides which schedule slots are due and runs each once, under a lease row in the store.
///
/// For each `(model, job)` of the policies, the due slot is the latest cron fire time at or
/// before now: a tick after an outage catches up that one slot, not every missed one. The
/// slot's row is claimed with a UNIQUE constraint, so overlapping ticks — in one machine or
/// several — run it exactly once; a run whose process died is taken over after its lease.
///
/// ```swift
/// let outcomes = try Scheduler(store: store, clock: SystemClock()).tick(policies: policies)
/// ```
public struct Scheduler: Sendable {
    public let store: any Store
    public let clock: any VigilClock
    public let registry: JobRegistry
    /// Time zone of policies without `timezone:`.
    public let defaultZone: TimeZone
    /// How long a run may hold its slot before another tick may take it over.
    public let leaseMillis: Int64
    public let owner: String

    public init(store: any Store, clock: any VigilClock, registry: JobRegistry = .standard, defaultZone: TimeZone = TimeZone(identifier: "UTC")!,
                leaseMillis: Int64 = 3_600_000, owner: String = Scheduler.defaultOwner) {
        self.store = store
        self.clock = clock
        self.registry = registry
        self.defaultZone = defaultZone
        self.leaseMillis = leaseMillis
        self.owner = owner
    }

    /// `host:pid`.
    public static var defaultOwner: String { "\(ProcessInfo.processInfo.hostName):\(ProcessInfo.processInfo.processIdentifier)" }

    /// The slots due at `now` (the latest fire of every schedule entry), whether or not they ran.
    public func dueSlots(policies: [Policy], now: Date) throws -> [JobSlot] {
        var out: [JobSlot] = []
        for policy in policies {
            let zone = try zone(of: policy)
            for (i, entry) in policy.schedule.enumerated() {
                let cron: CronSchedule
                do { cron = try CronSchedule(entry.cron) } catch {
                    throw JobError("policy of '\(policy.model)': schedule[\(i)].cron: \(error.problem)")
                }
                if let fire = cron.latestFire(atOrBefore: now, in: zone) {
                    out.append(JobSlot(model: policy.model, job: entry.job, slot: Timestamp.millis(fire)))
                }
            }
        }
        return out
    }

    func zone(of policy: Policy) throws -> TimeZone {
        guard let name = policy.timezone else { return defaultZone }
        guard let zone = TimeZone(identifier: name) else {
            throw JobError("policy of '\(policy.model)': timezone: '\(name)' is not an IANA time zone such as Europe/Berlin")
        }
        return zone
    }

    /// What a tick did with one slot.
    public struct Outcome: Sendable, Equatable {
        public var slot: JobSlot
        public var runID: Int64
        public var status: JobRunStatus
        public var output: String
    }

    /// Runs every due slot that no other tick has claimed; returns the runs this tick made.
    public func tick(policies: [Policy]) throws -> [Outcome] {
        let now = clock.now
        let slots = try dueSlots(policies: policies, now: now)
        var outcomes: [Outcome] = []
        for slot in slots {
            let started = Timestamp.millis(clock.now)
            guard let runID = try store.claimSlot(slot, owner: owner, now: started, leaseMillis: leaseMillis) else { continue }
            guard let policy = policies.first(where: { $0.model == slot.model }) else { continue }
            let ctx = JobContext(store: store, policy: policy, slot: slot.slot, now: started, clock: clock, actor: owner)
            var result: JobResult
            var error: String?
            if let runner = registry.runners[slot.job] {
                do {
                    result = try runner(ctx)
                } catch let e {
                    result = JobResult(status: .failed, output: "")
                    error = "\(e)"
                }
            } else {
                result = JobResult(status: .unavailable, output: "no runner for job '\(slot.job)' in this build")
            }
            try store.finishJobRun(id: runID, status: result.status, finishedAt: Timestamp.millis(clock.now), error: error,
                                   output: result.output.isEmpty ? nil : result.output)
            outcomes.append(Outcome(slot: slot, runID: runID, status: result.status, output: error ?? result.output))
        }
        return outcomes
    }
}
