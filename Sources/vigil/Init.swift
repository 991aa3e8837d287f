import ArgumentParser
import Foundation
import VigilJobs
import VigilWorkspace

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create a workspace: vigil.yaml, an example policy and a SQLite store.",
        discussion: """
            Existing files are left as they are, so running it twice is harmless.

              vigil init                 # in the current folder
              vigil init --dir monitoring
            """)

    @Option(help: "The folder to initialise.")
    var dir: String = "."

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let written = try Workspace.initialize(at: dir)
            for path in written { print("wrote \(path)") }
            print("next: declare your model in policies/, then `vigil ingest predictions FILE`")
        }
    }
}
