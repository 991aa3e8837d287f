import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore
@testable import VigilServer

@Suite struct JobServicesTests {
    @Test func theSchedulerPassRunsDueSlotsOnceAndCountsThem() throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        let policy = bed.workspace.path("policies/shelf-classifier.yaml")
        try (try String(contentsOfFile: policy, encoding: .utf8) + "\nschedule:\n  - {job: retention, cron: \"* * * * *\"}\n")
            .write(toFile: policy, atomically: true, encoding: .utf8)
        let pass = SchedulerPass(workspace: bed.workspace, store: try bed.workspace.openStore(), clock: bed.clock,
                                 metrics: bed.environment.metrics, logger: .init(label: "test"))
        let first = try pass.tick()
        #expect(first.map(\.slot.job) == ["retention"])
        #expect(first.first?.status == .succeeded)
        #expect(try pass.tick().isEmpty)  // the same slot is not run twice
        let text = bed.environment.metrics.registry.emitToString()
        #expect(text.contains("vigil_job_runs_total{job=\"retention\",status=\"succeeded\"} 1"))
        #expect(text.contains("vigil_scheduler_last_tick_timestamp_seconds"))
        #expect(try bed.environment.store.jobRuns(model: nil, limit: 10).count == 1)
    }

    @Test func theDeliveryPassRecordsOutcomes() throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        let pass = DeliveryPass(workspace: bed.workspace, store: try bed.workspace.openStore(), clock: bed.clock,
                                metrics: bed.environment.metrics, logger: .init(label: "test"))
        try pass.run()
        #expect(bed.environment.metrics.registry.emitToString().contains("vigil_alert_deliveries_total{outcome=\"dead\"} 0"))
    }
}
