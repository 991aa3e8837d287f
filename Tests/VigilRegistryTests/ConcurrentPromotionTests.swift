import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilRegistry
import VigilStore

/// Promotions are alias moves in one `BEGIN IMMEDIATE` transaction that checks the champion
/// the verdict was judged against: concurrent promotions are serialised, one wins.
@Suite(.serialized) struct ConcurrentPromotionTests {
    /// Eight connections race to move `champion` from the same version, ten rounds: each round
    /// exactly one wins, the others get a conflict, and the history is one unbroken chain.
    @Test func racingConnectionsHaveExactlyOneWinnerPerRound() throws {
        let path = NSTemporaryDirectory() + "vigil-race-\(UUID().uuidString).db"
        let setup = try SQLiteStore(path: path)
        _ = try setup.syncModels([ModelSchema(name: "m", task: .classification, classes: ["a"])], now: 0)
        func draft(_ i: Int) -> ModelVersionDraft {
            ModelVersionDraft(model: "m", artifactSHA256: String(repeating: "0", count: 63) + String(i % 10), artifactPath: "/x", classes: ["a"])
        }
        _ = try setup.registerVersion(draft(0), now: 0, actor: "t")
        _ = try setup.moveAlias(AliasMoveRequest(model: "m", alias: "champion", version: 1, expected: nil, kind: .set, actor: "t", now: 0))
        let stores = try (0..<8).map { _ in try SQLiteStore(path: path) }
        for round in 0..<10 {
            let champion = try #require(try setup.aliases(model: "m")["champion"])
            let candidates = try (0..<8).map { try setup.registerVersion(draft($0 + round), now: 0, actor: "t").version }
            let results = Results()
            let start = DispatchSemaphore(value: 0)
            let group = DispatchGroup()
            for i in 0..<8 {
                let store = stores[i], version = candidates[i]
                DispatchQueue.global().async(group: group) {
                    start.wait()
                    do {
                        _ = try store.moveAlias(AliasMoveRequest(model: "m", alias: "champion", version: version, expected: champion, kind: .promote,
                                                                 actor: "worker-\(i)", now: Int64(round)))
                        results.add(winner: version)
                    } catch is RegistryConflict {
                        results.add(winner: nil)
                    } catch {
                        results.add(error: "\(error)")
                    }
                }
            }
            for _ in 0..<8 { start.signal() }
            group.wait()
            #expect(results.errors.isEmpty, "\(results.errors)")
            #expect(results.winners.count == 1, "round \(round): winners \(results.winners)")
            #expect(results.conflicts == 7)
            #expect(try setup.aliases(model: "m")["champion"] == results.winners.first)
        }
        let history = try setup.aliasHistory(model: "m", limit: 100).reversed().map { $0 }
        #expect(history.count == 11)
        for (previous, move) in zip(history, history.dropFirst()) { #expect(move.fromVersion == previous.toVersion) }
        let archived = try setup.modelVersions(model: "m").filter { $0.state == .archived }.count
        #expect(archived == 10)
    }

    /// Two `vigil registry promote` processes, each with a candidate that passed the gate
    /// against v1, started together: one promotes, the other is refused with the conflict.
    @Test func twoPromoteProcessesAtOnce() throws {
        let bed = try RegistryTestBed(promote: "manual")
        try bed.registerChampion()
        for _ in 0..<2 {
            let r = try VigilCLI.run(["retrain", "--workspace", bed.root, "--model", bed.model])
            #expect(r.status == 0 && r.output.contains("PASS"), "\(r.output)")
        }
        let processes = [2, 3].map { VigilCLI.process(["registry", "promote", "--workspace", bed.root, "--model", bed.model, "--version", "\($0)"]) }
        let pipes = processes.map { p -> Pipe in
            let out = Pipe()
            p.standardOutput = out
            p.standardError = out
            return out
        }
        for p in processes { try p.run() }
        let outputs = pipes.map { String(decoding: $0.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self) }
        for p in processes { p.waitUntilExit() }
        let statuses = processes.map(\.terminationStatus)
        #expect(statuses.sorted() == [0, 1], "\(outputs)")
        let loser = outputs[statuses[0] == 0 ? 1 : 0]
        #expect(loser.contains("another promotion or rollback came first"), "\(loser)")
        let (_, store, _) = try bed.open()
        let winner = statuses[0] == 0 ? 2 : 3
        #expect(try store.aliases(model: bed.model)["champion"] == winner)
        let moves = try store.aliasHistory(model: bed.model, limit: 10)
        #expect(moves.map(\.kind) == [.promote, .set])
        #expect(moves[0].fromVersion == 1 && moves[0].toVersion == winner)
    }
}

private final class Results: @unchecked Sendable {
    private let lock = NSLock()
    private(set) var winners: [Int] = []
    private(set) var conflicts = 0
    private(set) var errors: [String] = []
    func add(winner: Int?) {
        lock.lock(); defer { lock.unlock() }
        if let winner { winners.append(winner) } else { conflicts += 1 }
    }
    func add(error: String) { lock.lock(); errors.append(error); lock.unlock() }
}
