import Foundation

/// Everything needed to rebuild and use a detector besides its weights, stored next to the
/// `.safetensors` file as `<name>.json`: the classes, input size, layers, head layout, and how
/// the weights were trained (data fingerprint, settings, metrics).
public struct ModelConfig: Codable, Sendable, Equatable {
    /// `vigil-detector/1`.
    public var format: String
    /// Class names; index i is category id i + 1 in COCO files.
    public var classes: [String]
    /// Square input side in pixels (images of another size are rejected).
    public var inputSize: Int
    /// Output channels of the 3×3 convolutions (each followed by ReLU); the first `pools`
    /// of them are followed by 2×2 max pooling.
    public var channels: [Int]
    public var pools: Int
    /// Box size prior in pixels: w = anchor · exp(tw).
    public var anchor: Double
    /// The grid head's layout.
    public var head: HeadLayout
    /// SHA-256 of the `.safetensors` file: the version's identity.
    public var weightsSHA256: String?
    /// How the weights came to be.
    public var training: TrainingRecord?

    enum CodingKeys: String, CodingKey {
        case format, classes, inputSize, channels, pools, anchor, head, training
        // As the snake-case key strategy spells it on the way back: weights_sha256 → weightsSha256.
        case weightsSHA256 = "weightsSha256"
    }

    /// The grid head: one 1×1 convolution giving `outputsPerCell` numbers per grid cell.
    public struct HeadLayout: Codable, Sendable, Equatable {
        public var grid: Int
        public var cellSize: Int
        public var outputsPerCell: Int
        /// Names of the per-cell outputs, in channel order.
        public var outputs: [String]
        /// How a cell's outputs become a box.
        public var decoding: String
    }

    /// The run that produced the weights.
    public struct TrainingRecord: Codable, Sendable, Equatable {
        public var seed: UInt64
        public var epochs: Int
        public var batchSize: Int
        public var learningRate: Double
        public var optimizer: String
        public var blasThreads: Int
        /// Data-parallel workers (network copies, one thread each); `nil` in records written
        /// before there were any, meaning one.
        public var workers: Int?
        public var images: Int
        /// SHA-256 over the training sets' annotation files and image bytes.
        public var dataFingerprint: String
        /// Wall time of the training loop (images already decoded).
        public var seconds: Double
        /// CPU time (user + system, all threads) of the loop.
        public var cpuSeconds: Double?
        public var imagesPerSecond: Double
        public var finalLoss: Double
        /// The weights' SHA-256 this run fine-tuned, when it did.
        public var finetunedFrom: String?
        /// Evaluation figures recorded after training (e.g. `holdout.map50`).
        public var metrics: [String: Double]
    }

    /// The default architecture for `classes` at `inputSize` (a multiple of 8).
    public init(classes: [String], inputSize: Int = 64, channels: [Int] = [8, 16, 32, 32], pools: Int = 3, anchor: Double = 14) {
        self.format = "vigil-detector/1"
        self.classes = classes
        self.inputSize = inputSize
        self.channels = channels
        self.pools = pools
        self.anchor = anchor
        let cell = 1 << pools
        self.head = HeadLayout(
            grid: inputSize / cell, cellSize: cell, outputsPerCell: 5 + classes.count,
            outputs: ["objectness", "tx", "ty", "tw", "th"] + classes.map { "class:" + $0 },
            decoding: "score = sigmoid(objectness) * softmax(class)[c]; cx = (column + sigmoid(tx)) * cell_size; cy = (row + sigmoid(ty)) * cell_size; w = anchor * exp(tw); h = anchor * exp(th)")
    }

    /// Checks that the layout is one this code can run.
    public func validate() throws {
        guard format == "vigil-detector/1" else { throw DetectorError("model config format '\(format)' is not vigil-detector/1: retrain with this version of vigil") }
        guard !classes.isEmpty else { throw DetectorError("model config has no classes") }
        guard pools >= 1, pools <= channels.count, inputSize % (1 << pools) == 0 else {
            throw DetectorError("input size \(inputSize) must be a multiple of \(1 << pools) with \(pools) poolings over \(channels.count) convolutions")
        }
        guard head.grid == inputSize >> pools, head.outputsPerCell == 5 + classes.count else {
            throw DetectorError("head layout (grid \(head.grid), \(head.outputsPerCell) outputs) does not match the classes and input size")
        }
    }

    static func encoder() -> JSONEncoder {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.outputFormatting = [.prettyPrinted, .sortedKeys]
        return e
    }

    static func decoder() -> JSONDecoder {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }
}
