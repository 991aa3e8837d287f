import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilRegistry
import VigilStore

/// Against a real MLflow server (scripts/mlflow-test-server.sh: SQLite backend, loopback).
/// `make test` installs MLflow first and sets VIGIL_REQUIRE_MLFLOW=1, so there a missing
/// MLflow fails the test; run alone without the virtualenv, the test is skipped and says so.
@Suite(.serialized) struct MLflowRegistryTests {
    static let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path
    static let installed = FileManager.default.isExecutableFile(atPath: repository + "/.build/mlflow-venv/bin/mlflow")
    static let required = ProcessInfo.processInfo.environment["VIGIL_REQUIRE_MLFLOW"] == "1"

    /// Starts a server; returns its base URL and pid.
    static func startServer() throws -> (url: String, pid: Int32) {
        let dir = NSTemporaryDirectory() + "vigil-mlflow-\(UUID().uuidString)"
        // posix_spawn and waitpid, not Process: the server outlives the script, and Foundation's
        // Process does not report the script's exit while the server holds what it inherited.
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        let script = repository + "/scripts/mlflow-test-server.sh"
        let command = "exec \"$0\" \"$1\" > /dev/null 2> \"$1/script.err\" < /dev/null"
        let words: [String] = ["/bin/sh", "-c", command, script, dir]
        let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
        defer { argv.forEach { free($0) } }
        // The test runs on a thread with signals blocked; the server must not inherit that mask,
        // or SIGTERM would never reach it.
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var empty = sigset_t(), defaults = sigset_t()
        sigemptyset(&empty)
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGTERM)
        sigaddset(&defaults, SIGINT)
        posix_spawnattr_setsigmask(&attributes, &empty)
        posix_spawnattr_setsigdefault(&attributes, &defaults)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        var child: pid_t = 0
        guard posix_spawn(&child, "/bin/sh", nil, &attributes, argv, environ) == 0 else { throw RegistryError("cannot start \(script)") }
        var status: Int32 = 0
        while waitpid(child, &status, 0) == -1 && errno == EINTR {}
        let text = (try? String(contentsOfFile: dir + "/server.addr", encoding: .utf8)) ?? ""
        let problems = (try? String(contentsOfFile: dir + "/script.err", encoding: .utf8)) ?? ""
        let parts = text.split(whereSeparator: \.isWhitespace)
        guard parts.count == 2, let port = Int(parts[0]), let pid = Int32(parts[1]) else {
            throw RegistryError("scripts/mlflow-test-server.sh failed (wait status \(status)): \(text) \(problems)")
        }
        return ("http://127.0.0.1:\(port)", pid)
    }

    /// SIGTERM (which stops MLflow's workers), then SIGKILL if it is still there after 10 s.
    static func stop(_ pid: Int32) {
        kill(pid, SIGTERM)
        for _ in 0..<100 where kill(pid, 0) == 0 {
            var status: Int32 = 0
            _ = waitpid(pid, &status, WNOHANG)  // not our child (the script's): only in case
            Thread.sleep(forTimeInterval: 0.1)
        }
        if kill(pid, 0) == 0 { kill(pid, SIGKILL) }
    }

    /// GET through curl, independently of MLflowRegistry.
    static func get(_ url: String) throws -> [String: Any] {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        p.arguments = ["-sS", url]
        let out = Pipe()
        p.standardOutput = out
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
    }

    static func tags(_ modelVersion: Any?) -> [String: String] {
        var out: [String: String] = [:]
        for t in (modelVersion as? [String: Any])?["tags"] as? [[String: Any]] ?? [] { out[t["key"] as? String ?? ""] = t["value"] as? String }
        return out
    }

    @Test func retrainGatePromoteAndRollbackThroughMLflow() throws {
        guard Self.installed else {
            if Self.required {
                Issue.record("MLflow is not installed in .build/mlflow-venv: run scripts/mlflow-test-server.sh --install-only (make test does)")
            } else {
                print("MLflowRegistryTests: skipped — no .build/mlflow-venv; `make test` installs it (scripts/mlflow-test-server.sh --install-only)")
            }
            return
        }
        let server = try Self.startServer()
        defer { Self.stop(server.pid) }
        let bed = try RegistryTestBed(promote: "auto", mlflowURL: server.url)
        let api = server.url + "/api/2.0/mlflow"

        let reg = try VigilCLI.run(["registry", "register", "--workspace", bed.root, "--model", bed.model, "--artifact", bed.root + "/v1.bin",
                                    "--training-data", bed.root + "/original-train", "--champion"])
        #expect(reg.status == 0, "\(reg.output)")
        let retrain = try VigilCLI.run(["retrain", "--workspace", bed.root, "--model", bed.model])
        #expect(retrain.status == 0 && retrain.output.contains("PASS") && retrain.output.contains("promoted"), "\(retrain.output)")

        // Read back through MLflow's REST API.
        let champion = try Self.get("\(api)/registered-models/alias?name=\(bed.model)&alias=champion")["model_version"] as? [String: Any]
        #expect(champion?["version"] as? String == "2", "\(String(describing: champion))")
        #expect((champion?["source"] as? String)?.hasPrefix("vigil-artifact://sha256/") == true)
        let tags = Self.tags(champion)
        #expect(tags["vigil.gate.passed"] == "true")
        #expect(tags["vigil.gate.metric"] == "macro_f1")
        #expect(tags["vigil.gate.champion"] == "1")
        #expect(tags["vigil.state"] == "promoted")
        #expect(Double(tags["vigil.gate.improvement"] ?? "") ?? 0 > 0.1)
        #expect(Double(tags["vigil.gate.p_value"] ?? "") ?? 1 <= 0.05)
        #expect(GateVerdict.decode(tags["vigil.gate.verdict"] ?? "")?.candidate == 2)
        #expect(tags["vigil.parent_version"] == "1" && tags["vigil.job"] == "1" && tags["vigil.sha256"]?.count == 64)
        let previous = try Self.get("\(api)/registered-models/alias?name=\(bed.model)&alias=previous_champion")["model_version"] as? [String: Any]
        #expect(previous?["version"] as? String == "1")
        #expect(Self.tags(previous)["vigil.state"] == "archived")

        // Vigil reads the same registry back.
        let list = try VigilCLI.run(["registry", "list", "--workspace", bed.root, "--model", bed.model])
        #expect(list.output.contains("v2  promoted  [champion]"), "\(list.output)")
        let history = try VigilCLI.run(["registry", "history", "--workspace", bed.root, "--model", bed.model])
        #expect(history.output.contains("v1 → v2  promote"), "\(history.output)")

        // A stale promotion is refused; a rollback moves the alias back.
        let registry = try MLflowRegistry(baseURL: server.url)
        #expect(throws: RegistryConflict.self) {
            try registry.moveAlias(AliasMoveRequest(model: bed.model, alias: "champion", version: 1, expected: 1, kind: .promote, actor: "t", now: 0))
        }
        let back = try VigilCLI.run(["registry", "rollback", "--workspace", bed.root, "--model", bed.model, "--reason", "test"])
        #expect(back.status == 0, "\(back.output)")
        let after = try Self.get("\(api)/registered-models/alias?name=\(bed.model)&alias=champion")["model_version"] as? [String: Any]
        #expect(after?["version"] as? String == "1")
        #expect(try registry.history(model: bed.model, limit: 10).map(\.kind) == [.rollback, .promote, .set])
    }
}
