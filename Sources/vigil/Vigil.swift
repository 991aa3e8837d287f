import ArgumentParser
import Foundation
import VigilCore
import VigilJobs

@main
struct Vigil: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Keeps watch over vision models in production.",
        discussion: """
            Start with `vigil init`, declare your model in policies/, ingest predictions and ground truth, then evaluate (from cron, for example):

              vigil init
              vigil ingest predictions predictions.ndjson
              vigil ingest labels labels.ndjson
              vigil evaluate --model shelf-classifier --window 7d

            Exit codes of `vigil evaluate` follow the monitoring-plugin convention: 0 ok, 1 warning, 2 critical, 3 unknown.
            """,
        version: "vigil \(VigilVersion.current)",
        subcommands: [Init.self, Ingest.self, Evaluate.self, BaselineCommand.self, Alerts.self, Sample.self, Queue.self, Review.self, Tick.self, Jobs.self, Report.self, Log.self, Check.self, Migrate.self, ExampleDataCommand.self, Quickstart.self, DetectorCommand.self, Registry.self, Retrain.self, Serve.self, Tokens.self, Debug.self]
    )
}

/// Options every command that works on a workspace shares.
struct WorkspaceOptions: ParsableArguments {
    @Option(name: .customLong("workspace"), help: "The workspace folder (holding vigil.yaml); default: the current folder or its nearest parent with one.")
    var directory: String?

    func workspace() throws -> Workspace {
        try Workspace.locate(from: directory ?? FileManager.default.currentDirectoryPath)
    }

    /// The clock: the system clock, or the instant in VIGIL_NOW (RFC 3339) for tests and replays.
    func clock() throws -> any VigilClock {
        if let text = ProcessInfo.processInfo.environment["VIGIL_NOW"] {
            guard let ms = Timestamp.parseMillis(text) else {
                throw ValidationError("VIGIL_NOW='\(text)' is not an RFC 3339 timestamp such as 2026-10-31T00:00:00Z")
            }
            return FixedClock(Timestamp.date(millis: ms))
        }
        return SystemClock()
    }
}

/// Runs `body`, turning Vigil's errors into a message on stderr and exit code `code`.
func reportingErrors<T>(exitCode code: Int32 = 3, _ body: () throws -> T) throws -> T {
    do {
        return try body()
    } catch let e as ExitCode {
        throw e
    } catch let e as ValidationError {
        throw e
    } catch {
        FileHandle.standardError.write(Data("vigil: error: \(error)\n".utf8))
        throw ExitCode(code)
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text + "\n").utf8))
}
