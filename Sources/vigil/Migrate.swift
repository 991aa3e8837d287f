import ArgumentParser
import VigilStore

struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Bring the store's schema up to date and print its version; a SQLite store is copied first (VACUUM INTO) to vigil.db.before-vN.backup.",
        discussion: "Any command that writes migrates the store too; run this one after installing a new vigil, before starting the timers and `vigil serve` again (docs/operations.md, \"Upgrades and migrations\"). Commands that only read (check, log, jobs, queue status, alerts list, alerts outbox, report) do not migrate.\n\n  vigil migrate")

    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        try reportingErrors(exitCode: 1) {
            print(try workspace.workspace().openStore().storedSchema().checkLine)
        }
    }
}
