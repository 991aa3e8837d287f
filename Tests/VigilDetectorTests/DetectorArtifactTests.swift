import Foundation
import Testing
import VigilCore
@testable import VigilDetector

struct DetectorArtifactTests {
    @Test func saveAndLoadGiveTheSameDetector() throws {
        let d = try Tiny.trained()
        let url = Tiny.temporaryDirectory().appendingPathComponent("v1.safetensors")
        let sha = try d.save(to: url)
        let bytes = try #require(FileManager.default.contents(atPath: url.path))
        #expect(sha == SHA256.hash(bytes).hexString)
        let back = try Detector.load(from: url)
        #expect(back.config == d.config && back.config.weightsSHA256 == sha)
        #expect(try back.predict(Tiny.data, minScore: 0) == (try d.predict(Tiny.data, minScore: 0)))
        #expect(back.config.training?.dataFingerprint == Tiny.data.fingerprint)
        // The same weights have the same identity, whatever the run's timings.
        #expect(try back.save(to: url.deletingLastPathComponent().appendingPathComponent("copy.safetensors")) == sha)
        let again = try Tiny.trained()
        #expect(try again.save(to: url.deletingLastPathComponent().appendingPathComponent("again.safetensors")) == sha)
    }

    @Test func workersGiveTheSameDetections() throws {
        let d = try Tiny.trained()
        let one = try d.predict(Tiny.data, batchSize: 5, minScore: 0, workers: 1)
        #expect(one.count == Tiny.data.count && one.allSatisfy { !$0.isEmpty })
        #expect(try d.predict(Tiny.data, batchSize: 5, minScore: 0, workers: 2) == one)
        #expect(try d.predict(Tiny.data, batchSize: 5, minScore: 0, workers: 3) == one)
    }

    @Test func aChangedWeightsFileIsRefused() throws {
        let url = Tiny.temporaryDirectory().appendingPathComponent("v1.safetensors")
        try Tiny.trained().save(to: url)
        var bytes = try #require(FileManager.default.contents(atPath: url.path))
        bytes[bytes.count - 1] ^= 1
        try bytes.write(to: url)
        #expect(throws: DetectorError.self) { try Detector.load(from: url) }
        #expect(throws: DetectorError.self) { try Detector.load(from: url.deletingLastPathComponent().appendingPathComponent("none.safetensors")) }
    }

    /// Python's `safetensors` reads the artifact: every tensor's name, shape, dtype and values,
    /// in PyTorch's layout, and the metadata. Needs `scripts/install-test-peers.sh` (run by
    /// `make test`); fails, rather than skips, without it.
    @Test func pythonSafetensorsReadsTheArtifact() throws {
        let python = Tiny.packageRoot().appendingPathComponent(".build/test-peers/bin/python")
        try #require(FileManager.default.isExecutableFile(atPath: python.path),
                     "\(python.path) is missing: run scripts/install-test-peers.sh (make test does)")
        let d = try Tiny.trained()
        let url = Tiny.temporaryDirectory().appendingPathComponent("v1.safetensors")
        try d.save(to: url)
        let script = """
            import json, sys
            from safetensors import safe_open
            from safetensors.numpy import load_file
            t = load_file(sys.argv[1])
            with safe_open(sys.argv[1], framework="np") as f:
                meta = f.metadata()
            print(json.dumps({"meta": meta, "tensors": {k: {"dtype": str(v.dtype), "shape": list(v.shape), "values": v.ravel().tolist()} for k, v in t.items()}}))
            """
        let process = Process()
        process.executableURL = python
        process.arguments = ["-c", script, url.path]
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let out = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        #expect(process.terminationStatus == 0)
        let json = try #require(try JSONSerialization.jsonObject(with: out) as? [String: Any])
        let tensors = try #require(json["tensors"] as? [String: [String: Any]])
        let expected = d.network.storedTensors()
        #expect(Set(tensors.keys) == Set(expected.map(\.name)))
        #expect(Set(tensors.keys) == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "head.weight", "head.bias"])
        for e in expected {
            let t = try #require(tensors[e.name])
            #expect(t["dtype"] as? String == "float32")
            #expect(t["shape"] as? [Int] == e.shape, "\(e.name)")
            let values = try #require(t["values"] as? [Double]).map(Float.init)
            #expect(values == e.values, "\(e.name)")
        }
        #expect(tensors["conv2.weight"]?["shape"] as? [Int] == [8, 4, 3, 3])
        let meta = try #require(json["meta"] as? [String: String])
        #expect(meta["format"] == "pt")
        let config = try ModelConfig.decoder().decode(ModelConfig.self, from: Data(try #require(meta["vigil.config"]).utf8))
        #expect(config.classes == SceneGenerator.classNames && config.head.outputsPerCell == 10)
    }
}
