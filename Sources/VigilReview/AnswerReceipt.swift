import VigilCore

/// The message line after an answer is recorded: what the reviewer answered, beside what the
/// model said, and which item it was (the screen already shows the next one); and, where the
/// prediction already had ground truth, whether the answer agreed with it and which stands.
///
/// ```swift
/// AnswerReceipt.text(.label("7"), effect: .recorded, for: item)   // "stored: 7 (model said 1) · item q-003"
/// ```
enum AnswerReceipt {
    static func text(_ outcome: ReviewOutcome, effect: AnswerEffect = .recorded, for item: PreparedItem) -> String {
        var suffix = " · item \(item.claim.predictionID)"
        // "stored" only when the answer is (or equals) the ground truth now.
        var verb = "stored"
        switch effect {
        case .recorded: break
        case .agreesWithTruth(let source): suffix += " · agrees with the ground truth from \(source)"
        case .disagrees(let truth, let source, let kept):
            if kept { verb = "recorded" }
            suffix += kept ? " · ground truth stays \(truth) (from \(source)): your answer is recorded as a disagreement"
                           : " · replaces the ground truth \(truth) (from \(source))"
        }
        switch outcome {
        case .label(let label):
            return "\(verb): \(label) (model said \(item.claim.predictedClass ?? "nothing"))" + suffix
        case .boxes(let boxes):
            let kept = boxes.filter { $0.verdict != .rejected }
            let verdicts: [ReviewedBox.Verdict] = [.accepted, .changed, .added, .rejected]
            let counts = verdicts.compactMap { verdict in
                let n = boxes.filter { $0.verdict == verdict }.count
                return n > 0 ? "\(n) \(verdict.rawValue)" : nil
            }
            let detail = counts.isEmpty ? "" : ": " + counts.joined(separator: ", ")
            return "\(verb): \(boxCount(kept.count))\(detail) (model said \(boxCount(item.boxes.count)))" + suffix
        case .skip:
            return "skipped" + suffix
        case .flag(let reason):
            return "flagged: \(reason)" + suffix
        }
    }

    static func boxCount(_ n: Int) -> String { "\(n) box\(n == 1 ? "" : "es")" }
}
