import Foundation
import Testing
import VigilCore
import VigilDetector
import VigilImaging
import VigilJobs

/// The embedded trainer against the trainer contract, on a deliberately tiny detector: what it
/// reads (reviewed and parent images, scene and file inputs), what it writes, and how it fails.
@Suite struct EmbeddedTrainerTests {
    static let classes = SceneGenerator.classNames

    /// A folder with a tiny trained parent, a COCO training set (4 reviewed shifted scenes,
    /// 6 parent source scenes), and a holdout of 3 scenes and 1 PNG file.
    struct Bed {
        let dir = NSTemporaryDirectory() + "vigil-embedded-\(UUID().uuidString)"
        var parent: String { dir + "/parent.safetensors" }

        init() throws {
            try FileManager.default.createDirectory(atPath: dir + "/out", withIntermediateDirectories: true)
            let config = ModelConfig(classes: EmbeddedTrainerTests.classes, channels: [4, 4, 4, 4])
            let source = SceneSet.synthesize(SceneGenerator(domain: .source), seed: 1, count: 16, prefix: "p")
            let net = Detector(config: config, seed: 1)
            _ = try VigilDetector.Trainer(settings: .init(epochs: 1, batchSize: 8)).train(net.network, on: source)
            // Only the weights file: the trainer must read the architecture from its metadata.
            try net.save(to: URL(fileURLWithPath: parent))
            try FileManager.default.removeItem(atPath: dir + "/parent.json")

            var images: [String] = [], annotations: [String] = []
            func add(_ origin: String?, domain: String, seed: UInt64, index: Int, id: Int) {
                let scene = SceneGenerator(domain: try! Domain.parse(domain)).scene(seed: seed, index: index)
                let input = ImageInput.scene(domain: domain, seed: seed, index: index, size: 64)
                images.append("{\"id\":\(id),\"file_name\":\"img-\(id)\"" + (origin.map { ",\"origin\":\"\($0)\"" } ?? "") + ",\"input\":\(input.json)}")
                for b in scene.boxes {
                    annotations.append("{\"id\":\(annotations.count + 1),\"image_id\":\(id),\"category_id\":\(b.classIndex + 1),\"bbox\":[\(b.x),\(b.y),\(b.w),\(b.h)],\"iscrowd\":0}")
                }
            }
            for i in 0..<6 { add("parent", domain: "source", seed: 1, index: i, id: i + 1) }
            for i in 0..<4 { add("review", domain: "shifted", seed: 5, index: i, id: i + 7) }
            let categories = EmbeddedTrainerTests.classes.enumerated().map { "{\"id\":\($0.offset + 1),\"name\":\"\($0.element)\"}" }
            try ("{\"images\":[\(images.joined(separator: ","))],\"annotations\":[\(annotations.joined(separator: ","))],\"categories\":[\(categories.joined(separator: ","))]}")
                .write(toFile: dir + "/train.coco.json", atomically: true, encoding: .utf8)
            try PNGCodec.write(SceneGenerator(domain: .shifted).scene(seed: 9, index: 0).image, to: URL(fileURLWithPath: dir + "/frame.png"))
            var holdout = (0..<3).map { "{\"id\":\"h\($0)\",\"input\":\(ImageInput.scene(domain: "shifted", seed: 6, index: $0, size: 64).json)}" }
            holdout.append("{\"id\":\"h-file\",\"input\":{\"uri\":\"frame.png\"}}")
            try (holdout.joined(separator: "\n") + "\n").write(toFile: dir + "/holdout.ndjson", atomically: true, encoding: .utf8)
        }

        func request(task: ModelTask = .detection, parent: String? = nil, stop: @escaping @Sendable () -> Bool = { false }) -> TrainingRequest {
            TrainingRequest(model: "m", task: task, classes: EmbeddedTrainerTests.classes, trainingSet: dir + "/train.coco.json",
                            holdout: dir + "/holdout.ndjson", outputDirectory: dir + "/out", parentArtifact: parent ?? self.parent,
                            timeoutMillis: 600_000, logFile: dir + "/log.txt", shouldStop: stop)
        }
    }

    static func trainer(replay: Int = 3) -> EmbeddedTrainer {
        EmbeddedTrainer(settings: EmbeddedTrainingSettings(epochs: 2, batchSize: 4, replay: replay, minScore: 0), imageBase: "")
    }

    @Test func fineTunesOnReviewedImagesAndReplayAndPredictsEveryHoldoutLine() throws {
        let bed = try Bed()
        defer { try? FileManager.default.removeItem(atPath: bed.dir) }
        let request = bed.request()
        try EmbeddedTrainer(settings: EmbeddedTrainingSettings(epochs: 2, batchSize: 4, replay: 3, minScore: 0), imageBase: bed.dir).train(request)

        let log = try String(contentsOfFile: request.logFile, encoding: .utf8)
        #expect(log.contains("4 reviewed images + 3 replayed from the champion's 6"))
        #expect(log.contains("epoch 2/2"))
        // The artifact loads from the weights file alone and differs from the parent.
        let candidate = try Detector.load(from: URL(fileURLWithPath: request.artifactPath))
        #expect(candidate.config.classes == EmbeddedTrainerTests.classes)
        #expect(candidate.config.weightsSHA256 != (try Detector.load(from: URL(fileURLWithPath: bed.parent))).config.weightsSHA256)
        #expect(candidate.config.training?.finetunedFrom != nil)
        // One prediction line per holdout line, in order, boxes in the contract's form.
        let lines = try String(contentsOfFile: request.predictionsPath, encoding: .utf8).split(separator: "\n")
        let ids = try lines.map { try #require((try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])?["id"] as? String) }
        #expect(ids == ["h0", "h1", "h2", "h-file"])
        let first = try #require(try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any])
        let boxes = try #require(first["boxes"] as? [[String: Any]])
        #expect(!boxes.isEmpty)  // min_score 0: the head always proposes something
        #expect(boxes.allSatisfy { ($0["bbox"] as? [Double])?.count == 4 && $0["score"] is Double && EmbeddedTrainerTests.classes.contains($0["label"] as? String ?? "") })
        let classes = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: request.classesPath))) as? [String]
        #expect(classes == EmbeddedTrainerTests.classes)
    }

    @Test func refusesClassifiersAModelWithoutAChampionAndUnreadablePixels() throws {
        let bed = try Bed()
        defer { try? FileManager.default.removeItem(atPath: bed.dir) }
        let trainer = EmbeddedTrainer(settings: EmbeddedTrainingSettings(epochs: 1), imageBase: bed.dir)
        #expect(throws: JobError.self) { try trainer.train(bed.request(task: .classification)) }
        do {
            var request = bed.request()
            request.parentArtifact = nil
            try trainer.train(request)
            Issue.record("trained without a champion")
        } catch { #expect("\(error)".contains("has none yet")) }
        // A training image whose file is missing: the error names the file and the image.
        let coco = try String(contentsOfFile: bed.dir + "/train.coco.json", encoding: .utf8)
        let broken = coco.replacingOccurrences(of: "\"file_name\":\"img-7\",\"origin\":\"review\",\"input\":{\"scene\"",
                                               with: "\"file_name\":\"img-7\",\"origin\":\"review\",\"input\":{\"uri\":\"missing.png\",\"x\"")
        #expect(broken != coco)
        try broken.write(toFile: bed.dir + "/train.coco.json", atomically: true, encoding: .utf8)
        do {
            try trainer.train(bed.request())
            Issue.record("trained on an image it could not read")
        } catch {
            #expect("\(error)".contains("img-7"))
            #expect("\(error)".contains("missing.png"))
        }
    }

    @Test func stopsWhenTheJobIsCancelled() throws {
        let bed = try Bed()
        defer { try? FileManager.default.removeItem(atPath: bed.dir) }
        do {
            try Self.trainer().withBase(bed.dir).train(bed.request(stop: { true }))
            Issue.record("training ignored the cancellation")
        } catch { #expect("\(error)".contains("cancelled")) }
        #expect(!FileManager.default.fileExists(atPath: bed.dir + "/out/predictions.ndjson"))
    }

    @Test func inputsNameWhatIsWrong() throws {
        #expect(try ImageInput(json: ["uri": "file:///tmp/a.png"]) == .file("/tmp/a.png"))
        #expect(try ImageInput(json: ["scene": ["domain": "shifted", "seed": 3, "index": 4]]) == .scene(domain: "shifted", seed: 3, index: 4, size: 64))
        for (input, message) in [(["uri": "s3://bucket/a.png"], "not a local file"), (["scene": ["seed": 1, "index": 2]], "input.scene.domain"),
                                 (["camera": "c1"], "neither"), (["scene": ["domain": "source", "seed": 1]], "input.scene.index")] as [([String: Any], String)] {
            do {
                _ = try ImageInput(json: input)
                Issue.record("accepted \(input)")
            } catch { #expect("\(error)".contains(message), "\(error)") }
        }
        let scene = try ImageInput.scene(domain: "source", seed: 1, index: 0, size: 64).load(base: "/")
        #expect(scene.truth == SceneGenerator(domain: .source).scene(seed: 1, index: 0).boxes)
    }
}

extension EmbeddedTrainer {
    func withBase(_ base: String) -> EmbeddedTrainer { EmbeddedTrainer(settings: settings, imageBase: base) }
}
