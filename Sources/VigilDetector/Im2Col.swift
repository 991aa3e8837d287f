/// Unfolding of square `size×size` patches (stride 1, zero "same" padding) of an NHWC map into
/// a matrix with one row per output pixel and `size·size·channels` columns in (dy, dx, channel)
/// order, and its adjoint, which adds the rows back onto the pixels they came from.
enum Im2Col {
    /// `columns` must hold `pixels × size·size·channels` values; every entry is written.
    static func unfold(_ x: FeatureMap, size: Int, into columns: UnsafeMutablePointer<Float>) {
        let (h, w, c) = (x.height, x.width, x.channels)
        let pad = size / 2
        let rowLength = size * size * c
        x.values.withUnsafeBufferPointer { src in
            let s = src.baseAddress!
            for b in 0..<x.batch {
                let image = s + b * h * w * c
                for y in 0..<h {
                    for xx in 0..<w {
                        var out = columns + ((b * h + y) * w + xx) * rowLength
                        let interior = xx - pad >= 0 && xx + pad < w
                        for dy in 0..<size {
                            let sy = y + dy - pad
                            // Element loops: c is small (3 to 32), where memcpy calls cost more than the copy.
                            if sy < 0 || sy >= h {
                                for k in 0..<(size * c) { out[k] = 0 }
                            } else if interior {
                                // The patch row is `size` adjacent pixels: one contiguous run.
                                let p = image + (sy * w + xx - pad) * c
                                for k in 0..<(size * c) { out[k] = p[k] }
                            } else {
                                for dx in 0..<size {
                                    let sx = xx + dx - pad
                                    if sx < 0 || sx >= w {
                                        for k in 0..<c { out[dx * c + k] = 0 }
                                    } else {
                                        let p = image + (sy * w + sx) * c
                                        for k in 0..<c { out[dx * c + k] = p[k] }
                                    }
                                }
                            }
                            out += size * c
                        }
                    }
                }
            }
        }
    }

    /// Adds every row of `columns` back onto the input pixels of its patch: the gradient of
    /// `unfold`. `into` must be zero (or hold what to add to) and match `shape`.
    static func fold(_ columns: UnsafePointer<Float>, size: Int, into x: inout FeatureMap) {
        let (h, w, c) = (x.height, x.width, x.channels)
        let pad = size / 2
        let rowLength = size * size * c
        let batch = x.batch
        x.values.withUnsafeMutableBufferPointer { dst in
            let d = dst.baseAddress!
            for b in 0..<batch {
                let image = d + b * h * w * c
                for y in 0..<h {
                    for xx in 0..<w {
                        var row = columns + ((b * h + y) * w + xx) * rowLength
                        for dy in 0..<size {
                            let sy = y + dy - pad
                            for dx in 0..<size {
                                let sx = xx + dx - pad
                                if sy >= 0 && sy < h && sx >= 0 && sx < w {
                                    let p = image + (sy * w + sx) * c
                                    for k in 0..<c { p[k] += row[k] }
                                }
                                row += c
                            }
                        }
                    }
                }
            }
        }
    }
}
