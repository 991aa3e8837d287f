import Foundation
#if canImport(Glibc)
import Glibc
#endif
import VigilCore
import VigilStore

/// The loop of `vigil review`: keys in, session and store updated, one frame out per batch
/// of keys. Redraws on SIGWINCH; quits cleanly (claims released, terminal restored) on `q`,
/// Ctrl-C, SIGINT, SIGTERM and SIGHUP.
public final class ReviewController {
    public struct Options: Sendable {
        public var colour: ColourMode
        /// The day's budget for the progress bar (0: today's done plus open items).
        public var budget: Int
        /// Where to write key → frame latencies (JSON) at the end, if anywhere.
        public var measurePath: String?

        public init(colour: ColourMode, budget: Int, measurePath: String? = nil) {
            self.colour = colour
            self.budget = budget
            self.measurePath = measurePath
        }
    }

    private let work: ReviewWork
    private let options: Options
    private let terminal = Terminal()
    private var session: ReviewSession
    private var progress = QueueProgress()
    private var progressAt: Int64 = 0
    /// Milliseconds from reading a key that brought the next item to the last byte of its frame.
    private var latencies: [Double] = []
    /// Of those: answering and taking the next item; laying out and encoding the frame; writing it.
    private var phases: (answer: [Double], frame: [Double], write: [Double]) = ([], [], [])
    private var lastFrame: (render: UInt64, written: UInt64) = (0, 0)
    private var answered: UInt64 = 0

    public init(work: ReviewWork, options: Options) {
        self.work = work
        self.options = options
        session = ReviewSession(reviewer: work.reviewer)
    }

    /// Runs until the reviewer quits; returns how many claims were released at the end.
    public func run() throws -> Int {
        try terminal.enter()
        defer { terminal.leave() }
        var released = 0
        do {
            try work.start()
            session.present(work.current)
            refreshProgress(force: true)
            draw()
            var decoder = KeyDecoder()
            var lastActivity = Self.millis()
            loop: while true {
                let bytes = terminal.read(timeoutMillis: decoder.hasPending ? 30 : 250)
                let keyTime = DispatchTime.now().uptimeNanoseconds
                let signals = terminal.takeSignals()
                if signals & (1 << UInt32(SIGINT) | 1 << UInt32(SIGTERM) | 1 << UInt32(SIGHUP)) != 0 { break loop }
                var keys = decoder.feed(bytes)
                if bytes.isEmpty && decoder.hasPending { keys += decoder.flush() }
                var dirty = signals & (1 << UInt32(SIGWINCH)) != 0
                var advanced = false
                for key in keys {
                    lastActivity = Self.millis()
                    session.message = nil
                    let before = work.current?.claim.assignment
                    let action = session.handle(key)
                    if action == .quit { break loop }
                    if let message = work.perform(action) { session.message = message }
                    answered = DispatchTime.now().uptimeNanoseconds
                    if action == .undo { refreshProgress(force: true) }
                    if work.current?.claim.assignment != before || action == .refresh || action == .undo {
                        if case .submit(let outcome) = action, case .label = outcome { progress.doneToday += 1 }
                        if case .submit(.boxes) = action { progress.doneToday += 1 }
                        let message = session.message
                        session.present(work.current)
                        session.message = message
                        advanced = true
                    }
                    dirty = true
                }
                if let lost = work.renewIfDue(lastActivity: lastActivity) { session.message = lost; dirty = true }
                if refreshProgress(force: false) { dirty = true }
                if dirty { draw() }
                if advanced, options.measurePath != nil, keys.count == 1 {
                    latencies.append(Double(DispatchTime.now().uptimeNanoseconds - keyTime) / 1e6)
                    phases.answer.append(Double(answered - keyTime) / 1e6)
                    phases.frame.append(Double(lastFrame.render - answered) / 1e6)
                    phases.write.append(Double(lastFrame.written - lastFrame.render) / 1e6)
                }
            }
        }
        released = work.finish()
        terminal.leave()
        if let path = options.measurePath { try writeMeasurements(path) }
        return released
    }

    private static func millis() -> Int64 { Int64(Date().timeIntervalSince1970 * 1000) }

    /// Re-reads the day's progress every 10 s (counts of other reviewers change too).
    @discardableResult
    private func refreshProgress(force: Bool) -> Bool {
        let now = Self.millis()
        guard force || now - progressAt >= 10_000 else { return false }
        progressAt = now
        let fresh = work.progress(budget: options.budget)
        defer { progress = fresh }
        return fresh != progress
    }

    private func draw() {
        let (w, h) = terminal.size
        progress.now = Self.millis()
        let screen = ReviewScreen.render(session, progress: progress, tally: work.tally, model: work.model, width: w, height: h)
        let bytes = screen.ansi(options.colour)
        lastFrame.render = DispatchTime.now().uptimeNanoseconds
        terminal.write(bytes)
        lastFrame.written = DispatchTime.now().uptimeNanoseconds
    }

    private func writeMeasurements(_ path: String) throws {
        func quantile(_ values: [Double], _ q: Double) -> Double {
            let sorted = values.sorted()
            return sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * q).rounded()))]
        }
        let text = String(format: "{\"samples\":%d,\"median_ms\":%.3f,\"p95_ms\":%.3f,\"max_ms\":%.3f,\"answer_median_ms\":%.3f,\"frame_median_ms\":%.3f,\"write_median_ms\":%.3f,\"latencies_ms\":[%@]}\n",
                          latencies.count, quantile(latencies, 0.5), quantile(latencies, 0.95), quantile(latencies, 1),
                          quantile(phases.answer, 0.5), quantile(phases.frame, 0.5), quantile(phases.write, 0.5),
                          latencies.map { String(format: "%.3f", $0) }.joined(separator: ","))
        try text.write(toFile: path, atomically: true, encoding: .utf8)
    }
}
