import ArgumentParser
import Foundation
import VigilCore
import VigilJobs
import VigilRegistry
import VigilStore
import VigilWorkspace

struct Registry: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Model versions, the gate, promotions and rollbacks.",
        discussion: """
            Every model version has an artifact (stored by its SHA-256 under .vigil/artifacts), a state (candidate, promoted, rejected, archived), lineage and a model card with the gate's verdict. `champion` is the version in production; promotion moves it through the gate (docs/registry.md), atomically, logged and notified.

              vigil registry register --model shelf-classifier --artifact model.onnx --training-data train.ndjson --champion
              vigil registry list --model shelf-classifier
              vigil registry show --model shelf-classifier --version 3
              vigil registry gate --model shelf-classifier --version 3
              vigil registry promote --model shelf-classifier --version 3
              vigil registry promote --model shelf-classifier --version 4 --override --reason "hotfix for camera 7"
              vigil registry rollback --model shelf-classifier --reason "complaints from site B"
              vigil registry history --model shelf-classifier
            """,
        subcommands: [List.self, Show.self, Gate.self, Promote.self, Rollback.self, History.self, Register.self])

    /// Options of the commands that act on one model.
    struct ModelOptions: ParsableArguments {
        @Option(help: "The model (as named in its policy).") var model: String
        @Option(help: "Who acts, for the history and notifications (default: $USER).") var actor: String?
        @OptionGroup var workspace: WorkspaceOptions

        var who: String { actor ?? ProcessInfo.processInfo.environment["USER"] ?? "cli" }

        /// The workspace, store, clock and the model's policy.
        func open() throws -> (ws: Workspace, store: any Store, clock: any VigilClock, policy: Policy) {
            let ws = try workspace.workspace()
            let clock = try workspace.clock()
            let (store, catalog, _) = try ws.openStoreWithModels(clock: clock)
            let policy = try ws.policy(for: model)
            return (ws, store, clock, policy.withClasses(catalog.models[policy.model]?.classes ?? policy.classes))
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Versions of a model with state, aliases, gate verdict and primary metric.",
            discussion: "  vigil registry list --model shelf-classifier --format json")
        @OptionGroup var options: ModelOptions
        @Option(help: "Output: table or json.") var format: ListFormat = .table

        func run() throws {
            let (versions, aliases) = try reportingErrors(exitCode: 1) { () throws -> ([ModelVersion], [String: Int]) in
                let (ws, store, _, _) = try options.open()
                let registry = try ws.modelRegistry(store: store)
                let versions = try registry.versions(model: options.model)
                var aliases: [String: Int] = [:]
                for name in ["champion", "challenger", "previous_champion"] { aliases[name] = try registry.alias(name, model: options.model) }
                return (versions, aliases)
            }
            switch format {
            case .json: print(try jsonText(versions))
            case .table:
                if versions.isEmpty { print("\(options.model) has no versions: `vigil registry register` or `vigil retrain`") }
                for v in versions {
                    let names = aliases.filter { $0.value == v.version }.keys.sorted()
                    var line = "v\(v.version)  \(v.state.rawValue)"
                    if !names.isEmpty { line += "  [\(names.joined(separator: ", "))]" }
                    line += "  sha256 \(v.artifactSHA256.prefix(12))  \(Timestamp.format(millis: v.createdAt))"
                    if let p = v.parentVersion { line += "  parent v\(p)" }
                    if let j = v.jobID { line += "  job \(j)" }
                    if let g = ModelCard.decode(v.card, classes: v.classes).gate {
                        line += "  gate " + (g.passed ? "PASS" : "FAIL")
                        if let value = g.candidateValue { line += " \(g.metric) " + String(format: "%.4f", value) }
                    }
                    print(line)
                }
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "One version: artifact, lineage, model card and every reason of its gate verdict.",
            discussion: "  vigil registry show --model shelf-classifier --version 3")
        @OptionGroup var options: ModelOptions
        @Option(help: "The version number.") var version: Int
        @Option(help: "Output: table or json.") var format: ListFormat = .table

        func run() throws {
            let v = try reportingErrors(exitCode: 1) { () throws -> ModelVersion in
                let (ws, store, _, _) = try options.open()
                guard let v = try ws.modelRegistry(store: store).version(model: options.model, version: version) else {
                    throw RegistryError(.notFound, "\(options.model) has no version \(version): see `vigil registry list --model \(options.model)`")
                }
                return v
            }
            if format == .json { print(try jsonText(v)); return }
            let card = ModelCard.decode(v.card, classes: v.classes)
            print("\(v.model) v\(v.version)  \(v.state.rawValue)  created \(Timestamp.format(millis: v.createdAt)) by \(v.createdBy)")
            print("artifact  sha256 \(v.artifactSHA256)  \(v.artifactPath)")
            print("classes   \(v.classes.joined(separator: ", "))")
            print("lineage   parent \(v.parentVersion.map { "v\($0)" } ?? "none")  job \(v.jobID.map(String.init) ?? "none")  data \(v.dataFingerprint ?? "?")  \(v.lineage)")
            let d = card.data
            print("data      training \(d.trainingItems.map(String.init) ?? "?")  holdout \(d.holdoutItems.map(String.init) ?? "?") (gold \(d.goldItems.map(String.init) ?? "?"))  from \(d.source ?? "?")")
            guard let gate = card.gate else { print("gate      no verdict yet: `vigil registry gate --model \(v.model) --version \(v.version)`"); return }
            print("gate      \(gate.summary)")
            if let comparison = card.comparison { print("compared  \(comparison)") }
            if let mine = card.metrics[gate.metric], let theirs = card.championMetrics?[gate.metric] {
                print(String(format: "holdout   %@: v%d %.4f, champion %@ %.4f", gate.metric, v.version, mine, gate.champion.map { "v\($0)" } ?? "?", theirs))
            }
            for c in gate.checks { print("  \(c.passed ? "ok  " : "FAIL")  \(c.rule): \(c.message)") }
            for c in gate.perClass {
                print(String(format: "  %@ %@: %.4f → %.4f (%+.4f), %d in holdout", c.metric, c.className, c.champion, c.candidate, c.change, c.support))
            }
        }
    }

    struct Gate: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Judge a candidate against the champion on its job's holdout; store, show and notify the verdict.",
            discussion: """
                Exit 0 when it passes, 1 when it does not. The verdict is recomputed from the job's files (.vigil/jobs/ID/…): the holdout truth, the candidate's predictions and the champion's run on the same holdout ({champion_predictions}) when the job ran the current champion — otherwise the champion's served predictions, and the verdict says so — with the policy's gate: settings.

                  vigil registry gate --model shelf-classifier --version 3
                """)
        @OptionGroup var options: ModelOptions
        @Option(help: "The candidate version.") var version: Int

        func run() throws {
            let verdict = try reportingErrors(exitCode: 3) { () throws -> GateVerdict in
                let (ws, store, clock, policy) = try options.open()
                return try RegistryCommands.gate(ws: ws, store: store, clock: clock, policy: policy, version: version, actor: options.who)
            }
            print(verdict.summary)
            for c in verdict.checks { print("  \(c.passed ? "ok  " : "FAIL")  \(c.rule): \(c.message)") }
            if !verdict.passed { throw ExitCode(1) }
        }
    }

    struct Promote: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Make a version the champion, through its gate verdict (or an override with a reason).",
            discussion: """
                The version's stored verdict must have passed against the current champion. An override needs --override and --reason; it is recorded as such and notified.

                  vigil registry promote --model shelf-classifier --version 3
                  vigil registry promote --model shelf-classifier --version 1 --override --reason "first champion"
                """)
        @OptionGroup var options: ModelOptions
        @Option(help: "The version to promote.") var version: Int
        @Flag(help: "Promote without a passing gate verdict (needs --reason).") var override = false
        @Option(help: "Why the gate is overridden (recorded and notified).") var reason: String?

        func validate() throws {
            if override && (reason ?? "").trimmingCharacters(in: .whitespaces).isEmpty {
                throw ValidationError("--override needs --reason \"…\": say why the gate is skipped; it is recorded and notified")
            }
            if !override && reason != nil { throw ValidationError("--reason goes with --override; a gated promotion needs no reason") }
        }

        func run() throws {
            let move = try reportingErrors(exitCode: 1) { () throws -> AliasMove in
                let (ws, store, clock, policy) = try options.open()
                return try ws.promotion(store: store, policy: policy, clock: clock, actor: options.who)
                    .promote(model: options.model, version: version, overrideReason: override ? reason : nil, now: Timestamp.millis(clock.now))
            }
            print("\(move.model): champion \(move.fromVersion.map { "v\($0)" } ?? "none") → v\(move.toVersion) (\(move.kind.rawValue) by \(move.actor))")
        }
    }

    struct Rollback: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Point champion back at the version it replaced.",
            discussion: "  vigil registry rollback --model shelf-classifier --reason \"complaints from site B\"")
        @OptionGroup var options: ModelOptions
        @Option(help: "Why (recorded and notified).") var reason: String?

        func run() throws {
            let move = try reportingErrors(exitCode: 1) { () throws -> AliasMove in
                let (ws, store, clock, policy) = try options.open()
                return try ws.promotion(store: store, policy: policy, clock: clock, actor: options.who)
                    .rollback(model: options.model, reason: reason, now: Timestamp.millis(clock.now))
            }
            print("\(move.model): champion v\(move.fromVersion.map(String.init) ?? "?") → v\(move.toVersion) (rollback by \(move.actor))")
        }
    }

    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every alias move: who, when, from which version to which, through which verdict or reason.",
            discussion: "  vigil registry history --model shelf-classifier --format json")
        @Option(help: "Only this model (required with the MLflow backend).") var model: String?
        @Option(help: "How many moves.") var limit = 50
        @Option(help: "Output: table or json.") var format: ListFormat = .table
        @OptionGroup var workspace: WorkspaceOptions

        func run() throws {
            let moves = try reportingErrors(exitCode: 1) { () throws -> [AliasMove] in
                let ws = try workspace.workspace()
                let store = try ws.openStore()
                return try ws.modelRegistry(store: store).history(model: model, limit: limit)
            }
            switch format {
            case .json: print(try jsonText(moves))
            case .table:
                if moves.isEmpty { print("no alias moves yet") }
                for m in moves {
                    let verdict = m.verdict.flatMap(GateVerdict.decode)
                    print("\(Timestamp.format(millis: m.ts))  \(m.model)  \(m.alias)  \(m.fromVersion.map { "v\($0)" } ?? "none") → v\(m.toVersion)  \(m.kind.rawValue)  by \(m.actor)"
                          + (verdict.map { "  gate " + ($0.passed ? "PASS" : "FAIL") + " vs " + ($0.champion.map { "v\($0)" } ?? "none") } ?? "")
                          + (m.reason.map { "  reason: \($0)" } ?? ""))
                }
            }
        }
    }

    struct Register: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register an artifact trained elsewhere as a candidate version (e.g. the model already in production).",
            discussion: """
                --training-data names the file it was trained on (NDJSON for classifiers, COCO JSON for detectors): retraining starts from it. --champion makes it the champion when the model has none yet (the first champion needs no gate).

                  vigil registry register --model shelf-classifier --artifact model.onnx --training-data train.ndjson --champion
                """)
        @OptionGroup var options: ModelOptions
        @Option(help: "The artifact file.") var artifact: String
        @Option(help: "The training set it was trained on.") var trainingData: String?
        @Flag(help: "Make it the champion (only when there is none).") var champion = false

        func run() throws {
            let (version, set) = try reportingErrors(exitCode: 1) { () throws -> (ModelVersion, Bool) in
                let (ws, store, clock, policy) = try options.open()
                return try RegistryCommands.register(ws: ws, store: store, clock: clock, policy: policy, artifact: artifact, trainingData: trainingData,
                                                     champion: champion, actor: options.who)
            }
            print("\(version.model) v\(version.version) registered (sha256 \(version.artifactSHA256))" + (set ? "; champion" : ""))
        }
    }
}
