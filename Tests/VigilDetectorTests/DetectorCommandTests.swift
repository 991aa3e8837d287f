import Foundation
import Testing
import VigilCore

/// `vigil detector synth | train | finetune | predict | eval` through the built executable.
struct DetectorCommandTests {
    /// The `vigil` binary in the test bundle's products folder.
    static func vigil(_ args: [String]) throws -> (status: Int32, out: String, err: String) {
        let products = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        let candidates = [products, products.deletingLastPathComponent(), products.deletingLastPathComponent().deletingLastPathComponent()]
            .map { $0.appendingPathComponent("vigil").path } + [Tiny.packageRoot().appendingPathComponent(".build/debug/vigil").path]
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try #require(candidates.first { FileManager.default.isExecutableFile(atPath: $0) }))
        process.arguments = args
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let o = out.fileHandleForReading.readDataToEndOfFile(), e = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: o, as: UTF8.self), String(decoding: e, as: UTF8.self))
    }

    @Test func theLoopRunsFromTheCommandLine() throws {
        let dir = Tiny.temporaryDirectory().path
        let synth = try Self.vigil(["detector", "synth", "--out", dir + "/s", "--count", "12", "--size", "16", "--seed", "3"])
        #expect(synth.status == 0, "\(synth.err)")
        let train = try Self.vigil(["detector", "train", "--data", dir + "/s", "--out", dir + "/m/v1.safetensors", "--epochs", "2",
                                    "--batch", "4", "--channels", "4,8,8", "--holdout", dir + "/s"])
        #expect(train.status == 0, "\(train.err)")
        #expect(train.out.contains("epoch 2/2") && train.out.contains("images/s") && train.out.contains("ETA"))
        let v1 = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/m/v1.json"))) as? [String: Any]
        let sha = try #require(v1?["weights_sha256"] as? String)
        #expect((v1?["training"] as? [String: Any])?["metrics"] as? [String: Double] != nil)

        let tune = try Self.vigil(["detector", "finetune", "--from", dir + "/m/v1.safetensors", "--data", dir + "/s",
                                   "--out", dir + "/m/v2.safetensors", "--epochs", "1", "--batch", "4"])
        #expect(tune.status == 0, "\(tune.err)")
        let v2 = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: dir + "/m/v2.json"))) as? [String: Any]
        #expect((v2?["training"] as? [String: Any])?["finetuned_from"] as? String == sha)

        let predict = try Self.vigil(["detector", "predict", "--model", dir + "/m/v2.safetensors", "--data", dir + "/s",
                                      "--ts", "2026-10-01T00:00:00Z", "--min-score", "0"])
        #expect(predict.status == 0, "\(predict.err)")
        let lines = predict.out.split(separator: "\n")
        #expect(lines.count == 12)
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        #expect(first["id"] as? String == "s-000000.png" && first["model"] as? String == "embedded-detector")

        let eval = try Self.vigil(["detector", "eval", "--model", dir + "/m/v2.safetensors", "--data", dir + "/s", "--format", "json"])
        #expect(eval.status == 0, "\(eval.err)")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(eval.out.utf8)) as? [String: Any])
        #expect(report["images"] as? Int == 12 && report["map50"] is Double)

        let missing = try Self.vigil(["detector", "eval", "--model", dir + "/m/none.safetensors", "--data", dir + "/s"])
        #expect(missing.status == 1 && missing.err.contains("vigil detector train"))
    }

    @Test(arguments: [["detector"], ["detector", "synth"], ["detector", "train"], ["detector", "finetune"], ["detector", "predict"], ["detector", "eval"]])
    func helpHasExamples(_ command: [String]) throws {
        let help = try Self.vigil(command + ["--help"])
        #expect(help.status == 0)
        #expect(help.out.contains("vigil " + command.joined(separator: " ")), "\(help.out)")
    }
}
