/// An object's box in COCO's pixel convention (`x, y` the top-left corner, `w, h` the size),
/// with its class index; with a score when it is a detection.
public struct LabeledBox: Sendable, Equatable, Codable {
    public var classIndex: Int
    public var x: Double
    public var y: Double
    public var w: Double
    public var h: Double
    /// Confidence of a detection; 1 for ground truth.
    public var score: Double

    public init(classIndex: Int, x: Double, y: Double, w: Double, h: Double, score: Double = 1) {
        self.classIndex = classIndex
        self.x = x
        self.y = y
        self.w = w
        self.h = h
        self.score = score
    }

    public var area: Double { w * h }
    public var centreX: Double { x + w / 2 }
    public var centreY: Double { y + h / 2 }

    /// Intersection over union with `other` (0 when either is empty).
    public func iou(_ other: LabeledBox) -> Double {
        let inter = intersection(other)
        let union = area + other.area - inter
        return union > 0 ? inter / union : 0
    }

    /// Area of the overlap with `other`.
    public func intersection(_ other: LabeledBox) -> Double {
        let iw = min(x + w, other.x + other.w) - max(x, other.x)
        let ih = min(y + h, other.y + other.h) - max(y, other.y)
        return iw > 0 && ih > 0 ? iw * ih : 0
    }
}
