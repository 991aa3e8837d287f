import ArgumentParser
import COpenBLAS
import Foundation
import VigilCore

/// `vigil debug mmd`: the MMD permutation test on two raw little-endian float64 files, timed
/// stage by stage, as JSON (used by scripts/bench_mmd.sh).
struct MMDDebug: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mmd",
        abstract: "Time the MMD² permutation test on two .f64 files (row-major float64).",
        discussion: "  vigil debug mmd --reference ref.f64 --current cur.f64 --dim 128 --permutations 200 --seed 1")

    @Option(help: "Reference sample: raw little-endian float64, row-major.") var reference: String
    @Option(help: "Current sample, same layout.") var current: String
    @Option(help: "Values per row.") var dim: Int
    @Option(help: "Random splits for the p-value.") var permutations = 200
    @Option(help: "Seed of the splits.") var seed: UInt64 = 1

    func run() throws {
        let x = try Self.read(reference, dim: dim), y = try Self.read(current, dim: dim)
        let n = x.count / dim, m = y.count / dim
        let pooled = x + y
        let t0 = DispatchTime.now().uptimeNanoseconds
        let gram = pooled.withUnsafeBufferPointer { GramMatrix(rows: $0, count: n + m, dimension: dim) }
        let t1 = DispatchTime.now().uptimeNanoseconds
        let kernel = RBFKernelMatrix(gram, firstCount: n)
        let t2 = DispatchTime.now().uptimeNanoseconds
        let settings = MMDSettings(permutations: permutations, maxSamples: max(n, m), seed: seed)
        let result = MaximumMeanDiscrepancy.test(kernel: kernel, settings: settings)
        let t3 = DispatchTime.now().uptimeNanoseconds
        let s = { (a: UInt64, b: UInt64) in Double(b - a) / 1e9 }
        let permutationFlops = MaximumMeanDiscrepancy.permutationFlops(count: n + m, permutations: permutations)
        let out: [String: Double] = [
            "n": Double(n), "m": Double(m), "dim": Double(dim), "permutations": Double(permutations),
            "h": kernel.bandwidth, "mmd2": result.statistic, "p": result.pValue ?? .nan,
            "seconds": s(t0, t3), "gram_seconds": s(t0, t1), "kernel_seconds": s(t1, t2), "permutation_seconds": s(t2, t3),
            "gram_gflops": gram.flops / s(t0, t1) / 1e9, "permutation_gflops": permutationFlops / s(t2, t3) / 1e9,
        ]
        let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
        print(String(decoding: data, as: UTF8.self))
    }

    static func read(_ path: String, dim: Int) throws -> [Double] {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ValidationError("cannot read \(path): give a raw little-endian float64 file")
        }
        guard dim > 0, data.count % (8 * dim) == 0 else {
            throw ValidationError("\(path) holds \(data.count) bytes, not whole rows of \(dim) float64 values")
        }
        return data.withUnsafeBytes { raw in (0..<(data.count / 8)).map { raw.loadUnaligned(fromByteOffset: $0 * 8, as: Double.self) } }
    }
}

/// `vigil debug gemm-peak`: OpenBLAS's dgemm and sgemm rate on this machine (best of 3 after a
/// warm-up), the yardstick for the MMD benchmark's GEMM rate.
struct GEMMPeak: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "gemm-peak", abstract: "Measure OpenBLAS dgemm/sgemm GFLOP/s on size³ matrices.")

    @Option(help: "Matrix size.") var size = 2048

    func run() throws {
        let n = size
        let flops = 2 * Double(n) * Double(n) * Double(n)
        func best(_ body: () -> Void) -> Double {
            body()
            var seconds = Double.infinity
            for _ in 0..<3 {
                let t0 = DispatchTime.now().uptimeNanoseconds
                body()
                seconds = min(seconds, Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e9)
            }
            return flops / seconds / 1e9
        }
        var rng = SplitMix64(seed: 1)
        let a = (0..<(n * n)).map { _ in rng.unit() }, b = (0..<(n * n)).map { _ in rng.unit() }
        var c = [Double](repeating: 0, count: n * n)
        let d = best { cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, a, Int32(n), b, Int32(n), 0, &c, Int32(n)) }
        let af = a.map(Float.init), bf = b.map(Float.init)
        var cf = [Float](repeating: 0, count: n * n)
        let s = best { cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, Int32(n), Int32(n), Int32(n), 1, af, Int32(n), bf, Int32(n), 0, &cf, Int32(n)) }
        print("{\"size\":\(n),\"threads\":\(openblas_get_num_threads()),\"dgemm_gflops\":\(d),\"sgemm_gflops\":\(s)}")
    }
}
