import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore
@testable import VigilServer
import VigilWorkspace

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

    @Test func theRetentionJobRemovesRawPredictionsOlderThanVigilYamlSays() throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        let policy = bed.workspace.path("policies/shelf-classifier.yaml")
        try (try String(contentsOfFile: policy, encoding: .utf8) + "\nschedule:\n  - {job: retention, cron: \"* * * * *\"}\n")
            .write(toFile: policy, atomically: true, encoding: .utf8)
        var config = bed.workspace.config
        config.retention = "2d"  // the clock is 2026-10-08T00:00Z: days 3 and 5 go, day 7 stays
        let workspace = Workspace(root: bed.workspace.root, config: config)
        #expect(try workspace.retentionMillis() == 2 * 86_400_000)
        let (store, catalog, _) = try workspace.openStoreWithModels(clock: bed.clock)
        let file = bed.root + "/old.ndjson"
        let lines = ServerTestBed.predictions(10, day: 3) + ServerTestBed.predictions(10, start: 10, day: 5) + ServerTestBed.predictions(10, start: 20, day: 7)
        try lines.joined(separator: "\n").write(toFile: file, atomically: true, encoding: .utf8)
        let ingest = IngestJob(store: store, catalog: catalog, clock: bed.clock, rejectsDirectory: bed.root)
        #expect(try ingest.run(IngestRequest(kind: .predictions, path: file)).inserted == 30)
        let pass = SchedulerPass(workspace: workspace, store: store, clock: bed.clock, metrics: bed.environment.metrics, logger: .init(label: "test"))
        let runs = try pass.tick()
        #expect(runs.map(\.status) == [.succeeded])
        let output = try store.jobRuns(model: nil, limit: 1).first?.output ?? ""
        #expect(output.contains("deleted 20 raw predictions") && output.contains("retention mark 2026-10-06T00:00:00"), "\(output)")
        #expect(try store.verify().isHealthy)
        // A retention that is not a length is refused, naming the file and the key.
        config.retention = "soon"
        #expect(throws: (any Error).self) { try Workspace(root: bed.workspace.root, config: config).retentionMillis() }
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
