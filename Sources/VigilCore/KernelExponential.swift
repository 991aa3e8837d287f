/// eˣ for the kernel values exp(−d/h) (x ≤ 0), written so the compiler can vectorise the loop
/// over a row: Cody–Waite reduction x = k·ln2 + r with |r| ≤ ln2/2, a degree-13 Taylor
/// polynomial for eʳ (truncation < 5e-18 relative) by Estrin's scheme, and 2ᵏ assembled from
/// bits, with no library call or branch. Within 2 ulp of libm's `exp` (tested); below e⁻⁷⁰⁸ it returns
/// e⁻⁷⁰⁸ rather than a subnormal, far below anything the MMD sums can see.
@inline(__always)
func kernelExponential(_ x: Double) -> Double {
    let magic = 6_755_399_441_055_744.0  // 1.5·2⁵²: adding it rounds to an integer
    let clamped = max(x, -708.0)
    let t = clamped * 1.442_695_040_888_963_4 + magic  // log2(e)
    let k = t - magic
    let r = (clamped - k * 6.931_471_803_691_238_164_90e-01) - k * 1.908_214_929_270_587_700_02e-10
    // Estrin's scheme: a shallow dependency chain, so consecutive elements overlap
    let r2 = r * r, r4 = r2 * r2, r8 = r4 * r4
    let q0 = (1.0 + r) + r2 * (0.5 + r * (1.0 / 6.0))
    let q1 = (1.0 / 24.0 + r * (1.0 / 120.0)) + r2 * (1.0 / 720.0 + r * (1.0 / 5_040.0))
    let q2 = (1.0 / 40_320.0 + r * (1.0 / 362_880.0)) + r2 * (1.0 / 3_628_800.0 + r * (1.0 / 39_916_800.0))
    let q3 = 1.0 / 479_001_600.0 + r * (1.0 / 6_227_020_800.0)
    let p = (q0 + r4 * q1) + r8 * (q2 + r4 * q3)
    // t − magic is k exactly, and in that binade the bit patterns differ by k too
    let kBits = Int64(bitPattern: t.bitPattern &- magic.bitPattern)
    let scale = Double(bitPattern: UInt64(bitPattern: (kBits &+ 1023) << 52))
    return p * scale
}
