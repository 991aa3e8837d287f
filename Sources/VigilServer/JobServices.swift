import Foundation
import Logging
import ServiceLifecycle
import VigilAlerts
import VigilCore
import VigilJobs
import VigilStore

/// Runs a blocking `pass` every `interval` seconds on a Dispatch thread until a graceful
/// shutdown: the pass in progress then finishes, and no new one starts.
struct PeriodicService: Service {
    let name: String
    let interval: Int64
    let logger: Logger
    let pass: @Sendable () throws -> Void

    func run() async throws {
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            do {
                try await Blocking.run(pass)
            } catch {
                logger.error("\(name) failed", metadata: ["error": .string("\(error)")])
            }
            try? await cancelWhenGracefulShutdown { try await Task.sleep(for: .seconds(interval)) }
        }
        logger.info("\(name) stopped")
    }
}

/// The scheduler's pass inside `vigil serve`: what `vigil tick` runs (the policies' due jobs,
/// each slot once under a lease), with the policies as they are on disk now. On SIGTERM the
/// tick in progress finishes and records its runs.
struct SchedulerPass: Sendable {
    let workspace: Workspace
    let store: any Store
    let clock: any VigilClock
    let metrics: ServerMetrics
    let logger: Logger

    func run() throws {
        for o in try tick() {
            logger.info("job run", metadata: ["model": .string(o.slot.model), "job": .string(o.slot.job), "run_id": .stringConvertible(o.runID),
                                              "status": .string(o.status.rawValue), "output": .string(o.output)])
        }
    }

    func tick() throws -> [Scheduler.Outcome] {
        let policies = try workspace.loadPolicies()
        _ = try store.syncModels(policies.map(\.schema), now: Timestamp.millis(clock.now))
        let zone = try workspace.scheduleZone()
        var registry = try workspace.jobRegistry(store: store)
        let metrics = self.metrics
        for (job, runner) in registry.runners {
            registry.runners[job] = { context in
                let started = ContinuousClock.now
                do {
                    let result = try runner(context)
                    metrics.jobRan(model: context.policy.model, job: job, status: result.status.rawValue, duration: ContinuousClock.now - started)
                    return result
                } catch {
                    metrics.jobRan(model: context.policy.model, job: job, status: "failed", duration: ContinuousClock.now - started)
                    throw error
                }
            }
        }
        let outcomes = try Scheduler(store: store, clock: clock, registry: registry, defaultZone: zone).tick(policies: policies)
        metrics.ticked(now: clock.now)
        return outcomes
    }
}

/// The alert deliverer's pass inside `vigil serve`: queues repeats and post-silence updates and
/// delivers what is due (what `vigil alerts deliver --loop` does each round). On SIGTERM the pass
/// in progress finishes (each attempted row's outcome is recorded; rows not reached keep their
/// lease and come back when it expires).
struct DeliveryPass: Sendable {
    let workspace: Workspace
    let store: any Store
    let clock: any VigilClock
    let metrics: ServerMetrics
    let logger: Logger

    func run() throws {
        let job = AlertsJob(store: store, setup: try workspace.alertSetup(store: store), policies: try workspace.loadPolicies(), clock: clock, actor: "serve")
        try job.reconcile()
        let s = try job.deliver()
        metrics.delivered((s.delivered, s.retrying, s.dead))
        if s.attempts > 0 {
            logger.info("alert delivery", metadata: ["delivered": .stringConvertible(s.delivered), "retrying": .stringConvertible(s.retrying),
                                                     "dead": .stringConvertible(s.dead)])
        }
    }
}

/// Marks the server as draining (/readyz answers 503) as soon as a graceful shutdown starts.
struct ReadinessService: Service {
    let lifecycle: Lifecycle
    let logger: Logger

    func run() async throws {
        try? await gracefulShutdown()
        lifecycle.draining = true
        logger.info("draining: /readyz answers 503, in-flight requests finish")
    }
}
