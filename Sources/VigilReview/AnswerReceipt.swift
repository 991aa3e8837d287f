import VigilCore

/// The message line after an answer is recorded: what the reviewer answered, beside what the
/// model said, and which item it was (the screen already shows the next one). It reports the
/// answer, not the ground truth the store may derive from it.
///
/// ```swift
/// AnswerReceipt.text(.label("7"), for: item)   // "stored: 7 (model said 1) · item q-003"
/// ```
enum AnswerReceipt {
    static func text(_ outcome: ReviewOutcome, for item: PreparedItem) -> String {
        let suffix = " · item \(item.claim.predictionID)"
        switch outcome {
        case .label(let label):
            return "stored: \(label) (model said \(item.claim.predictedClass ?? "nothing"))" + suffix
        case .boxes(let boxes):
            let kept = boxes.filter { $0.verdict != .rejected }
            let verdicts: [ReviewedBox.Verdict] = [.accepted, .changed, .added, .rejected]
            let counts = verdicts.compactMap { verdict in
                let n = boxes.filter { $0.verdict == verdict }.count
                return n > 0 ? "\(n) \(verdict.rawValue)" : nil
            }
            let detail = counts.isEmpty ? "" : ": " + counts.joined(separator: ", ")
            return "stored: \(boxCount(kept.count))\(detail) (model said \(boxCount(item.boxes.count)))" + suffix
        case .skip:
            return "skipped" + suffix
        case .flag(let reason):
            return "flagged: \(reason)" + suffix
        }
    }

    static func boxCount(_ n: Int) -> String { "\(n) box\(n == 1 ? "" : "es")" }
}
