import ArgumentParser
import Foundation
import VigilJobs

struct Tick: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run whatever is due; put it in cron every minute.",
        discussion: """
            For now: queues alert repeats and post-silence updates, then runs one delivery
            pass of the alert outbox. The scheduler issue extends it with the policies' jobs.

              * * * * * cd /srv/vigil && vigil tick
            """)

    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let c = try AlertContext(workspace)
            let job = try c.job()
            let queued = try job.reconcile()
            let s = try job.deliver()
            print("alerts: \(queued) queued, \(s.delivered) delivered, \(s.retrying) retrying later, \(s.dead) dead-lettered")
        }
    }
}
