/// One scored box in TIDE's per-class AP data: a true or a false positive.
struct TIDEPoint: Sendable, Equatable {
    var score: Double
    var isTrue: Bool
}

/// TIDE's AP data for one class at IoU .5 (tidecv's `APDataObject`): the scored boxes in the
/// order they were added (ties in score keep that order) and the number of ground-truth boxes.
struct TIDEClassData: Sendable, Equatable {
    var points: [TIDEPoint] = []
    var groundTruth = 0

    /// tidecv leaves a class out of the mean only when it has neither boxes nor ground truth.
    var isEmpty: Bool { points.isEmpty && groundTruth == 0 }

    /// AP in percent points exactly as tidecv's `APDataObject.get_ap` computes it: 0 without
    /// ground truth; precision `tp/(tp+fp)` (no epsilon) made monotone from the right; at each
    /// recall `i/100` (i = 0…100, computed as a division, not numpy's linspace) the precision of
    /// the first point whose recall is at least that, else 0; the mean of the 101 bars × 100.
    func averagePrecision() -> Double {
        guard groundTruth != 0 else { return 0 }
        let order = points.indices.sorted { a, b in
            points[a].score != points[b].score ? points[a].score > points[b].score : a < b
        }
        var precisions: [Double] = []
        var recalls: [Double] = []
        precisions.reserveCapacity(order.count)
        recalls.reserveCapacity(order.count)
        var truePositives = 0
        var falsePositives = 0
        for i in order {
            if points[i].isTrue { truePositives += 1 } else { falsePositives += 1 }
            precisions.append(Double(truePositives) / Double(truePositives + falsePositives))
            recalls.append(Double(truePositives) / Double(groundTruth))
        }
        for i in stride(from: precisions.count - 1, to: 0, by: -1) where precisions[i] > precisions[i - 1] {
            precisions[i - 1] = precisions[i]
        }
        var sum = 0.0
        var index = 0
        for bar in 0...100 {
            let recall = Double(bar) / 100
            while index < recalls.count && recalls[index] < recall { index += 1 }
            if index < precisions.count { sum += precisions[index] }
        }
        return sum / 101 * 100
    }
}

extension Array where Element == TIDEClassData {
    /// tidecv's `get_mAP`: the mean AP (percent points) over the classes that are not empty;
    /// `nil` when all are.
    var tideMeanAveragePrecision: Double? {
        let aps = filter { !$0.isEmpty }.map { $0.averagePrecision() }
        return aps.isEmpty ? nil : aps.reduce(0, +) / Double(aps.count)
    }
}
