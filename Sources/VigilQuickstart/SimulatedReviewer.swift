import Foundation
import VigilCore
import VigilDetector
import VigilStore

/// The quickstart's *simulated reviewer*: it works through the review queue like a person in
/// `vigil review`, but answers from the scene generator's ground truth, with mistakes.
///
/// For each claimed image it draws the scene again from `input.scene`, misses each true box
/// with probability `errorRate` and names a wrong class with probability `errorRate`, then
/// submits the boxes with the verdicts a reviewer's keys would give: a prediction it agrees
/// with is `accepted`, one it corrects is `changed`, a prediction with no object is
/// `rejected`, an object the model missed is `added`.
struct SimulatedReviewer {
    static let name = "simulated-reviewer"
    let store: any Store
    let model: String
    let classes: [String]
    let errorRate: Double
    var rng: SplitMix64

    init(store: any Store, model: String, classes: [String], errorRate: Double, seed: UInt64) {
        self.store = store
        self.model = model
        self.classes = classes
        self.errorRate = errorRate
        self.rng = SplitMix64(seed: seed ^ 0x5EED_0F_5EED)
    }

    /// Items claimed, and answered, per store transaction. A person answers one at a time; the
    /// simulation answers a day's queue in a few transactions, since each commit of a small
    /// transaction costs a WAL write of every page it touched.
    static let batch = 50

    /// Reviews every open item of the queue at `now`; returns how many it answered.
    mutating func drain(now: Int64) throws -> Int {
        var answered = 0
        while case let claims = try store.claim(model: model, reviewer: Self.name, now: now, leaseMillis: 600_000, limit: Self.batch), !claims.isEmpty {
            var answers: [ReviewSubmission] = []
            for claim in claims {
                let payload = claim.payload.flatMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] } ?? [:]
                guard let input = try? ImageInput(json: payload["input"]), let truth = try? input.truth() else {
                    answers.append(ReviewSubmission(assignment: claim.assignment, outcome: .skip(reason: "no scene to look at")))
                    continue
                }
                let boxes = review(truth: truth, predicted: Self.predictedBoxes(payload["boxes"], classes: classes))
                answers.append(ReviewSubmission(assignment: claim.assignment, outcome: .boxes(boxes)))
                answered += 1
            }
            try store.submit(answers, reviewer: Self.name, now: now)
        }
        return answered
    }

    /// The reviewer's boxes for one image.
    mutating func review(truth: [LabeledBox], predicted: [LabeledBox]) -> [ReviewedBox] {
        var seen: [LabeledBox] = []
        for var box in truth {
            if rng.unit() < errorRate { continue }  // missed
            if rng.unit() < errorRate { box.classIndex = (box.classIndex + 1 + Int(rng.next() % UInt64(classes.count - 1))) % classes.count }
            seen.append(box)
        }
        var used = Set<Int>()
        var out: [ReviewedBox] = []
        for box in seen {
            let match = predicted.indices.filter { !used.contains($0) && predicted[$0].iou(box) >= 0.5 }
                .max { predicted[$0].iou(box) < predicted[$1].iou(box) }
            var verdict = ReviewedBox.Verdict.added
            if let match {
                used.insert(match)
                let p = predicted[match]
                verdict = p.classIndex == box.classIndex && p.iou(box) >= 0.9 ? .accepted : .changed
            }
            out.append(ReviewedBox(label: classes[box.classIndex], x: box.x, y: box.y, width: box.w, height: box.h, verdict: verdict))
        }
        for (i, p) in predicted.enumerated() where !used.contains(i) && p.score >= 0.5 {
            out.append(ReviewedBox(label: classes[p.classIndex], x: p.x, y: p.y, width: p.w, height: p.h, verdict: .rejected))
        }
        return out
    }

    /// The boxes of a prediction payload.
    static func predictedBoxes(_ json: Any?, classes: [String]) -> [LabeledBox] {
        (json as? [[String: Any]] ?? []).compactMap { b in
            guard let name = b["label"] as? String, let k = classes.firstIndex(of: name), let bbox = b["bbox"] as? [Double], bbox.count == 4 else { return nil }
            return LabeledBox(classIndex: k, x: bbox[0], y: bbox[1], w: bbox[2], h: bbox[3], score: (b["score"] as? Double) ?? 0)
        }
    }
}
