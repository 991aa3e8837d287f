import Foundation
import VigilCore
import VigilStore

extension EvaluateJob {
    /// The stored run of `window` whose report equals `report` but for `created_at` and `run_id`.
    func identicalStoredRun(_ report: EvaluationReport, window: TimeWindow) throws -> EvaluationReport? {
        for (id, json) in try store.evaluationRuns(model: report.model, window: window).reversed() {
            guard var stored = try? JSONDecoder().decode(EvaluationReport.self, from: Data(json.utf8)) else { continue }
            let createdAt = stored.createdAt
            stored.createdAt = report.createdAt
            stored.runID = nil
            if stored == report {
                stored.createdAt = createdAt
                stored.runID = id
                return stored
            }
        }
        return nil
    }

    /// One recomputed window of a backfill.
    public struct BackfillRun: Sendable {
        public var report: EvaluationReport
        /// False when an identical run was already stored (nothing new was written).
        public var stored: Bool
    }

    /// Recomputes the windows the policy's `evaluate` schedule would have judged between `from`
    /// and `to` (each ending `label_delay` before its slot; daily at 00:00 in `zone` without an
    /// evaluate schedule). Idempotent: a window whose inputs did not change keeps its stored run.
    public func backfill(policy: Policy, from: Date, to: Date, zone: TimeZone) throws -> [BackfillRun] {
        guard from < to else { throw JobError("--backfill FROM..TO: FROM must be before TO") }
        let cronText = policy.schedule.first { $0.job == "evaluate" }?.cron ?? "0 0 * * *"
        let cron: CronSchedule
        do { cron = try CronSchedule(cronText) } catch { throw JobError("policy of '\(policy.model)': \(error)") }
        let zone = policy.timezone.flatMap(TimeZone.init(identifier:)) ?? zone
        var out: [BackfillRun] = []
        var cursor = from.addingTimeInterval(-1)
        while let slot = cron.nextFire(after: cursor, in: zone), slot <= to {
            cursor = slot
            let w = policy.canonicalWindow(at: Timestamp.millis(slot))
            let window = TimeWindow(from: w.from, to: w.to)
            let before = Set(try store.evaluationRuns(model: policy.model, window: window).map(\.id))
            let report = try run(policy: policy, window: .range(from: Timestamp.date(millis: window.from), to: Timestamp.date(millis: window.to)),
                                 reuseIdenticalRun: true, mode: .adHoc)
            out.append(BackfillRun(report: report, stored: !before.contains(report.runID ?? -1)))
            if out.count > 10_000 { throw JobError("--backfill covers more than 10,000 windows: give a shorter range") }
        }
        return out
    }
}
