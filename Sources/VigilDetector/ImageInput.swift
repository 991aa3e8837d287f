import Foundation
import VigilCore
import VigilImaging

/// Where a prediction's pixels come from, as its `input` object names them — so a retraining
/// job can read the images of reviewed items and holdout lines back:
///
/// - `{"uri": "frames/cam7/000123.png"}`: a PNG or JPEG file — a path relative to a base
///   folder (the workspace), an absolute path or a `file://` URL (as `vigil review` reads it);
/// - `{"scene": {"domain": "shifted", "seed": 11, "index": 42, "size": 64}}`: a synthetic
///   scene, drawn again by ``SceneGenerator`` (the quickstart's cameras; `size` defaults to 64).
///
/// ```swift
/// let input = try ImageInput(json: ["scene": ["domain": "shifted", "seed": 11, "index": 42]])
/// let (image, truth) = try input.load(base: workspaceRoot)   // truth: the scene's boxes
/// ```
public enum ImageInput: Sendable, Equatable {
    case file(String)
    case scene(domain: String, seed: UInt64, index: Int, size: Int)

    /// Reads an `input` object; the error names the member that is missing or wrong.
    public init(json input: Any?) throws {
        guard let object = input as? [String: Any] else {
            throw DetectorError("input: must be an object with \"image\" (a file) or \"scene\" (a synthetic scene)")
        }
        if let uri = object["uri"] as? String, !uri.isEmpty {
            if uri.hasPrefix("file://") {
                self = .file(URL(string: uri)?.path ?? String(uri.dropFirst(7)))
            } else if uri.contains("://") {
                throw DetectorError("input.uri: '\(uri)' is not a local file; the embedded trainer reads local paths and file:// URLs (copy the images next to the workspace)")
            } else {
                self = .file(uri)
            }
            return
        }
        guard let scene = object["scene"] as? [String: Any] else {
            throw DetectorError("input: has neither \"uri\" (a PNG or JPEG file) nor \"scene\" ({\"domain\",\"seed\",\"index\"}); the embedded trainer cannot read its pixels")
        }
        guard let domain = scene["domain"] as? String else { throw DetectorError("input.scene.domain: missing (a domain spec such as shifted)") }
        guard let seed = (scene["seed"] as? NSNumber)?.int64Value, seed >= 0 else { throw DetectorError("input.scene.seed: missing or negative") }
        guard let index = (scene["index"] as? NSNumber)?.intValue, index >= 0 else { throw DetectorError("input.scene.index: missing or negative") }
        let size = (scene["size"] as? NSNumber)?.intValue ?? 64
        self = .scene(domain: domain, seed: UInt64(seed), index: index, size: size)
    }

    /// The JSON object text of this input (`{"scene":{…}}` or `{"uri":"…"}`).
    public var json: String {
        switch self {
        case .file(let path): return "{\"uri\":" + JSONText.quote(path) + "}"
        case let .scene(domain, seed, index, size):
            return "{\"scene\":{\"domain\":" + JSONText.quote(domain) + ",\"seed\":\(seed),\"index\":\(index),\"size\":\(size)}}"
        }
    }

    /// The image, and for a synthetic scene its true boxes (`nil` for a file).
    public func load(base: String) throws -> (image: RGBImage, truth: [LabeledBox]?) {
        switch self {
        case .file(let path):
            let full = path.hasPrefix("/") ? path : base + "/" + path
            guard let data = FileManager.default.contents(atPath: full) else { throw DetectorError("input.uri: cannot read \(full)") }
            let lower = full.lowercased()
            let image = try (lower.hasSuffix(".jpg") || lower.hasSuffix(".jpeg")) ? JPEGCodec.decode(data) : PNGCodec.decode(data)
            return (image, nil)
        case let .scene(domain, seed, index, size):
            let generator = try ImageInput.generator(domain: domain, size: size)
            let scene = generator.scene(seed: seed, index: index)
            return (scene.image, scene.boxes)
        }
    }

    /// The true boxes of a synthetic scene, without drawing its pixels; `nil` for a file (a
    /// file carries no ground truth).
    public func truth() throws -> [LabeledBox]? {
        switch self {
        case .file: return nil
        case let .scene(domain, seed, index, size):
            return try ImageInput.generator(domain: domain, size: size).boxes(seed: seed, index: index)
        }
    }

    static func generator(domain: String, size: Int) throws -> SceneGenerator {
        guard size >= 16, size % 8 == 0 else { throw DetectorError("input.scene.size: \(size) must be a multiple of 8 from 16") }
        return SceneGenerator(domain: try Domain.parse(domain), size: size)
    }
}

extension SceneSet {
    /// A set from images of one size and their boxes (empty lists for unlabelled images), named
    /// `fileNames`, ids 1…; the fingerprint is the SHA-256 of the pixels (empty when
    /// `fingerprint` is false: a set only predicted on needs none).
    public init(classes: [String], images: [RGBImage], boxes: [[LabeledBox]], fileNames: [String], description: String,
                fingerprint: Bool = true) throws {
        let size = images.first?.width ?? 64
        var pixels: [UInt8] = []
        pixels.reserveCapacity(images.count * size * size * 3)
        var hash = SHA256()
        for (i, image) in images.enumerated() {
            guard image.width == size, image.height == size else {
                throw DetectorError("image \(fileNames[i]) is \(image.width)×\(image.height); every image of a set must be \(size)×\(size)")
            }
            pixels += image.pixels
            if fingerprint { hash.update(image.pixels) }
        }
        self.init(classes: classes, size: size, pixels: pixels, boxes: boxes, fileNames: fileNames,
                  imageIDs: (0..<images.count).map { $0 + 1 }, fingerprint: fingerprint ? hash.finalize().hexString : "",
                  description: description)
    }
}
