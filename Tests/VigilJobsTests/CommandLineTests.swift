import Foundation
import Testing
import VigilCore

/// The `vigil` executable as cron and people use it: exit codes, messages, files.
@Suite struct CommandLineTests {
    func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "vigil-cli-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test func initIngestEvaluateFromTheCommandLine() throws {
        let dir = try temporaryDirectory()
        let initOut = try VigilProcess.run(["init", "--dir", dir])
        #expect(initOut.status == 0)
        #expect(FileManager.default.fileExists(atPath: dir + "/vigil.yaml"))
        #expect(FileManager.default.fileExists(atPath: dir + "/policies/shelf-classifier.yaml"))
        #expect(FileManager.default.fileExists(atPath: dir + "/.vigil/vigil.db"))
        let gen = try VigilProcess.run(["example-data", "--rows", "4000", "--out", dir + "/data", "--labeled-fraction", "0.5"])
        #expect(gen.status == 0)
        let ingest = try VigilProcess.run(["ingest", "predictions", dir + "/data/predictions.ndjson", "--workspace", dir])
        #expect(ingest.status == 0, "\(ingest.stderr)")
        #expect(ingest.stdout.contains("4000 stored"))
        // Labels from standard input.
        let labels = try String(contentsOfFile: dir + "/data/labels.ndjson", encoding: .utf8)
        let fromStdin = try VigilProcess.run(["ingest", "labels", "-", "--workspace", dir, "--output", "json"], stdin: labels)
        #expect(fromStdin.status == 0, "\(fromStdin.stderr)")
        let summary = try JSONSerialization.jsonObject(with: Data(fromStdin.stdout.utf8)) as! [String: Any]
        #expect(summary["inserted"] as? Int == labels.split(separator: "\n").count)
        let env = ["VIGIL_NOW": "2026-10-31T00:00:00Z"]
        let evaluate = try VigilProcess.run(["evaluate", "--workspace", dir, "--model", "shelf-classifier", "--window", "7d"], environment: env)
        // `vigil init`'s policy judges against the baseline (the first 7 days): bag and tube lost recall after day 20,
        // below their warning levels with evidence; a 7-day window of ~30 labels each does not show them below critical.
        #expect(evaluate.status == 1, "\(evaluate.stdout)\(evaluate.stderr)")
        #expect(evaluate.stdout.hasPrefix("VIGIL WARNING - shelf-classifier"))
        #expect(evaluate.stdout.contains("ad-hoc run"), "--window is not the canonical evaluation")
        #expect(evaluate.stdout.contains("'recall[bag]'="))
        let before = try VigilProcess.run(["evaluate", "--workspace", dir, "--from", "2026-10-01T00:00:00Z", "--to", "2026-10-15T00:00:00Z",
                                           "--format", "json", "--model", "shelf-classifier"], environment: env)
        let report = try JSONSerialization.jsonObject(with: Data(before.stdout.utf8)) as! [String: Any]
        #expect(Int32(report["exit_code"] as! Int) == before.status)
        #expect(report["status"] as? String != "critical")
        let log = try VigilProcess.run(["log", "--workspace", dir])
        #expect(log.stdout.contains("evaluation.run") && log.stdout.contains("ingest.predictions") && log.stdout.contains("ingest.labels"))
    }

    @Test func rejectsAreReportedWithExitCodeOne() throws {
        let dir = try temporaryDirectory()
        _ = try VigilProcess.run(["init", "--dir", dir])
        let input = dir + "/in.ndjson"
        try """
            {"id":"a","ts":"2026-10-30T10:00:00Z","model":"shelf-classifier","label":"can","score":0.9}
            {"id":"b","ts":"2026-10-30T10:00:00Z","model":"shelf-classifier","label":"can","score":"x"}

            """.write(toFile: input, atomically: true, encoding: .utf8)
        let out = try VigilProcess.run(["ingest", "predictions", input, "--workspace", dir])
        #expect(out.status == 1)
        #expect(out.stdout.contains("line 2, field 'score' (id b): 'score' must be a number, found a string"))
        #expect(out.stdout.contains("rejected lines: \(input).rejects.ndjson"))
        let atomic = try VigilProcess.run(["ingest", "predictions", input, "--workspace", dir, "--all-or-nothing", "--rejects", dir + "/r.ndjson"])
        #expect(atomic.status == 2)
        #expect(atomic.stdout.contains("nothing was stored"))
    }

    @Test func errorsSayWhatToDo() throws {
        let dir = try temporaryDirectory()
        let noWorkspace = try VigilProcess.run(["evaluate", "--workspace", dir])
        #expect(noWorkspace.status == 3)
        #expect(noWorkspace.stderr.contains("run `vigil init`"))
        _ = try VigilProcess.run(["init", "--dir", dir])
        try "model: broken\ntask: classification\nclasses: [a, b]\nthresholds:\n  - metric: recal\n    class: a\n    warning: 0.5\n"
            .write(toFile: dir + "/policies/broken.yaml", atomically: true, encoding: .utf8)
        let badPolicy = try VigilProcess.run(["evaluate", "--workspace", dir])
        #expect(badPolicy.status == 3)
        #expect(badPolicy.stderr.contains("policies/broken.yaml: thresholds[0].metric: unknown metric 'recal'"), "\(badPolicy.stderr)")
        try "model: broken\ntask: classifier\nclasses: [a]\n".write(toFile: dir + "/policies/broken.yaml", atomically: true, encoding: .utf8)
        let badTask = try VigilProcess.run(["evaluate", "--workspace", dir])
        #expect(badTask.stderr.contains("policies/broken.yaml: task:"), "\(badTask.stderr)")
        let help = try VigilProcess.run(["evaluate", "--help"])
        #expect(help.stdout.contains("3 unknown") && help.stdout.contains("vigil evaluate --model shelf-classifier --window 7d"))
    }
}
