import Foundation
import VigilCore
import VigilImaging
import VigilStore

/// A claimed item made ready to show: its prediction read from the payload and its image decoded.
public struct PreparedItem: Sendable {
    /// A predicted box, in image pixels.
    public struct PredictedBox: Equatable, Sendable {
        public var label: String
        public var score: Double?
        public var x: Double, y: Double, width: Double, height: Double
        public init(label: String, score: Double?, x: Double, y: Double, width: Double, height: Double) {
            self.label = label; self.score = score
            self.x = x; self.y = y; self.width = width; self.height = height
        }
    }

    public var claim: ReviewClaim
    public var task: ModelTask
    public var classes: [String]
    /// The highest per-class scores, best first (from the payload's `scores`).
    public var topK: [(label: String, score: Double)]
    public var boxes: [PredictedBox]
    /// `input.uri`, when given.
    public var inputURI: String?
    /// What a non-image input shows: `input.data`, `input.attributes`, `image` members.
    public var details: [String]
    public var image: RGBImage?
    /// Why there is no image (no `input.uri`, unreadable, not PNG/JPEG).
    public var imageProblem: String?
    /// The image's size in pixels (decoded, or the payload's `image.width/height`); 640×480 when unknown.
    public var imageSize: (width: Int, height: Int)

    public init(claim: ReviewClaim, task: ModelTask, classes: [String], topK: [(label: String, score: Double)] = [], boxes: [PredictedBox] = [],
                inputURI: String? = nil, details: [String] = [], image: RGBImage? = nil, imageProblem: String? = nil) {
        self.claim = claim
        self.task = task
        self.classes = classes
        self.topK = topK
        self.boxes = boxes
        self.inputURI = inputURI
        self.details = details
        self.image = image
        self.imageProblem = imageProblem
        self.imageSize = image.map { ($0.width, $0.height) } ?? (640, 480)
    }

    /// Reads the payload of `claim` (prediction JSON as ingested) and loads its image with `images`.
    public static func prepare(_ claim: ReviewClaim, schema: ModelSchema, images: ImageLoader?) -> PreparedItem {
        var item = PreparedItem(claim: claim, task: schema.task, classes: schema.classes)
        let payload = claim.payload.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
        if let scores = payload["scores"] as? [String: Any] {
            var pairs: [(label: String, score: Double)] = []
            for (k, v) in scores { if let n = v as? NSNumber { pairs.append((label: k, score: n.doubleValue)) } }
            pairs.sort { a, b in a.score != b.score ? a.score > b.score : a.label < b.label }
            item.topK = Array(pairs.prefix(5))
        }
        for case let box as [String: Any] in payload["boxes"] as? [Any] ?? [] {
            let bbox = (box["bbox"] as? [Any] ?? []).compactMap { ($0 as? NSNumber)?.doubleValue }
            guard let label = box["label"] as? String, bbox.count == 4 else { continue }
            item.boxes.append(PredictedBox(label: label, score: (box["score"] as? NSNumber)?.doubleValue, x: bbox[0], y: bbox[1], width: bbox[2], height: bbox[3]))
        }
        let input = payload["input"] as? [String: Any] ?? [:]
        item.inputURI = input["uri"] as? String
        if let attributes = input["attributes"] as? [String: Any] {
            for key in attributes.keys.sorted() { item.details.append("\(key): \(attributes[key].map { "\($0)" } ?? "")") }
        }
        if let data = input["data"] { item.details.append("data: \(data)") }
        if let image = payload["image"] as? [String: Any] {
            if let w = (image["width"] as? NSNumber)?.intValue, let h = (image["height"] as? NSNumber)?.intValue, w > 0, h > 0 { item.imageSize = (w, h) }
            for key in image.keys.sorted() where key != "width" && key != "height" { item.details.append("image.\(key): \(image[key].map { "\($0)" } ?? "")") }
        }
        if let uri = item.inputURI, let images {
            do {
                let image = try images.load(uri)
                item.image = image
                item.imageSize = (image.width, image.height)
            } catch {
                item.imageProblem = "\(error)"
            }
        } else if item.inputURI == nil {
            item.imageProblem = "the prediction has no input.uri"
        }
        return item
    }
}
