import COpenBLAS

/// The OpenBLAS calls the network makes, in one place: row-major single-precision GEMM and the
/// thread count that, together with the seed, makes training bit-for-bit repeatable.
///
/// OpenBLAS splits a GEMM across threads by blocks of the output, never along the summed
/// dimension, so a given thread count gives the same sums in the same order on every run.
/// Changing the thread count may change the last bits of the weights.
public enum BLAS {
    /// Sets OpenBLAS's thread count for this process (`openblas_set_num_threads`).
    ///
    /// ```swift
    /// BLAS.setThreads(2)   // the benchmark's setting on a 2-core machine
    /// ```
    public static func setThreads(_ count: Int) {
        openblas_set_num_threads(Int32(max(1, count)))
    }

    /// C (m×n) = alpha · op(A) · op(B) + beta · C, all row-major; `op` transposes when asked.
    /// A is m×k (k×m when transposed), B is k×n (n×k when transposed).
    @inline(__always)
    static func sgemm(transA: Bool, transB: Bool, m: Int, n: Int, k: Int, alpha: Float = 1,
                      a: UnsafePointer<Float>, b: UnsafePointer<Float>, beta: Float,
                      c: UnsafeMutablePointer<Float>) {
        cblas_sgemm(CblasRowMajor, transA ? CblasTrans : CblasNoTrans, transB ? CblasTrans : CblasNoTrans,
                    Int32(m), Int32(n), Int32(k), alpha, a, Int32(transA ? m : k), b, Int32(transB ? k : n),
                    beta, c, Int32(n))
    }
}
