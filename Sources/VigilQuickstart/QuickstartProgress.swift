import Foundation
import VigilAlerts
import VigilCore
import VigilJobs

/// How a quickstart run reports as it goes: steps, training epochs, scheduled-job events,
/// payloads the local receiver got, and a status line per simulated hour.
///
/// ``terminal(_:)`` redraws one live status line (for a TTY); ``lines(_:)`` writes whole lines
/// only, one status line per day (for logs and tests).
public struct QuickstartProgress: Sendable {
    /// Running totals shown on the status line.
    public struct Counters: Sendable {
        public var predictions = 0
        public var reviewed = 0
        public var delivered = 0
        public var evaluations = 0
        public var lastStatus = "-"
        public var champion = 1

        mutating func note(_ outcome: Scheduler.Outcome) {
            guard outcome.slot.job == "evaluate" else { return }
            evaluations += 1
            // "run 12: critical, 120 labelled, window …"
            if let status = outcome.output.split(separator: ":").dropFirst().first?.split(separator: ",").first {
                lastStatus = status.trimmingCharacters(in: .whitespaces)
            }
        }
    }

    let write: @Sendable (String) -> Void
    let live: Bool
    private let state = LiveLine()

    /// Whole lines to `write` (no terminal control).
    public static func lines(_ write: @escaping @Sendable (String) -> Void) -> QuickstartProgress {
        QuickstartProgress(write: write, live: false)
    }

    /// A live status line on a terminal, redrawn in place; other output goes above it.
    public static func terminal(_ write: @escaping @Sendable (String) -> Void) -> QuickstartProgress {
        QuickstartProgress(write: write, live: true)
    }

    func say(_ line: String) {
        if live, state.take() { write("\r\u{1B}[2K") }
        write(line + "\n")
    }

    func step(_ text: String) { say("▸ " + text) }

    func training(_ line: String) { say("    " + line) }

    func event(day: Int, time: Int64, _ text: String) {
        say("  day \(String(format: "%2d", day)) \(Timestamp.format(millis: time).dropFirst(11).prefix(5))  " + text)
    }

    func received(_ request: LoopbackWebhookReceiver.Request) {
        if request.path.hasSuffix("/slack") {
            say("    ↳ Slack payload received (POST \(request.path)):")
            for line in Self.pretty(request.body).split(separator: "\n") { say("        " + line) }
        } else {
            let signed = request.headers["webhook-signature"].map { " signed \($0.prefix(16))…" } ?? ""
            say("    ↳ signed JSON received (POST \(request.path), webhook-id \(request.headers["webhook-id"] ?? "-")\(signed)), \(request.body.utf8.count) bytes")
        }
    }

    func hour(day: Int, hour: Int, domain: String, counters: Counters) {
        guard live else { return }
        write("\r\u{1B}[2K" + status(day: day, hour: hour, domain: domain, counters: counters))
        state.set()
    }

    func endOfDay(day: Int, domain: String, counters: Counters) {
        if !live { say(status(day: day, hour: 23, domain: domain, counters: counters).replacingOccurrences(of: " 23:00", with: " done ")) }
    }

    func status(day: Int, hour: Int, domain: String, counters c: Counters) -> String {
        String(format: "  day %2d %02d:00  camera %@  champion v%d  %d predictions  %d reviewed  %d evaluations (last: %@)  %d alerts delivered",
               day, hour, domain, c.champion, c.predictions, c.reviewed, c.evaluations, c.lastStatus, c.delivered)
    }

    /// JSON re-indented for reading (or the text as it is when it is not JSON).
    static func pretty(_ body: String) -> String {
        guard let object = try? JSONSerialization.jsonObject(with: Data(body.utf8)),
              let data = try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]) else { return body }
        return String(decoding: data, as: UTF8.self)
    }
}

/// Whether a live status line is on screen (so the next line clears it first).
final class LiveLine: @unchecked Sendable {
    private let lock = NSLock()
    private var shown = false
    func set() { lock.withLock { shown = true } }
    func take() -> Bool { lock.withLock { defer { shown = false }; return shown } }
}
