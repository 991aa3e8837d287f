import Foundation
import GRDB
import Testing
import VigilCore
import VigilJobs
import VigilWorkspace

/// An ingest killed with SIGKILL at random points until 20 kills have landed while rows were
/// still being written (at most 40 tries), each followed by re-running the same ingest:
/// afterwards every prediction is there exactly once, the per-hour aggregates equal a recount
/// from the rows, and SQLite's integrity check passes.
@Suite(.serialized) struct CrashRecoveryTests {
    @Test func ingestSurvivesTwentyKills() throws {
        let ws = try TestWorkspace()
        let rows = 100_000
        let files = try ExampleDataWriter.write(ExampleData(rows: rows, seed: 11), to: ws.root + "/data", labeledFraction: 0.1, csv: false)
        let dbPath = ws.workspace.path(".vigil/vigil.db")
        let args = ["ingest", "predictions", files.predictions, "--workspace", ws.root, "--batch-size", "500"]
        var rng = SplitMix64(seed: 20_261_125)
        var killedWhileWriting = 0
        // Aimed at kills inside writes, not hoping for them: each try kills once the run has
        // committed a random share of at most a sixth of what is left, within 1 ms of seeing it
        // plus a random 0–2 ms (the debug build writes ~180 rows a millisecond, so the 20 kills
        // use about two thirds of the rows and the run is far from its end when a kill comes),
        // and tries go on until 20 kills have landed while rows were still being written.
        for _ in 0..<40 where killedWhileWriting < 20 {
            let before = try storedCount(dbPath)
            let killsLeft: Int = max(1, 20 - killedWhileWriting)
            let step: Int = max(1, (rows - before) / (killsLeft + 5))
            let target: Int = before + 1 + Int(rng.next() % UInt64(step))
            let extraDelay = Double(rng.next() % 3) / 1000
            let process = VigilProcess.start(args)
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            let deadline = Date().addingTimeInterval(60)
            while process.isRunning, Date() < deadline, try storedCount(dbPath) < min(target, rows) {
                Thread.sleep(forTimeInterval: 0.001)
            }
            Thread.sleep(forTimeInterval: extraDelay)
            if process.isRunning {
                kill(process.processIdentifier, SIGKILL)
                if try storedCount(dbPath) < rows { killedWhileWriting += 1 }
            }
            process.waitUntilExit()
        }
        // The last run goes to the end.
        let last = try VigilProcess.run(args)
        #expect(last.status == 0, "\(last.stdout)\(last.stderr)")
        #expect(killedWhileWriting == 20, "only \(killedWhileWriting) kills in 40 tries landed while rows were still being written")
        let check = try VigilProcess.run(["check", "--workspace", ws.root])
        #expect(check.status == 0, "\(check.stdout)")
        #expect(check.stdout.contains("integrity: ok"))
        #expect(check.stdout.contains("predictions: \(rows) rows, \(rows) distinct ids"))
        #expect(check.stdout.contains("aggregates: equal to a recount"))
        let verification = try ws.workspace.openStore().verify()
        #expect(verification.isHealthy)
        #expect(verification.predictions == rows)
    }

    /// Rows committed so far, read as another process would.
    func storedCount(_ path: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: path) else { return 0 }
        var config = Configuration()
        config.readonly = true
        config.busyMode = .timeout(5)
        let db = try DatabaseQueue(path: path, configuration: config)
        return try db.read { try Int.fetchOne($0, sql: "SELECT COALESCE(MAX(seq), 0) FROM predictions") ?? 0 }
    }
}
