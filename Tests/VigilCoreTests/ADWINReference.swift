import Foundation
@testable import VigilCore

/// A line-by-line transcription of river's ADWIN (rust_src/adwin.rs, river 0.26) with none
/// of Vigil's shortcuts: nested arrays of buckets, every cut tested with river's arithmetic.
/// The tests run it beside `ADWIN` on streams the fixture does not have.
struct ADWINReference {
    var delta: Double, clock: Int, maxBuckets: Int, minWindowLength: Double, gracePeriod: Double
    var total = 0.0, variance = 0.0, width = 0.0
    var tick = 0
    var buckets: [(totals: [Double], variances: [Double])] = [([], [])]
    var detected = false

    init(_ s: ADWIN.Settings) {
        delta = s.delta
        clock = s.clock
        maxBuckets = s.maxBuckets
        minWindowLength = Double(s.minWindowLength)
        gracePeriod = Double(s.gracePeriod)
    }

    mutating func update(_ value: Double) -> Bool {
        if detected { self = ADWINReference(ADWIN.Settings(delta: delta, clock: clock, maxBuckets: maxBuckets,
                                                           minWindowLength: Int(minWindowLength), gracePeriod: Int(gracePeriod))) }
        buckets[0].totals.append(value)
        buckets[0].variances.append(0)
        width += 1
        var inc = 0.0
        if width > 1 {
            let dv = value - total / (width - 1)
            inc = (width - 1) * dv * dv / width
        }
        variance += inc
        total += value
        var idx = 0
        while buckets[idx].totals.count == maxBuckets + 1 {
            let n1 = Double(UInt64(1) << UInt64(idx))
            let (t0, t1) = (buckets[idx].totals[0], buckets[idx].totals[1])
            let (v0, v1) = (buckets[idx].variances[0], buckets[idx].variances[1])
            let mu1 = t0 / n1, mu2 = t1 / n1
            let temp = n1 * 0.5 * (mu1 - mu2) * (mu1 - mu2)
            if idx + 1 >= buckets.count { buckets.append(([], [])) }
            buckets[idx + 1].totals.append(t0 + t1)
            buckets[idx + 1].variances.append(v0 + v1 + temp)
            buckets[idx].totals.removeFirst(2)
            buckets[idx].variances.removeFirst(2)
            if buckets[idx + 1].totals.count <= maxBuckets { break }
            idx += 1
        }
        detected = detectChange()
        return detected
    }

    private mutating func detectChange() -> Bool {
        var changed = false
        tick += 1
        guard tick % clock == 0 && width > gracePeriod else { return false }
        var reduce = true
        while reduce {
            reduce = false
            var n0 = 0.0, n1 = width, u0 = 0.0, u1 = total
            outer: for idx in stride(from: buckets.count - 1, through: 0, by: -1) {
                let size = Double(UInt64(1) << UInt64(idx))
                let count = buckets[idx].totals.count
                for k in 0..<count {
                    n0 += size
                    n1 -= size
                    u0 += buckets[idx].totals[k]
                    u1 -= buckets[idx].totals[k]
                    if idx == 0 && k == count - 1 { break outer }
                    let deltaMean = u0 / n0 - u1 / n1
                    if n1 >= minWindowLength && n0 >= minWindowLength && cut(n0, n1, deltaMean) {
                        reduce = true
                        changed = true
                        dropOldest()
                        break outer
                    }
                }
            }
        }
        return changed
    }

    private func cut(_ n0: Double, _ n1: Double, _ deltaMean: Double) -> Bool {
        let deltaPrime = log(2 * log(width) / delta)
        let m = 1 / (n0 - minWindowLength + 1) + 1 / (n1 - minWindowLength + 1)
        let epsilon = (2 * m * (variance / width) * deltaPrime).squareRoot() + 2.0 / 3.0 * deltaPrime * m
        return abs(deltaMean) > epsilon
    }

    private mutating func dropOldest() {
        let last = buckets.count - 1
        let n = Double(UInt64(1) << UInt64(last))
        let u = buckets[last].totals[0], v = buckets[last].variances[0]
        let mu = u / n
        width -= n
        total -= u
        let muWindow = total / width
        variance -= v + n * width * (mu - muWindow) * (mu - muWindow) / (n + width)
        buckets[last].totals.removeFirst()
        buckets[last].variances.removeFirst()
        if buckets[last].totals.isEmpty { buckets.removeLast() }
    }
}
