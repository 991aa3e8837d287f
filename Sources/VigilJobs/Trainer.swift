import Foundation
import VigilCore

/// What a trainer gets: the files Vigil exported and where to write.
///
/// The contract (docs/registry.md, "Trainer contract"): read `trainingSet` (NDJSON for
/// classifiers, COCO JSON for detectors) and, if given, start from `parentArtifact`; write one
/// artifact file to `outputDirectory/artifact` and one prediction per line of `holdout` to
/// `outputDirectory/predictions.ndjson`; when there is a champion, also predict `holdout` with
/// `parentArtifact` into `championPredictionsPath` (`{champion_predictions}`), so the gate
/// compares both versions on the same inputs (without it the gate falls back to the champion's
/// served predictions, with a caveat). Vigil computes every holdout metric from those
/// predictions itself; a score the trainer prints is only logged.
public struct TrainingRequest: Sendable {
    public var model: String
    public var task: ModelTask
    public var classes: [String]
    /// `{train}`
    public var trainingSet: String
    /// `{holdout}`: the holdout's inputs, one `{"id", "input"}` per line, without labels.
    public var holdout: String
    /// `{out}`
    public var outputDirectory: String
    /// `{model}`: the champion's artifact (empty when there is none).
    public var parentArtifact: String?
    public var timeoutMillis: Int64
    /// The job's log file: the trainer's standard output and error go here.
    public var logFile: String
    /// Asked now and then while the trainer runs; `true` stops it (the job was cancelled).
    public var shouldStop: @Sendable () -> Bool

    public init(model: String, task: ModelTask, classes: [String], trainingSet: String, holdout: String, outputDirectory: String,
                parentArtifact: String?, timeoutMillis: Int64, logFile: String, shouldStop: @escaping @Sendable () -> Bool = { false }) {
        self.model = model
        self.task = task
        self.classes = classes
        self.trainingSet = trainingSet
        self.holdout = holdout
        self.outputDirectory = outputDirectory
        self.parentArtifact = parentArtifact
        self.timeoutMillis = timeoutMillis
        self.logFile = logFile
        self.shouldStop = shouldStop
    }

    /// The artifact the trainer must write.
    public var artifactPath: String { outputDirectory + "/artifact" }
    /// The holdout predictions the trainer must write.
    public var predictionsPath: String { outputDirectory + "/predictions.ndjson" }
    /// Optional: the class list the artifact predicts, as a JSON array; checked by the gate.
    public var classesPath: String { outputDirectory + "/classes.json" }
    /// `{champion_predictions}`: the champion's (`parentArtifact`'s) predictions on the holdout,
    /// in the same form as ``predictionsPath``. Optional, but without it the gate compares with
    /// the champion's served predictions (``ChampionBasis/servedPredictions``).
    public var championPredictionsPath: String { Self.championPredictionsPath(outputDirectory: outputDirectory) }

    /// Where ``championPredictionsPath`` is for the output folder `outputDirectory`.
    public static func championPredictionsPath(outputDirectory: String) -> String { outputDirectory + "/champion-holdout-predictions.ndjson" }
}

/// Trains a candidate from a ``TrainingRequest``; throws ``JobError`` when it cannot.
///
/// Two kinds: ``CommandTrainer`` (any program, through a command template) and
/// ``EmbeddedTrainer`` (fine-tuning the embedded detector, `trainer: embedded`). Plugging a
/// trainer in means implementing this protocol and returning it from ``Trainers/make(policy:workspaceRoot:)``.
public protocol Trainer: Sendable {
    /// `command`, `embedded`, …: recorded in the job and the model card.
    var name: String { get }
    /// Runs the training; on return the request's artifact and predictions files exist (and,
    /// when the trainer can run the champion, its ``TrainingRequest/championPredictionsPath``).
    func train(_ request: TrainingRequest) throws
}

/// Picks the trainer a policy names.
public enum Trainers {
    /// The trainer of `policy`; the embedded one reads relative image paths from `workspaceRoot`.
    public static func make(policy: Policy, workspaceRoot: String = FileManager.default.currentDirectoryPath) throws -> any Trainer {
        guard let settings = policy.retraining else {
            throw JobError("policy of '\(policy.model)': retraining: the section is missing; add one with a trainer (docs/formats.md, \"Retraining\")")
        }
        switch settings.trainer {
        case .command:
            guard let template = settings.command, !template.isEmpty else {
                throw JobError("policy of '\(policy.model)': retraining.command: give the trainer's command line with {train} {holdout} {out} {model} (and {champion_predictions}: docs/registry.md, \"Trainer contract\")")
            }
            return CommandTrainer(template: template)
        case .embedded:
            guard policy.task == .detection else {
                throw JobError("policy of '\(policy.model)': retraining.trainer: 'embedded' fine-tunes the embedded detector, and this is a \(policy.task.rawValue) model; use trainer: command with a command template")
            }
            return EmbeddedTrainer(settings: settings.embedded, imageBase: workspaceRoot)
        }
    }
}
