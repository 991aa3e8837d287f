import Foundation
import GRDB
import VigilCore

extension SQLiteStore: SchedulerStore {
    public func claimSlot(_ slot: JobSlot, owner: String, now: Int64, leaseMillis: Int64) throws -> Int64? {
        var claimed: Int64?
        try queue.writeWithoutTransaction { db in try db.inTransaction(.immediate) {
            try db.execute(sql: """
                INSERT INTO job_runs(model, job, slot, owner, lease_until, started_at, status)
                VALUES (?, ?, ?, ?, ?, ?, 'running') ON CONFLICT(model, job, slot) DO NOTHING
                """, arguments: [slot.model, slot.job, slot.slot, owner, now + leaseMillis, now])
            if db.changesCount == 1 {
                let id = db.lastInsertedRowID
                try Self.append(db, Event(ts: now, actor: owner, kind: "job.started", model: slot.model, subject: "job-run/\(id)",
                                          details: Self.jsonObject(["job": slot.job, "slot": Timestamp.format(millis: slot.slot)])))
                claimed = id
                return .commit
            }
            // Taken: take it over only when its owner's lease has passed without an end.
            try db.execute(sql: """
                UPDATE job_runs SET owner = ?, lease_until = ?, started_at = ?, attempts = attempts + 1
                WHERE model = ? AND job = ? AND slot = ? AND status = 'running' AND lease_until < ?
                """, arguments: [owner, now + leaseMillis, now, slot.model, slot.job, slot.slot, now])
            guard db.changesCount == 1 else { return .commit }
            let id = try Int64.fetchOne(db, sql: "SELECT id FROM job_runs WHERE model = ? AND job = ? AND slot = ?",
                                        arguments: [slot.model, slot.job, slot.slot])
            if let id {
                try Self.append(db, Event(ts: now, actor: owner, kind: "job.taken-over", model: slot.model, subject: "job-run/\(id)",
                                          details: Self.jsonObject(["job": slot.job, "slot": Timestamp.format(millis: slot.slot)])))
            }
            claimed = id
            return .commit
        } }
        return claimed
    }

    public func finishJobRun(id: Int64, status: JobRunStatus, finishedAt: Int64, error: String?, output: String?) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE job_runs SET status = ?, finished_at = ?, error = ?, output = ? WHERE id = ?",
                           arguments: [status.rawValue, finishedAt, error, output, id])
            guard let row = try Row.fetchOne(db, sql: "SELECT model, job, slot, owner, started_at FROM job_runs WHERE id = ?", arguments: [id]) else {
                throw StoreError("no job run \(id)")
            }
            var details: [String: String] = ["job": row["job"], "slot": Timestamp.format(millis: row["slot"]),
                                             "seconds": String(format: "%.3f", Double(finishedAt - (row["started_at"] as Int64)) / 1000)]
            if let error { details["error"] = error }
            if let output { details["output"] = output }
            try Self.append(db, Event(ts: finishedAt, actor: row["owner"], kind: "job.\(status.rawValue)", model: row["model"],
                                      subject: "job-run/\(id)", details: Self.jsonObject(details)))
        }
    }

    public func jobRuns(model: String?, limit: Int) throws -> [JobRun] {
        try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT id, model, job, slot, owner, started_at, finished_at, status, attempts, error, output FROM job_runs
                WHERE (?1 IS NULL OR model = ?1) ORDER BY started_at DESC, id DESC LIMIT ?2
                """, arguments: [model, limit]).map {
                JobRun(id: $0["id"], slot: JobSlot(model: $0["model"], job: $0["job"], slot: $0["slot"]), owner: $0["owner"],
                       startedAt: $0["started_at"], finishedAt: $0["finished_at"], status: JobRunStatus(rawValue: $0["status"]) ?? .failed,
                       attempts: $0["attempts"], error: $0["error"], output: $0["output"])
            }
        }
    }

    public func evaluationRuns(model: String, window: TimeWindow) throws -> [(id: Int64, report: String)] {
        try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT r.id, r.report FROM evaluation_runs r JOIN models m ON m.id = r.model_id
                WHERE m.name = ? AND r.window_from = ? AND r.window_to = ? ORDER BY r.id
                """, arguments: [model, window.from, window.to]).map { (id: $0["id"], report: $0["report"]) }
        }
    }

    /// A flat JSON object of strings, for event details.
    static func jsonObject(_ fields: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
