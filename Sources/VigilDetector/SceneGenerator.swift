import Foundation
import VigilCore
import VigilImaging

/// A synthetic scene: an image and the exact boxes of the objects drawn on it.
public struct Scene: Sendable, Equatable {
    public var image: RGBImage
    public var boxes: [LabeledBox]
}

/// Draws synthetic scenes — 0 to `maxObjects` shapes of five classes blended onto a textured
/// background, then lit, blurred and noised as the domain says — deterministically: scene
/// `index` of `seed` is the same on every machine, whatever other scenes are drawn.
///
/// Placement rules, so that every box is a fair target: boxes lie inside the image, no two
/// object centres share an 8×8-pixel cell, and a later object may cover at most 35% of an
/// earlier one's box (partial occlusion).
///
/// ```swift
/// let generator = SceneGenerator(domain: .source, size: 64)
/// let scene = generator.scene(seed: 1, index: 0)   // scene.image, scene.boxes
/// ```
public struct SceneGenerator: Sendable {
    /// The five classes, in category order.
    public static let classNames = ["circle", "square", "triangle", "cross", "diamond"]
    static let standardColours: [[Double]] = [[220, 40, 40], [40, 190, 60], [50, 80, 230], [230, 210, 40], [200, 50, 210]]
    static let maxCoveredShare = 0.35

    public var domain: Domain
    public var size: Int

    public init(domain: Domain, size: Int = 64) {
        precondition(size >= 16, "scenes need at least 16×16 pixels")
        self.domain = domain
        self.size = size
    }

    /// Scene `index` of the set drawn from `seed`.
    public func scene(seed: UInt64, index: Int) -> Scene {
        var rng = Self.stream(seed: seed, index: index)
        var canvas: [Double]? = background(&rng, render: true)
        let boxes = placeObjects(&rng, on: &canvas)
        let image = finish(canvas!, &rng)
        return Scene(image: image, boxes: boxes)
    }

    /// Scenes `indices` of `seed`, in order, drawn on `workers` threads (each scene depends on
    /// its seed and index only, so the result is the same for any worker count).
    public func scenes(seed: UInt64, indices: [Int], workers: Int = 2) -> [Scene] {
        let k = max(1, min(workers, indices.count))
        guard k > 1 else { return indices.map { scene(seed: seed, index: $0) } }
        nonisolated(unsafe) let slots = UnsafeMutableBufferPointer<Scene?>.allocate(capacity: indices.count)  // worker w fills its own stride
        slots.initialize(repeating: nil)
        defer { slots.deinitialize(); slots.deallocate() }
        DispatchQueue.concurrentPerform(iterations: k) { w in
            for i in stride(from: w, to: indices.count, by: k) { slots[i] = scene(seed: seed, index: indices[i]) }
        }
        return slots.map { $0! }
    }

    /// The true boxes of scene `index` of `seed`, without drawing it: the same boxes as
    /// `scene(seed:index:).boxes` for a fraction of the work (a reviewer that answers from the
    /// ground truth needs no pixels).
    public func boxes(seed: UInt64, index: Int) -> [LabeledBox] {
        var rng = Self.stream(seed: seed, index: index)
        var canvas: [Double]? = nil
        _ = background(&rng, render: false)
        return placeObjects(&rng, on: &canvas)
    }

    /// The random stream of scene `index` of `seed`: ``scene(seed:index:)`` and
    /// ``boxes(seed:index:)`` must draw from the same one.
    static func stream(seed: UInt64, index: Int) -> SplitMix64 {
        SplitMix64(seed: seed &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(index) &* 0xD1B5_4A32_D192_ED03)
    }

    // MARK: - Drawing

    /// The background as floating-point RGB, 0–255 units. With `render` false it only draws
    /// the random numbers a rendered background would (so what follows is the same) and
    /// returns an empty array.
    func background(_ rng: inout SplitMix64, render: Bool) -> [Double] {
        let n = size
        let base = (0..<3).map { _ in domain.backgroundLow + rng.unit() * (domain.backgroundHigh - domain.backgroundLow) }
        let sign = (0..<3).map { _ in rng.unit() < 0.5 ? -1.0 : 1.0 }
        let texture = domain.textures[Int(rng.next() % UInt64(domain.textures.count))]
        let amp = domain.textureStrength
        var pattern = [Double](repeating: 0, count: render ? n * n : 0)
        switch texture {
        case .stripes:
            let angle = rng.unit() * Double.pi, period = 4 + rng.unit() * 10, phase = rng.unit() * 2 * Double.pi
            guard render else { return [] }
            for y in 0..<n { for x in 0..<n {
                pattern[y * n + x] = sin(2 * Double.pi * (Double(x) * cos(angle) + Double(y) * sin(angle)) / period + phase)
            } }
        case .checks:
            let cell = 3 + Int(rng.next() % 8)
            guard render else { return [] }
            for y in 0..<n { for x in 0..<n { pattern[y * n + x] = ((x / cell + y / cell) % 2 == 0) ? 1 : -1 } }
        case .clouds:
            let g = 5
            let grid = (0..<(g * g)).map { _ in rng.unit() * 2 - 1 }
            guard render else { return [] }
            for y in 0..<n { for x in 0..<n {
                let fx = Double(x) / Double(n - 1) * Double(g - 1), fy = Double(y) / Double(n - 1) * Double(g - 1)
                let x0 = min(Int(fx), g - 2), y0 = min(Int(fy), g - 2)
                let tx = fx - Double(x0), ty = fy - Double(y0)
                let top = grid[y0 * g + x0] * (1 - tx) + grid[y0 * g + x0 + 1] * tx
                let bottom = grid[(y0 + 1) * g + x0] * (1 - tx) + grid[(y0 + 1) * g + x0 + 1] * tx
                pattern[y * n + x] = top * (1 - ty) + bottom * ty
            } }
        }
        var px = [Double](repeating: 0, count: n * n * 3)
        for i in 0..<(n * n) {
            for c in 0..<3 { px[i * 3 + c] = base[c] + sign[c] * amp * pattern[i] }
        }
        return px
    }

    /// Places and draws the objects (on `canvas` when there is one); returns their boxes in drawing order.
    func placeObjects(_ rng: inout SplitMix64, on canvas: inout [Double]?) -> [LabeledBox] {
        let n = size, scale = Double(n) / 64
        let count = Int(rng.next() % UInt64(domain.maxObjects + 1))
        var boxes: [LabeledBox] = []
        var usedCells = Set<Int>()
        for _ in 0..<count {
            for _ in 0..<30 {
                let cls = Int(rng.next() % UInt64(Self.classNames.count))
                let side = (domain.scaleMin + rng.unit() * (domain.scaleMax - domain.scaleMin)) * scale
                let aspect = 0.8 + rng.unit() * 0.45
                let w = max(3, min(n, Int((side * aspect.squareRoot()).rounded())))
                let h = max(3, min(n, Int((side / aspect.squareRoot()).rounded())))
                let x0 = Int(rng.next() % UInt64(n - w + 1)), y0 = Int(rng.next() % UInt64(n - h + 1))
                let box = LabeledBox(classIndex: cls, x: Double(x0), y: Double(y0), w: Double(w), h: Double(h))
                let cell = Int(box.centreY / 8) * (n / 8 + 1) + Int(box.centreX / 8)
                if usedCells.contains(cell) { continue }
                if boxes.contains(where: { $0.intersection(box) > Self.maxCoveredShare * $0.area }) { continue }
                let colour = self.colour(cls, &rng)
                if canvas != nil { draw(cls, box: (x0, y0, w, h), colour: colour, on: &canvas!) }
                usedCells.insert(cell)
                boxes.append(box)
                break
            }
        }
        return boxes
    }

    func colour(_ cls: Int, _ rng: inout SplitMix64) -> [Double] {
        let k = Self.standardColours.count
        var c: [Double]
        switch domain.palette {
        case .standard: c = Self.standardColours[cls]
        case .muted: c = Self.standardColours[cls].map { 0.6 * $0 + 0.4 * 128 }
        case .swapped: c = Self.standardColours[(cls + 2) % k]
        }
        return c.map { $0 + (rng.unit() - 0.5) * 30 }
    }

    /// Fills the pixels whose centres fall inside the class's shape, inscribed in the box.
    func draw(_ cls: Int, box: (Int, Int, Int, Int), colour: [Double], on canvas: inout [Double]) {
        let (x0, y0, w, h) = box
        for y in y0..<(y0 + h) {
            for x in x0..<(x0 + w) {
                let u = (Double(x - x0) + 0.5) / Double(w) - 0.5, v = (Double(y - y0) + 0.5) / Double(h) - 0.5
                let inside: Bool
                switch cls {
                case 0: inside = u * u + v * v <= 0.25
                case 1: inside = true
                case 2: inside = abs(u) <= (v + 0.5) / 2
                case 3: inside = abs(u) <= 1.0 / 6 || abs(v) <= 1.0 / 6
                default: inside = abs(u) + abs(v) <= 0.5
                }
                if inside { for c in 0..<3 { canvas[(y * size + x) * 3 + c] = colour[c] } }
            }
        }
    }

    /// Lighting, blur and noise, then rounding to bytes.
    func finish(_ canvas: [Double], _ rng: inout SplitMix64) -> RGBImage {
        let n = size
        let gains = [domain.tintRed, domain.tintGreen, domain.tintBlue]
        var px = canvas
        for i in 0..<(n * n) {
            for c in 0..<3 { px[i * 3 + c] = ((px[i * 3 + c] - 128) * domain.contrast + 128) * domain.brightness * gains[c] }
        }
        if domain.blur > 0 { px = boxBlur(px, radius: domain.blur) }
        var image = RGBImage(width: n, height: n)
        for i in 0..<(n * n * 3) {
            let v = px[i] + (domain.noise > 0 ? Gaussian.sample(&rng) * domain.noise : 0)
            image.pixels[i] = UInt8(max(0, min(255, v.rounded())))
        }
        return image
    }

    /// Mean over the (2r+1)² neighbourhood clipped to the image.
    func boxBlur(_ px: [Double], radius r: Int) -> [Double] {
        let n = size
        var out = px
        for y in 0..<n { for x in 0..<n {
            var sum = [0.0, 0.0, 0.0], count = 0.0
            for yy in max(0, y - r)...min(n - 1, y + r) { for xx in max(0, x - r)...min(n - 1, x + r) {
                for c in 0..<3 { sum[c] += px[(yy * n + xx) * 3 + c] }
                count += 1
            } }
            for c in 0..<3 { out[(y * n + x) * 3 + c] = sum[c] / count }
        } }
        return out
    }
}
