import Foundation
@testable import VigilDetector

/// Tiny settings that train in well under a second in a debug build.
enum Tiny {
    static let config = ModelConfig(classes: SceneGenerator.classNames, inputSize: 16, channels: [4, 8], pools: 2, anchor: 4)
    static let data = SceneSet.synthesize(SceneGenerator(domain: .source, size: 16), seed: 5, count: 12, prefix: "tiny")
    static let settings = Trainer.Settings(epochs: 2, batchSize: 4, learningRate: 3e-3, seed: 7, blasThreads: 2)

    static func trained(seed: UInt64 = 7) throws -> Detector {
        let d = Detector(config: config, seed: seed)
        var s = settings
        s.seed = seed
        d.config.training = try Trainer(settings: s).train(d.network, on: data)
        return d
    }

    static func temporaryDirectory() -> URL {
        let url = URL(fileURLWithPath: NSTemporaryDirectory() + "vigil-detector-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// The package root, from this file's path.
    static func packageRoot(_ file: String = #filePath) -> URL {
        URL(fileURLWithPath: file).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }
}
