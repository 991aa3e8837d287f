import ArgumentParser
import Foundation
import VigilCore
import VigilDetector

struct DetectorCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "detector",
        abstract: "The embedded detector: synthetic scenes, training, fine-tuning, prediction, evaluation.",
        discussion: """
            A small convolutional detector Vigil trains and runs itself (OpenBLAS), so the whole loop runs on one machine. Weights are safetensors files with a JSON config next to them; the file's SHA-256 is the version's identity (docs/detector.md).

              vigil detector synth --out data/train --count 4000 --seed 1
              vigil detector synth --out data/night --count 500 --seed 3 --domain shifted
              vigil detector train --data data/train --out models/v1.safetensors
              vigil detector eval --model models/v1.safetensors --data data/night
              vigil detector finetune --from models/v1.safetensors --data data/night --data data/train --out models/v2.safetensors
              vigil detector predict --model models/v2.safetensors --data data/night --out night.ndjson
              vigil ingest predictions night.ndjson && vigil ingest labels --coco data/night/annotations.json
            """,
        subcommands: [DetectorSynth.self, DetectorTrain.self, DetectorFinetune.self, DetectorPredict.self, DetectorEval.self]
    )
}

struct DetectorSynth: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "synth", abstract: "Write synthetic scenes as PNG files and COCO annotations.",
        discussion: """
            Scenes are deterministic by seed and index. A domain is a preset (source, shifted) with optional overrides: brightness, contrast, tint=r:g:b, textures=stripes+checks+clouds, texture_strength, background=low:high, noise, blur, scale=min:max, palette=standard|muted|swapped, max_objects, name.

              vigil detector synth --out data/train --count 4000 --seed 1
              vigil detector synth --out data/cam2 --count 500 --seed 9 --domain "source,noise=12,blur=1,name=cam2"

            Writes DIR/annotations.json and DIR/images/<prefix>-<index>.png.
            """)

    @Option(help: "Output folder.") var out: String
    @Option(help: "Number of scenes.") var count: Int
    @Option(help: "Seed.") var seed: UInt64 = 1
    @Option(help: "Domain spec: a preset and optional key=value overrides.") var domain: String = "source"
    @Option(help: "Image side in pixels.") var size: Int = 64
    @Option(help: "File name prefix (default: the output folder's name).") var prefix: String?
    @Option(help: "Index of the first scene.") var first: Int = 0

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let d = try Domain.parse(domain)
            guard count >= 0, size >= 16, size % 8 == 0 else { throw DetectorError("--count must be ≥ 0 and --size a multiple of 8, at least 16") }
            let dir = URL(fileURLWithPath: out)
            let set = SceneSet.synthesize(SceneGenerator(domain: d, size: size), seed: seed, count: count,
                                          prefix: prefix ?? dir.lastPathComponent, first: first)
            try set.write(to: dir)
            print("wrote \(count) scenes (\(set.boxes.map(\.count).reduce(0, +)) objects, domain \(d.name)) to \(out)")
        }
    }
}

/// Options of `train` and `finetune`.
struct TrainingOptions: ParsableArguments {
    @Option(name: .customLong("data"), help: "A scene folder to train on (repeatable).") var data: [String] = []
    @Option(help: "Where to write the weights (.safetensors; the config goes next to it as .json).") var out: String
    @Option(help: "Epochs.") var epochs: Int?
    @Option(help: "Minibatch size.") var batch: Int = 32
    @Option(help: "Adam's initial learning rate.") var lr: Double?
    @Option(help: "Seed (initialisation and shuffling).") var seed: UInt64 = 1
    @Option(help: "OpenBLAS threads (results are repeatable for a fixed count).") var threads: Int = 1
    @Option(help: "Parts each batch is split into, trained side by side on network copies, one thread each (repeatable for a fixed count).") var workers: Int = 1
    @Option(name: .customLong("holdout"), help: "A scene folder to evaluate after training; its mAP is recorded in the config (repeatable).") var holdout: [String] = []

    func loadData() throws -> SceneSet {
        guard let first = data.first else { throw DetectorError("give at least one --data folder (make one with `vigil detector synth`)") }
        var set = try SceneSet.load(from: URL(fileURLWithPath: first))
        for d in data.dropFirst() { set = try set.appending(try SceneSet.load(from: URL(fileURLWithPath: d))) }
        return set
    }

    func train(_ detector: Detector, defaults: (epochs: Int, lr: Double), finetunedFrom: String?) throws {
        let set = try loadData()
        print("training on \(set.count) images (\(data.joined(separator: ", ")))")
        let trainer = Trainer(settings: .init(epochs: epochs ?? defaults.epochs, batchSize: batch, learningRate: lr ?? defaults.lr,
                                              seed: seed, blasThreads: threads, workers: workers))
        var record = try trainer.train(detector.network, on: set, finetunedFrom: finetunedFrom) { print($0.line) }
        for h in holdout {
            let hs = try SceneSet.load(from: URL(fileURLWithPath: h))
            let r = try detector.evaluate(hs)
            let name = URL(fileURLWithPath: h).lastPathComponent
            record.metrics[name + ".map"] = r.stats[0]
            record.metrics[name + ".map50"] = r.stats[1]
            print(name + String(format: ": mAP %.4f  mAP50 %.4f  (%d images)", r.stats[0], r.stats[1], hs.count))
        }
        detector.config.training = record
        let sha = try detector.save(to: URL(fileURLWithPath: out))
        print(String(format: "trained in %.1f s (%.0f images/s); wrote ", record.seconds, record.imagesPerSecond) + out + " (sha256 \(sha))")
    }
}

struct DetectorTrain: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "train", abstract: "Train a detector from scratch on synthetic or reviewed scenes.",
        discussion: """
              vigil detector train --data data/train --out models/v1.safetensors
              vigil detector train --data data/train --holdout data/holdout --epochs 15 --seed 7 --out models/v1.safetensors

            Prints one line per epoch: loss, images/s, ETA.
            """)

    @OptionGroup var options: TrainingOptions
    @Option(help: "Output channels of the 3×3 convolutions, comma-separated.") var channels: String = "8,16,32,32"

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let set = try SceneSet.load(from: URL(fileURLWithPath: options.data.first ?? "."))
            let ch = channels.split(separator: ",").compactMap { Int($0) }
            var config = ModelConfig(classes: set.classes, inputSize: set.size, channels: ch)
            config.training = nil
            try config.validate()
            try options.train(Detector(config: config, seed: options.seed), defaults: (8, 3e-3), finetunedFrom: nil)
        }
    }
}

struct DetectorFinetune: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "finetune", abstract: "Continue training an existing version on new labelled scenes.",
        discussion: """
            Mix in some source scenes so the new version does not forget the old domain:

              vigil detector finetune --from models/v1.safetensors --data data/night --data data/train-small --out models/v2.safetensors
            """)

    @Option(help: "The version to start from (.safetensors).") var from: String
    @OptionGroup var options: TrainingOptions

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let base = try Detector.load(from: URL(fileURLWithPath: from))
            try options.train(base, defaults: (15, 3e-3), finetunedFrom: base.config.weightsSHA256)
        }
    }
}

/// Options of `predict` and `eval`.
struct InferenceOptions: ParsableArguments {
    @Option(help: "The weights (.safetensors; the .json config next to it).") var model: String
    @Option(help: "Scene folder (annotations.json + images/).") var data: String
    @Option(help: "OpenBLAS threads.") var threads: Int = 1
    @Option(help: "Images per forward pass.") var batch: Int = 64
    @Option(help: "Batches run side by side, each on its own network copy and thread.") var workers: Int = 2

    /// Sets the thread count, loads the version and the scenes.
    func load() throws -> (Detector, SceneSet) {
        BLAS.setThreads(threads)
        return (try Detector.load(from: URL(fileURLWithPath: model)), try SceneSet.load(from: URL(fileURLWithPath: data)))
    }
}

struct DetectorPredict: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "predict", abstract: "Write prediction NDJSON for a scene folder, ready for `vigil ingest predictions`.",
        discussion: """
              vigil detector predict --model models/v1.safetensors --data data/night --out night.ndjson --name shelf-detector
              vigil ingest predictions night.ndjson
            """)

    @OptionGroup var inference: InferenceOptions
    @Option(help: "Output NDJSON file, or - for stdout.") var out: String = "-"
    @Option(help: "Model name written in each line (the policy's `model:`).") var name: String = "embedded-detector"
    @Option(help: "Timestamp of the predictions (RFC 3339; default now).") var ts: String?
    @Option(help: "Lowest score kept.") var minScore: Double = 0.05

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let (detector, set) = try inference.load()
            let batch = inference.batch
            let stamp = ts ?? Timestamp.format(millis: Timestamp.millis(Date()))
            guard Timestamp.parseMillis(stamp) != nil else { throw DetectorError("--ts '\(stamp)' is not RFC 3339, e.g. 2026-10-01T00:00:00Z") }
            let start = Date()
            let predictions = try detector.predict(set, batchSize: batch, minScore: minScore, workers: inference.workers)
            let seconds = Date().timeIntervalSince(start)
            let text = PredictionLines.ndjson(predictions, for: set, model: name, timestamp: stamp, weightsSHA256: detector.config.weightsSHA256)
            if out == "-" { print(text, terminator: "") } else { try text.write(toFile: out, atomically: true, encoding: .utf8) }
            printError(String(format: "%d images in %.2f s (%.0f images/s)", set.count, seconds, Double(set.count) / seconds))
        }
    }
}

struct DetectorEval: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "eval", abstract: "COCO evaluation of a version on a labelled scene folder.",
        discussion: """
              vigil detector eval --model models/v1.safetensors --data data/holdout
              vigil detector eval --model models/v1.safetensors --data data/night --format json
            """)

    @OptionGroup var inference: InferenceOptions
    @Option(help: "text or json.") var format: String = "text"

    func run() throws {
        try reportingErrors(exitCode: 1) {
            let (detector, set) = try inference.load()
            let batch = inference.batch
            _ = try detector.predict(set.prefix(256), batchSize: batch, workers: inference.workers)  // warm-up: first-touch allocations and BLAS buffers
            let start = Date(), startCPU = CPUTime.seconds()
            let predictions = try detector.predict(set, batchSize: batch, workers: inference.workers)
            let seconds = Date().timeIntervalSince(start), cpu = CPUTime.seconds() - startCPU
            let r = Detector.evaluate(predictions: predictions, on: set)
            let perClass = set.classes.indices.map { r.averagePrecision(k: $0, t: 0) }
            if format == "json" {
                let classes = zip(set.classes, perClass).map { "\(JSONText.quote($0)):\($1)" }.joined(separator: ",")
                print("{\"images\":\(set.count),\"map\":\(r.stats[0]),\"map50\":\(r.stats[1]),\"map75\":\(r.stats[2]),\"seconds\":\(seconds),\"cpu_seconds\":\(cpu),\"images_per_second\":\(Double(set.count) / seconds),\"images_per_cpu_second\":\(Double(set.count) / cpu),\"ap50\":{\(classes)},\"sha256\":\(JSONText.quote(detector.config.weightsSHA256 ?? ""))}")
            } else {
                print(String(format: "%d images  mAP %.4f  mAP50 %.4f  mAP75 %.4f  (%.0f images/s)", set.count, r.stats[0], r.stats[1], r.stats[2], Double(set.count) / seconds))
                for (c, ap) in zip(set.classes, perClass) { print("  " + c.padding(toLength: 10, withPad: " ", startingAt: 0) + String(format: " AP50 %.4f", ap)) }
            }
        }
    }
}
