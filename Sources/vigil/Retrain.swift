import ArgumentParser
import Foundation
import VigilCore
import VigilJobs
import VigilStore
import VigilWorkspace

struct Retrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Retraining jobs: train a candidate, register it, gate it against the champion.",
        discussion: """
            A job exports the training set (the champion's training data + reviewed labels) and a holdout (a time split of reviewed items + gold items), runs the policy's trainer, computes the holdout metrics itself from the trainer's predictions, registers the candidate and runs the gate (docs/registry.md). With `gate.promote: auto` a passing candidate becomes champion. The scheduled `retrain-check` job queues jobs when the policy's retraining trigger holds, runs them, and retries jobs whose process died.

              vigil retrain --model shelf-classifier                 # queue a job and run it now
              vigil retrain --model shelf-classifier --queue-only    # leave it for retrain-check / retrain run
              vigil retrain run --model shelf-classifier             # run queued jobs
              vigil retrain list
              vigil retrain show 4                                   # state, attempts, error, log
              vigil retrain cancel 4
            """,
        subcommands: [Start.self, Run.self, List.self, Show.self, Cancel.self],
        defaultSubcommand: Start.self)

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "start",
            abstract: "Queue a retraining job for a model and (unless --queue-only) run it in this process.",
            discussion: """
                Exit 0 when the job succeeded (whatever the gate said), 1 when it failed.

                  vigil retrain --model shelf-classifier
                  vigil retrain --model shelf-classifier --trainer command --command "python3 train.py {train} {holdout} {out} {model} {champion_predictions}"
                """)
        @Option(help: "The model (as named in its policy).") var model: String
        @Option(help: "Trainer: command or embedded (default: the policy's retraining.trainer).") var trainer: TrainerKind?
        @Option(help: "Command template for the command trainer (default: the policy's retraining.command).") var command: String?
        @Flag(help: "Only queue the job.") var queueOnly = false
        @OptionGroup var workspace: WorkspaceOptions

        func run() throws {
            let outcome = try reportingErrors(exitCode: 1) { () throws -> RetrainJob.Outcome? in
                let ws = try workspace.workspace()
                let clock = try workspace.clock()
                let (store, catalog, _) = try ws.openStoreWithModels(clock: clock)
                var policy = try ws.policy(for: model)
                policy = policy.withClasses(catalog.models[policy.model]?.classes ?? policy.classes)
                var settings = policy.retraining ?? RetrainingSettings()
                if let trainer { settings.trainer = trainer }
                if let command { settings.command = command }
                policy.retraining = settings
                let problems = settings.problems()
                if !problems.isEmpty { throw JobError("policy of '\(model)': " + problems.joined(separator: "; ")) }
                let job = try ws.retrainJob(store: store, policy: policy, clock: clock, actor: Scheduler.defaultOwner)
                _ = try Trainers.make(policy: policy, workspaceRoot: ws.root)  // say now when the trainer cannot run, before queueing
                let queued = try job.enqueue(policy: policy, trigger: "manual")
                if queueOnly {
                    print("retrain job \(queued.id) queued: `vigil retrain run --model \(model)` or the scheduled retrain-check runs it")
                    return nil
                }
                return try job.run(policy: policy, jobID: queued.id)
            }
            guard let outcome else { return }
            print(outcome.summary)
            if outcome.job.state != .succeeded { throw ExitCode(1) }
        }
    }

    struct Run: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run queued retraining jobs (of one model, or one job) in this process.",
            discussion: "  vigil retrain run --model shelf-classifier\n  vigil retrain run --model shelf-classifier --job 4")
        @Option(help: "The model.") var model: String
        @Option(help: "Only this job.") var job: Int64?
        @OptionGroup var workspace: WorkspaceOptions

        func run() throws {
            let outcomes = try reportingErrors(exitCode: 1) { () throws -> [RetrainJob.Outcome] in
                let ws = try workspace.workspace()
                let clock = try workspace.clock()
                let (store, catalog, _) = try ws.openStoreWithModels(clock: clock)
                let policy = try ws.policy(for: model)
                let runner = try ws.retrainJob(store: store, policy: policy.withClasses(catalog.models[model]?.classes ?? policy.classes),
                                               clock: clock, actor: Scheduler.defaultOwner)
                var out: [RetrainJob.Outcome] = []
                if let job {
                    guard let o = try runner.run(policy: policy, jobID: job) else { throw JobError("job \(job) is not queued: see `vigil retrain show \(job)`") }
                    out.append(o)
                } else {
                    while let o = try runner.run(policy: policy) { out.append(o) }
                }
                return out
            }
            if outcomes.isEmpty { print("no queued retraining job for \(model)") }
            for o in outcomes { print(o.summary) }
            if outcomes.contains(where: { $0.job.state != .succeeded }) { throw ExitCode(1) }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Retraining jobs, newest first.",
            discussion: "  vigil retrain list --model shelf-classifier --format json")
        @Option(help: "Only this model.") var model: String?
        @Option(help: "How many jobs.") var limit = 50
        @Option(help: "Output: table or json.") var format: ListFormat = .table
        @OptionGroup var workspace: WorkspaceOptions

        func run() throws {
            let jobs = try reportingErrors(exitCode: 1) { try workspace.workspace().openStore().retrainJobs(model: model, limit: limit) }
            switch format {
            case .json: print(try jsonText(jobs.map { var j = $0; j.log = nil; return j }))
            case .table:
                if jobs.isEmpty { print("no retraining jobs yet: `vigil retrain --model MODEL`") }
                for j in jobs {
                    print("\(j.id)  \(j.model)  \(j.state.rawValue)  \(j.trigger)  \(j.trainer)  attempt \(j.attempts)/\(j.maxAttempts)  queued \(Timestamp.format(millis: j.createdAt))"
                          + (j.candidateVersion.map { "  candidate v\($0)" } ?? "") + (j.error.map { "  error: \($0)" } ?? ""))
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One job: state, attempts, lease, cause, error and log.", discussion: "  vigil retrain show 4")
        @Argument(help: "The job id.") var id: Int64
        @Option(help: "Output: table or json.") var format: ListFormat = .table
        @OptionGroup var workspace: WorkspaceOptions

        func run() throws {
            let job = try reportingErrors(exitCode: 1) { () throws -> RetrainJobRecord in
                guard let j = try workspace.workspace().openStore().retrainJob(id: id) else { throw JobError("no retraining job \(id): see `vigil retrain list`") }
                return j
            }
            if format == .json { print(try jsonText(job)); return }
            print("job \(job.id)  \(job.model)  \(job.state.rawValue)  trigger \(job.trigger)  trainer \(job.trainer)  attempt \(job.attempts)/\(job.maxAttempts)")
            print("owner \(job.owner ?? "-")  pid \(job.pid.map(String.init) ?? "-")  lease until \(job.leaseUntil.map { Timestamp.format(millis: $0) } ?? "-")")
            print("cause \(job.cause)")
            if let v = job.candidateVersion { print("candidate v\(v)") }
            if let e = job.error { print("error \(e)") }
            if let log = job.log { print("--- log ---\n" + log) }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Cancel a queued or running job (a running trainer is stopped within seconds).",
            discussion: "  vigil retrain cancel 4")
        @Argument(help: "The job id.") var id: Int64
        @OptionGroup var workspace: WorkspaceOptions

        func run() throws {
            try reportingErrors(exitCode: 1) {
                let clock = try workspace.clock()
                try workspace.workspace().openStore().finishRetrainJob(id: id, state: .cancelled, now: Timestamp.millis(clock.now),
                                                                       error: "cancelled by \(ProcessInfo.processInfo.environment["USER"] ?? "cli")", log: nil, candidateVersion: nil)
            }
            print("job \(id) cancelled")
        }
    }
}

extension TrainerKind: ExpressibleByArgument {}
