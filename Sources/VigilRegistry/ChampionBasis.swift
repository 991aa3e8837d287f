/// What the champion's side of a gate comparison is made of.
///
/// The gate is only fair when both versions predicted the same holdout inputs: `holdoutRun`.
/// When nobody ran the champion on the holdout, the gate falls back to the predictions the
/// serving model made on those items in production, which may come from an older model than
/// the champion (after a promotion, traffic served before it is still the old model's); the
/// verdict then says so.
public enum ChampionBasis: String, Sendable, Equatable, Codable {
    /// The champion's artifact predicted the holdout inputs, as the candidate's did.
    case holdoutRun = "holdout-run"
    /// The predictions served in production on the holdout items, as ingested.
    case servedPredictions = "served-predictions"

    /// One sentence on what the candidate was compared with (`champion`: the champion's number).
    public func sentence(champion: Int?) -> String {
        let name = champion.map { "v\($0)" } ?? "the champion"
        switch self {
        case .holdoutRun:
            return "Compared with \(name) run on the same holdout inputs."
        case .servedPredictions:
            return "Caveat: compared with the predictions served in production on the holdout items, not with \(name) run on them; "
                + "they may be an older model's. Write {champion_predictions} from the command trainer (or use trainer: embedded) for a like-for-like gate."
        }
    }
}
