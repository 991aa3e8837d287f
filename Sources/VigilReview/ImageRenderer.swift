import VigilImaging

/// A box drawn over the image, in image pixels.
public struct OverlayBox: Equatable, Sendable {
    public var x: Double, y: Double, width: Double, height: Double
    public var colour: RGB
    /// Written above the box's top-left corner, e.g. `can 0.81`.
    public var caption: String
    public var selected: Bool

    public init(x: Double, y: Double, width: Double, height: Double, colour: RGB, caption: String, selected: Bool = false) {
        self.x = x; self.y = y; self.width = width; self.height = height
        self.colour = colour
        self.caption = caption
        self.selected = selected
    }
}

/// Draws an image into character cells with half blocks: each cell shows two pixels stacked,
/// the upper one as the foreground of `▀` and the lower one as its background, so a terminal
/// cell (about twice as tall as wide) holds two square pixels.
public enum ImageRenderer {
    /// The pixel grid an image of `width`×`height` gets in `columns`×`rows` cells, keeping its aspect ratio.
    public static func fit(width: Int, height: Int, columns: Int, rows: Int) -> (width: Int, height: Int, scale: Double) {
        let scale = min(Double(columns) / Double(width), Double(rows * 2) / Double(height))
        return (max(1, min(columns, Int(Double(width) * scale))), max(1, min(rows * 2, Int(Double(height) * scale))), scale)
    }

    /// The image scaled to the grid (area average when shrinking, nearest pixel when growing).
    public static func scaled(_ image: RGBImage, width gw: Int, height gh: Int) -> [RGB] {
        var out = [RGB](repeating: Screen.background, count: gw * gh)
        let sx = Double(image.width) / Double(gw), sy = Double(image.height) / Double(gh)
        let xs = (0...gw).map { min(image.width, Int(Double($0) * sx)) }
        let ys = (0...gh).map { min(image.height, Int(Double($0) * sy)) }
        image.pixels.withUnsafeBufferPointer { p in
            for gy in 0..<gh {
                let y0 = ys[gy], y1 = max(ys[gy] + 1, ys[gy + 1])
                for gx in 0..<gw {
                    let x0 = xs[gx], x1 = max(xs[gx] + 1, xs[gx + 1])
                    var r = 0, g = 0, b = 0
                    for y in y0..<min(y1, image.height) {
                        var i = (y * image.width + x0) * 3
                        for _ in x0..<min(x1, image.width) {
                            r += Int(p[i]); g += Int(p[i + 1]); b += Int(p[i + 2])
                            i += 3
                        }
                    }
                    let n = max(1, (min(y1, image.height) - y0) * (min(x1, image.width) - x0))
                    out[gy * gw + gx] = RGB(UInt8(r / n), UInt8(g / n), UInt8(b / n))
                }
            }
        }
        return out
    }

    /// Draws `image` centred in the cell rectangle, with `boxes` outlined over it and their captions.
    public static func draw(_ image: RGBImage, boxes: [OverlayBox], into screen: inout Screen, x: Int, y: Int, columns: Int, rows: Int) {
        guard columns > 0, rows > 0 else { return }
        let (gw, gh, scale) = fit(width: image.width, height: image.height, columns: columns, rows: rows)
        var grid = scaled(image, width: gw, height: gh)
        // Outlines, selected box last so it is on top, drawn twice as thick.
        for box in boxes.sorted(by: { !$0.selected && $1.selected }) {
            let left = Int((box.x * scale).rounded()), top = Int((box.y * scale).rounded())
            let right = Int(((box.x + box.width) * scale).rounded()) - 1, bottom = Int(((box.y + box.height) * scale).rounded()) - 1
            let thickness = box.selected ? 2 : 1
            func plot(_ px: Int, _ py: Int) { if px >= 0, py >= 0, px < gw, py < gh { grid[py * gw + px] = box.colour } }
            for t in 0..<thickness {
                for px in left...max(left, right) { plot(px, top + t); plot(px, bottom - t) }
                for py in top...max(top, bottom) { plot(left + t, py); plot(right - t, py) }
            }
        }
        let x0 = x + (columns - gw) / 2, y0 = y + (rows - (gh + 1) / 2) / 2
        for row in 0..<((gh + 1) / 2) {
            for col in 0..<gw {
                let top = grid[(row * 2) * gw + col]
                let bottom = row * 2 + 1 < gh ? grid[(row * 2 + 1) * gw + col] : Screen.background
                screen[x0 + col, y0 + row] = Cell("▀", fg: top, bg: bottom)
            }
        }
        for box in boxes {
            let cx = x0 + Int((box.x * scale).rounded())
            let top = y0 + Int((box.y * scale).rounded()) / 2
            let cy = top > y0 ? top - 1 : top
            screen.put(box.caption, x: max(x0, cx), y: cy, fg: .dark, bg: box.colour, bold: box.selected, maxWidth: x0 + gw - max(x0, cx))
        }
    }
}
