import Foundation

extension Policy {
    /// Problems in `schedule:`, `timezone:` and `evaluation.label_delay`, each naming the field.
    func schedulingProblems() -> [String] {
        var out: [String] = []
        if let tz = timezone, TimeZone(identifier: tz) == nil {
            out.append("timezone: '\(tz)' is not an IANA time zone such as Europe/Berlin or UTC")
        }
        if let d = evaluation.labelDelay, d != "0", WindowLength.seconds(d) == nil {
            out.append("evaluation.label_delay: '\(d)' is not a length such as 2d or 36h")
        }
        for (i, entry) in schedule.enumerated() {
            if !ScheduleEntry.knownJobs.contains(entry.job) {
                out.append("schedule[\(i)].job: unknown job '\(entry.job)' (known: \(ScheduleEntry.knownJobs.joined(separator: ", ")))")
            }
            do {
                _ = try CronSchedule(entry.cron)
            } catch {
                out.append("schedule[\(i)].cron: \(error.problem)")
            }
        }
        return out
    }

    /// The label delay in milliseconds (0 when none).
    public var labelDelayMillis: Int64 {
        guard let d = evaluation.labelDelay, d != "0" else { return 0 }
        return (WindowLength.seconds(d) ?? 0) * 1000
    }

    /// The window the canonical evaluation at `instant` (ms) judges: `evaluation.window` long,
    /// ending `label_delay` before it (labels arrive late). The scheduled `evaluate` job, its
    /// backfill and `vigil evaluate` with no window all judge this one.
    public func canonicalWindow(at instant: Int64) -> (from: Int64, to: Int64) {
        let end = instant - labelDelayMillis
        return (end - (WindowLength.seconds(evaluation.window) ?? 7 * 86_400) * 1000, end)
    }
}
