import Foundation
import VigilCore
import VigilImaging

/// A labelled image set in memory — RGB bytes and boxes — as the trainer and evaluator use it,
/// and its form on disk: `DIR/annotations.json` (COCO) with the PNGs in `DIR/images/`.
///
/// ```swift
/// let train = SceneSet.synthesize(SceneGenerator(domain: .source), seed: 1, count: 4000, prefix: "train")
/// try train.write(to: URL(fileURLWithPath: "data/train"))
/// let again = try SceneSet.load(from: URL(fileURLWithPath: "data/train"))
/// ```
public struct SceneSet: Sendable {
    public var classes: [String]
    /// Side of the (square) images.
    public var size: Int
    /// `count × size × size × 3` bytes.
    public var pixels: [UInt8]
    public var boxes: [[LabeledBox]]
    public var fileNames: [String]
    public var imageIDs: [Int]
    /// SHA-256 over the annotation file and the PNG bytes (or the scenes' bytes, in memory).
    public var fingerprint: String
    public var description: String

    public var count: Int { boxes.count }

    /// `count` scenes of `generator` from `seed`, named `<prefix>-<nnnnnn>.png`, ids 1….
    public static func synthesize(_ generator: SceneGenerator, seed: UInt64, count: Int, prefix: String, first: Int = 0) -> SceneSet {
        var pixels: [UInt8] = []
        pixels.reserveCapacity(count * generator.size * generator.size * 3)
        var boxes: [[LabeledBox]] = []
        var hash = SHA256()
        for s in generator.scenes(seed: seed, indices: Array(first..<(first + count))) {
            pixels += s.image.pixels
            hash.update(s.image.pixels)
            boxes.append(s.boxes)
        }
        return SceneSet(classes: SceneGenerator.classNames, size: generator.size, pixels: pixels, boxes: boxes,
                        fileNames: (0..<count).map { prefix + String(format: "-%06d.png", first + $0) },
                        imageIDs: (0..<count).map { $0 + 1 }, fingerprint: hash.finalize().hexString,
                        description: "\(count) synthetic scenes, domain \(generator.domain.name), seed \(seed)")
    }

    /// The image of scene `i`.
    public func image(_ i: Int) -> RGBImage {
        let n = size * size * 3
        return RGBImage(width: size, height: size, pixels: Array(pixels[(i * n)..<((i + 1) * n)]))
    }

    /// The COCO ground truth of the set.
    public func annotations() -> COCOAnnotations {
        var anns: [COCOAnnotations.Annotation] = []
        for (i, bs) in boxes.enumerated() {
            for b in bs {
                anns.append(.init(id: anns.count + 1, image_id: imageIDs[i], category_id: b.classIndex + 1,
                                  bbox: [b.x, b.y, b.w, b.h], area: b.area, iscrowd: 0))
            }
        }
        return COCOAnnotations(
            info: .init(description: description),
            images: (0..<count).map { .init(id: imageIDs[$0], file_name: fileNames[$0], width: size, height: size) },
            categories: classes.enumerated().map { .init(id: $0.offset + 1, name: $0.element) },
            annotations: anns)
    }

    /// Writes `annotations.json` and `images/*.png` under `directory` (created if missing).
    public func write(to directory: URL) throws {
        let images = directory.appendingPathComponent("images")
        try FileManager.default.createDirectory(at: images, withIntermediateDirectories: true)
        for i in 0..<count { try PNGCodec.write(image(i), to: images.appendingPathComponent(fileNames[i])) }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        try encoder.encode(annotations()).write(to: directory.appendingPathComponent("annotations.json"))
    }

    /// Reads a set written by `write` (or any COCO file whose images are square RGB PNGs of one
    /// size in `images/`, with categories 1…K).
    public static func load(from directory: URL) throws -> SceneSet {
        let annURL = directory.appendingPathComponent("annotations.json")
        guard let data = FileManager.default.contents(atPath: annURL.path) else {
            throw DetectorError("cannot read \(annURL.path): make a set with `vigil detector synth --out \(directory.path)`")
        }
        let coco: COCOAnnotations
        do { coco = try JSONDecoder().decode(COCOAnnotations.self, from: data) } catch {
            throw DetectorError("\(annURL.path): not a COCO annotation file Vigil can read (\(error))")
        }
        let categories = coco.categories.sorted { $0.id < $1.id }
        guard categories.map(\.id) == Array(1...max(1, categories.count)) else {
            throw DetectorError("\(annURL.path): category ids must be 1…K")
        }
        var hash = SHA256()
        data.withUnsafeBytes { hash.update($0) }
        let images = coco.images.sorted { $0.id < $1.id }
        guard let size = images.first?.width else { throw DetectorError("\(annURL.path) lists no images") }
        var pixels: [UInt8] = []
        pixels.reserveCapacity(images.count * size * size * 3)
        var row: [Int: Int] = [:]
        for (i, im) in images.enumerated() {
            let url = directory.appendingPathComponent("images").appendingPathComponent(im.file_name)
            guard let bytes = FileManager.default.contents(atPath: url.path) else { throw DetectorError("cannot read image \(url.path) listed in \(annURL.path)") }
            bytes.withUnsafeBytes { hash.update($0) }
            let rgb = try PNGCodec.decode(bytes)
            guard rgb.width == size, rgb.height == size else {
                throw DetectorError("\(url.path) is \(rgb.width)×\(rgb.height); every image of a set must be \(size)×\(size)")
            }
            pixels += rgb.pixels
            row[im.id] = i
        }
        var boxes = [[LabeledBox]](repeating: [], count: images.count)
        for a in coco.annotations {
            guard let i = row[a.image_id], a.bbox.count == 4, (1...categories.count).contains(a.category_id) else {
                throw DetectorError("\(annURL.path): annotation \(a.id) names an unknown image or category, or its bbox is not [x, y, w, h]")
            }
            boxes[i].append(LabeledBox(classIndex: a.category_id - 1, x: a.bbox[0], y: a.bbox[1], w: a.bbox[2], h: a.bbox[3]))
        }
        return SceneSet(classes: categories.map(\.name), size: size, pixels: pixels, boxes: boxes,
                        fileNames: images.map(\.file_name), imageIDs: images.map(\.id),
                        fingerprint: hash.finalize().hexString, description: coco.info?.description ?? directory.lastPathComponent)
    }

    /// Images `indices` as a network input: bytes / 255, NHWC; image j mirrored left–right
    /// when `mirrored[j]` (training's augmentation).
    func batch(_ indices: [Int], mirrored: [Bool]? = nil) -> FeatureMap {
        let n = size * size * 3, row = size * 3
        var values = [Float](repeating: 0, count: indices.count * n)
        values.withUnsafeMutableBufferPointer { dst in
            pixels.withUnsafeBufferPointer { src in
                for (j, i) in indices.enumerated() {
                    if mirrored?[j] == true {
                        for y in 0..<size {
                            for x in 0..<size {
                                let d = j * n + y * row + x * 3, s = i * n + y * row + (size - 1 - x) * 3
                                for c in 0..<3 { dst[d + c] = Float(src[s + c]) * (1 / 255) }
                            }
                        }
                    } else {
                        for k in 0..<n { dst[j * n + k] = Float(src[i * n + k]) * (1 / 255) }
                    }
                }
            }
        }
        return FeatureMap(batch: indices.count, height: size, width: size, channels: 3, values: values)
    }

    /// The boxes of image `i`, mirrored left–right when asked (every class is symmetric).
    func boxes(_ i: Int, mirrored: Bool) -> [LabeledBox] {
        guard mirrored else { return boxes[i] }
        return boxes[i].map { var b = $0; b.x = Double(size) - b.x - b.w; return b }
    }

    /// This set followed by `other` (same classes and size); ids and names kept.
    public func appending(_ other: SceneSet) throws -> SceneSet {
        guard other.classes == classes, other.size == size else {
            throw DetectorError("cannot train on sets with different classes or image sizes (\(classes) \(size)px vs \(other.classes) \(other.size)px)")
        }
        var out = self
        out.pixels += other.pixels
        out.boxes += other.boxes
        out.fileNames += other.fileNames
        out.imageIDs += other.imageIDs
        out.fingerprint = SHA256.hex(fingerprint + other.fingerprint)
        out.description = description + " + " + other.description
        return out
    }

    /// The first `n` scenes.
    public func prefix(_ n: Int) -> SceneSet {
        let m = min(n, count), k = size * size * 3
        var out = self
        out.pixels = Array(pixels[0..<(m * k)])
        out.boxes = Array(boxes[0..<m])
        out.fileNames = Array(fileNames[0..<m])
        out.imageIDs = Array(imageIDs[0..<m])
        if m < count { out.fingerprint = SHA256.hex(fingerprint + ":first \(m)") }
        return out
    }
}
