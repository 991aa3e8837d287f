import COpenBLAS

/// The Gram matrix Z Zᵀ of a pooled sample (N rows of dimension d), upper triangle only, by
/// one OpenBLAS `dsyrk`; the first stage of `RBFKernelMatrix`, kept apart so that a benchmark
/// can time the BLAS call on its own.
///
/// ```swift
/// let gram = GramMatrix(rows: pooled, count: 10_000, dimension: 128)   // ~1.3e10 FLOP
/// let kernel = RBFKernelMatrix(gram, firstCount: 5_000)
/// ```
public final class GramMatrix: @unchecked Sendable {
    // @unchecked: the buffer is written only during init and handed over whole to the kernel.
    /// Number of rows N.
    public let count: Int
    /// Dimension d of a row.
    public let dimension: Int
    /// Squared norms ‖zᵢ‖².
    public let squaredNorms: [Double]
    /// Floating-point operations of the `dsyrk` call: N(N+1)d.
    public var flops: Double { Double(count) * Double(count + 1) * Double(dimension) }

    /// N×N row-major; entries (i, j ≥ i) are zᵢ·zⱼ, the rest is not initialised.
    let storage: UnsafeMutablePointer<Double>

    /// `rows` is row-major, `count × dimension` values.
    public init(rows: UnsafeBufferPointer<Double>, count: Int, dimension: Int) {
        precondition(count >= 2 && dimension >= 1 && rows.count == count * dimension,
                     "the pooled sample needs at least two rows of \(dimension) values")
        self.count = count
        self.dimension = dimension
        var norms = [Double](repeating: 0, count: count)
        for i in 0..<count {
            var s = 0.0
            for k in 0..<dimension { s += rows[i * dimension + k] * rows[i * dimension + k] }
            norms[i] = s
        }
        squaredNorms = norms
        storage = .allocate(capacity: count * count)
        cblas_dsyrk(CblasRowMajor, CblasUpper, CblasNoTrans, Int32(count), Int32(dimension), 1.0,
                    rows.baseAddress, Int32(dimension), 0.0, storage, Int32(count))
    }

    /// Hands the buffer to the kernel matrix, which transforms it in place.
    func takeStorage() -> UnsafeMutablePointer<Double> {
        precondition(!taken, "a GramMatrix can build one kernel matrix")
        taken = true
        return storage
    }

    private var taken = false

    deinit {
        if !taken { storage.deallocate() }
    }
}
