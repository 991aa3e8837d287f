import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilStore

/// `vigil sample` and `vigil queue …` as a user runs them.
struct QueueCommandTests {
    @Test func sampleThenLookAtAndReleaseTheQueue() throws {
        let ws = try TestWorkspace()
        let path = ws.root + "/policies/shelf-classifier.yaml"
        try (try String(contentsOfFile: path, encoding: .utf8) + """
            sampling:
              daily_budget: 30
              window: 30d
              strategies:
                - {strategy: stratified, share: 0.5}
                - {strategy: uncertainty, share: 0.5}
            review:
              double_review_fraction: 0.5
            """).write(toFile: path, atomically: true, encoding: .utf8)
        let lines = (0..<120).map { predictionLine("q\($0)", label: ["can", "bottle", "box"][$0 % 3], ts: "2026-10-2\($0 % 9)T10:00:00Z") }
        _ = try ws.ingest(.predictions, try ws.file("p.ndjson", lines.joined(separator: "\n") + "\n"))
        let env = ["VIGIL_NOW": "2026-10-31T00:00:00Z"]
        let sample = try VigilProcess.run(["sample", "--workspace", ws.root, "--format", "json"], environment: env)
        #expect(sample.status == 0, "\(sample.stderr)")
        let outcome = try #require(try JSONSerialization.jsonObject(with: Data(sample.stdout.utf8)) as? [[String: Any]]).first
        #expect(outcome?["candidates"] as? Int == 120)
        let queued = try #require(outcome?["queued"] as? Int)
        // The budget is a hard cap: the stratified share of 15 cannot give 3 classes their 12 each,
        // so it gives 5 each and says so; the uncertainty share adds up to 15 more (fewer where both drew an item).
        #expect(queued >= 20 && queued <= 30)
        #expect((outcome?["shortfall"] as? String)?.contains("min_per_class") == true)
        #expect((outcome?["last_24h"] as? [String: Int])?["stratified"] == 15)
        // Two claims by alice, one by bob, then alice's are released.
        let now = Timestamp.parseMillis("2026-10-31T00:00:00Z")!
        for reviewer in ["alice", "alice", "bob"] { _ = try ws.store.claim(model: nil, reviewer: reviewer, now: now, leaseMillis: 600_000) }
        let status = try VigilProcess.run(["queue", "status", "--workspace", ws.root, "--format", "json"], environment: env)
        let counts = try JSONDecoder().decode(QueueStatus.self, from: Data(status.stdout.utf8))
        #expect(counts.claimed == 3 && counts.open == queued)
        let list = try VigilProcess.run(["queue", "list", "--workspace", ws.root, "--limit", "100"], environment: env)
        #expect(list.stdout.contains("claimed by alice") && list.stdout.contains("π="))
        let release = try VigilProcess.run(["queue", "release", "--workspace", ws.root, "--reviewer", "alice"], environment: env)
        #expect(release.stdout.contains("released 2 claims"), "\(release.stdout)\(release.stderr)")
        let bad = try VigilProcess.run(["queue", "release", "--workspace", ws.root], environment: env)
        #expect(bad.status != 0 && bad.stderr.contains("--reviewer NAME or --all"))
        // An hour later the lease of bob's claim (10 minutes) has passed: it shows as expired.
        let later = try VigilProcess.run(["queue", "status", "--workspace", ws.root], environment: ["VIGIL_NOW": "2026-10-31T01:00:00Z"])
        #expect(later.stdout.contains("claimed: 0") && later.stdout.contains("expired claims: 1"), "\(later.stdout)")
    }

    @Test(arguments: [["tick"], ["jobs"], ["sample"], ["queue", "status"], ["queue", "list"], ["queue", "release"], ["queue", "stats"], ["review"]])
    func everyNewCommandHasHelpWithExamples(_ command: [String]) throws {
        let help = try VigilProcess.run(command + ["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("vigil " + command.joined(separator: " ")), "\(help.stdout)")
    }
}
