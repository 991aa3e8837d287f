/// The activations of a batch of images: `batch × height × width × channels`, channels
/// fastest (NHWC), so that one pixel's channels are one row of a matrix and a convolution is
/// one GEMM over all pixels of the batch.
public struct FeatureMap: Sendable, Equatable {
    public var batch: Int
    public var height: Int
    public var width: Int
    public var channels: Int
    /// `batch * height * width * channels` values.
    public var values: [Float]

    /// Zeros of the given shape.
    public init(batch: Int, height: Int, width: Int, channels: Int) {
        self.init(batch: batch, height: height, width: width, channels: channels,
                  values: [Float](repeating: 0, count: batch * height * width * channels))
    }

    /// A map over existing values; `values.count` must match the shape.
    public init(batch: Int, height: Int, width: Int, channels: Int, values: [Float]) {
        precondition(values.count == batch * height * width * channels,
                     "a \(batch)×\(height)×\(width)×\(channels) map needs \(batch * height * width * channels) values, got \(values.count)")
        self.batch = batch
        self.height = height
        self.width = width
        self.channels = channels
        self.values = values
    }

    /// Number of pixels over the batch: the rows of the matrix view.
    public var pixels: Int { batch * height * width }

    /// Same shape, new values.
    func with(_ values: [Float]) -> FeatureMap {
        FeatureMap(batch: batch, height: height, width: width, channels: channels, values: values)
    }
}
