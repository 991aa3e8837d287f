import Foundation
import VigilCore

/// Runs an external trainer: the policy's command template with `{train}`, `{holdout}`,
/// `{out}`, `{model}` and `{champion_predictions}` replaced by shell-quoted paths (the last:
/// where the trainer writes `{model}`'s predictions on `{holdout}`, for a like-for-like gate),
/// through `/bin/sh -c`, with its output
/// appended to the job's log and a time limit. Foundation starts the shell as the leader of a
/// new process group, so a timeout or a cancellation signals the whole group — the shell and
/// whatever it started (SIGTERM, then SIGKILL 5 s later) — not only the shell.
///
/// ```yaml
/// retraining:
///   trainer: command
///   command: "python3 train.py --data {train} --predict {holdout} --out {out} --init {model} --champion-predictions {champion_predictions}"
/// ```
public struct CommandTrainer: Trainer {
    public let template: String
    public var name: String { "command" }

    public init(template: String) { self.template = template }

    /// `text` in single quotes for `/bin/sh`.
    static func shellQuoted(_ text: String) -> String {
        "'" + text.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }

    /// The command line for `request`.
    public func commandLine(_ request: TrainingRequest) -> String {
        template.replacingOccurrences(of: "{train}", with: Self.shellQuoted(request.trainingSet))
            .replacingOccurrences(of: "{holdout}", with: Self.shellQuoted(request.holdout))
            .replacingOccurrences(of: "{out}", with: Self.shellQuoted(request.outputDirectory))
            .replacingOccurrences(of: "{model}", with: Self.shellQuoted(request.parentArtifact ?? ""))
            .replacingOccurrences(of: "{champion_predictions}", with: Self.shellQuoted(request.championPredictionsPath))
    }

    public func train(_ request: TrainingRequest) throws {
        let fm = FileManager.default
        try fm.createDirectory(atPath: request.outputDirectory, withIntermediateDirectories: true)
        if !fm.fileExists(atPath: request.logFile) { _ = fm.createFile(atPath: request.logFile, contents: nil) }
        guard let log = FileHandle(forWritingAtPath: request.logFile) else { throw JobError("cannot write the job log \(request.logFile)") }
        defer { try? log.close() }
        _ = try? log.seekToEnd()
        let line = commandLine(request)
        log.write(Data("$ \(line)\n".utf8))
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/bin/sh")
        p.arguments = ["-c", line]
        p.standardOutput = log
        p.standardError = log
        p.currentDirectoryURL = URL(fileURLWithPath: request.outputDirectory)
        do { try p.run() } catch { throw JobError("cannot start the trainer (/bin/sh -c \(line)): \(error)") }
        let deadline = Date().addingTimeInterval(Double(request.timeoutMillis) / 1000)
        var stopped: String?
        while p.isRunning {
            if Date() > deadline { stopped = "timed out after \(request.timeoutMillis / 1000) s (retraining.timeout)" }
            else if request.shouldStop() { stopped = "cancelled" }
            if stopped != nil {
                let group = -p.processIdentifier
                if kill(group, SIGTERM) != 0 { p.terminate() }
                let grace = Date().addingTimeInterval(5)
                while p.isRunning && Date() < grace { Thread.sleep(forTimeInterval: 0.05) }
                _ = kill(group, SIGKILL)  // whatever the trainer started and left behind
                if p.isRunning { kill(p.processIdentifier, SIGKILL) }
                break
            }
            Thread.sleep(forTimeInterval: 0.05)
        }
        p.waitUntilExit()
        if let stopped { throw JobError("trainer \(stopped); see the job log \(request.logFile)") }
        guard p.terminationStatus == 0 else {
            throw JobError("trainer exited with status \(p.terminationStatus): \(Self.tail(of: request.logFile)) (full log: \(request.logFile))")
        }
        guard fm.fileExists(atPath: request.artifactPath) else {
            throw JobError("trainer finished but wrote no artifact at {out}/artifact (\(request.artifactPath)); see docs/registry.md, \"Trainer contract\"")
        }
        guard fm.fileExists(atPath: request.predictionsPath) else {
            throw JobError("trainer finished but wrote no holdout predictions at {out}/predictions.ndjson (\(request.predictionsPath)); see docs/registry.md, \"Trainer contract\"")
        }
    }

    /// The last few lines of a log, on one line.
    static func tail(of path: String, lines: Int = 5) -> String {
        let text = (try? String(contentsOfFile: path, encoding: .utf8)) ?? ""
        return text.split(separator: "\n").suffix(lines).joined(separator: " | ")
    }
}
