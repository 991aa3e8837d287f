/// Greedy, class-wise non-maximum suppression: boxes by descending score (ties by input
/// order), each kept unless it overlaps a kept box of its class by more than the threshold.
public enum NonMaximumSuppression {
    /// The kept boxes, best first, at most `limit`.
    ///
    /// ```swift
    /// let kept = NonMaximumSuppression.apply(candidates, iouThreshold: 0.5)
    /// ```
    public static func apply(_ boxes: [LabeledBox], iouThreshold: Double, limit: Int = .max) -> [LabeledBox] {
        let order = boxes.indices.sorted { boxes[$0].score != boxes[$1].score ? boxes[$0].score > boxes[$1].score : $0 < $1 }
        var kept: [LabeledBox] = []
        for i in order {
            let box = boxes[i]
            if kept.contains(where: { $0.classIndex == box.classIndex && $0.iou(box) > iouThreshold }) { continue }
            kept.append(box)
            if kept.count == limit { break }
        }
        return kept
    }
}
