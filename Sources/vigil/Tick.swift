import ArgumentParser
import Foundation
import VigilCore
import VigilJobs
import VigilStore
import VigilWorkspace

struct Tick: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every scheduled job that is due, once, and exit (put it in cron every minute).",
        discussion: """
            Reads the `schedule:` of every policy (cron expressions in the policy's `timezone:`, else vigil.yaml's, else UTC). For each job the due slot is its latest fire time at or before now; the slot is claimed with a lease row in the store, so overlapping ticks — on one machine or several — run it exactly once, and a tick after an outage catches up only the latest missed slot. Every run is recorded (`vigil jobs`) and logged as an event (`vigil log`).

            Job kinds: sample, evaluate (judges the window that ended the policy's evaluation.label_delay before the slot), retention (returns expired review claims to the queue), deliver-alerts, retrain-check (fails retraining jobs whose lease expired and retries them, queues a job when the policy's retraining trigger holds, runs the queued jobs: `vigil retrain --help`). Scheduled evaluations queue their alerts. After the scheduled jobs every tick also runs the alert pass: it queues repeats of still-firing alerts and post-silence updates, then delivers the outbox once (the same as `vigil alerts deliver`).

              # crontab
              * * * * * cd /srv/vigil && vigil tick
              # policies/shelf-classifier.yaml
              timezone: Europe/Berlin
              schedule:
                - {job: sample, cron: "@hourly"}
                - {job: evaluate, cron: "0 6 * * *"}

            Exit 0 when every run succeeded (or nothing was due), 1 when a job failed.
            """)

    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let outcomes = try reportingErrors(exitCode: 3) { () throws -> [Scheduler.Outcome] in
            let ws = try workspace.workspace()
            let clock = try workspace.clock()
            let (store, _, policies) = try ws.openStoreWithModels(clock: clock)
            return try Scheduler(store: store, clock: clock, registry: try ws.jobRegistry(store: store), defaultZone: try ws.scheduleZone())
                .tick(policies: policies)
        }
        for o in outcomes {
            print("\(o.slot.model)  \(o.slot.job)  slot \(Timestamp.format(millis: o.slot.slot))  run \(o.runID)  \(o.status.rawValue)  \(o.output)")
        }
        try reportingErrors(exitCode: 1) {
            let job = try AlertContext(workspace).job()
            let queued = try job.reconcile()
            let s = try job.deliver()
            // Silent when no receiver is configured and nothing happened.
            if !(try workspace.workspace().config.receivers.isEmpty) || queued + s.delivered + s.retrying + s.dead > 0 {
                print("alerts: \(queued) queued, \(s.delivered) delivered, \(s.retrying) retrying later, \(s.dead) dead-lettered")
            }
        }
        if outcomes.contains(where: { $0.status == .failed }) { throw ExitCode(1) }
    }
}

struct Jobs: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "List the scheduler's job runs, newest first.",
        discussion: """
              vigil jobs
              vigil jobs --model shelf-classifier --limit 10 --format json
            """)

    @Option(help: "Only runs of this model.") var model: String?
    @Option(help: "How many runs.") var limit = 50
    @Option(help: "Output: table or json.") var format: ListFormat = .table
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let runs = try reportingErrors(exitCode: 1) { try workspace.workspace().openStore(access: .readOnly).jobRuns(model: model, limit: limit) }
        switch format {
        case .json:
            print(try jsonText(runs))
        case .table:
            if runs.isEmpty { print("no job runs yet: add a schedule: to a policy and run `vigil tick`") }
            for r in runs {
                let end = r.finishedAt.map { String(format: "%.1fs", Double($0 - r.startedAt) / 1000) } ?? "running"
                print("\(r.id)  \(r.slot.model)  \(r.slot.job)  slot \(Timestamp.format(millis: r.slot.slot))  started \(Timestamp.format(millis: r.startedAt))  \(end)  \(r.status.rawValue)  \(r.error ?? r.output ?? "")")
            }
        }
    }
}

enum ListFormat: String, ExpressibleByArgument, CaseIterable { case table, json }

/// Pretty, key-sorted JSON.
func jsonText<T: Encodable>(_ value: T) throws -> String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    return String(decoding: try encoder.encode(value), as: UTF8.self)
}
