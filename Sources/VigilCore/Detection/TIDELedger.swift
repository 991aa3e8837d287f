/// What fixing (or not fixing) one TIDE error does to the AP data.
enum TIDEOutcome: Sendable, Equatable {
    /// The box leaves the AP data.
    case drop
    /// The box is counted in class `classIndex` as this point.
    case point(classIndex: Int, TIDEPoint)
    /// One ground-truth box of the class stops counting (a fixed miss).
    case removeGroundTruth(classIndex: Int)
}

/// One error as TIDE assigns it, with the AP data point it is now and the one it becomes when fixed.
struct TIDEError: Sendable, Equatable {
    var kind: ErrorTaxonomy.Kind
    /// The predicted box's class; for a miss, the ground truth's.
    var classIndex: Int
    var original: TIDEOutcome
    var fixed: TIDEOutcome
}

/// Everything TIDE needs from a window to price its errors: the base AP data per class, the
/// errors in tidecv's order (image by image; in an image the boxes best score first, then the
/// misses), and per class the ground truth left unmatched (for the false-negative oracle).
struct TIDELedger: Sendable {
    var classes: [TIDEClassData]
    var errors: [TIDEError]
    var unmatchedGroundTruth: [Int]

    /// tidecv's `fix_errors`: the AP data when every error for which `fixing` holds takes its
    /// fixed outcome. As there, the errors' points come first (in error order), then the base
    /// data's true positives, so ties in score order exactly as tidecv orders them.
    /// `transform` rewrites every point (the false-positive oracle); with
    /// `removingUnmatchedGroundTruth` the unmatched ground truth stops counting (the false-negative oracle).
    func fixing(_ fixing: (TIDEError) -> Bool, transform: ((TIDEPoint) -> TIDEPoint)? = nil,
                removingUnmatchedGroundTruth: Bool = false) -> [TIDEClassData] {
        var out = [TIDEClassData](repeating: TIDEClassData(), count: classes.count)
        var groundTruth = classes.map(\.groundTruth)
        for error in errors {
            switch fixing(error) ? error.fixed : error.original {
            case .drop: break
            case .point(let k, let point): out[k].points.append(transform?(point) ?? point)
            case .removeGroundTruth(let k): groundTruth[k] -= 1
            }
        }
        for k in classes.indices {
            for point in classes[k].points where point.isTrue { out[k].points.append(transform?(point) ?? point) }
            out[k].groundTruth = groundTruth[k] - (removingUnmatchedGroundTruth ? unmatchedGroundTruth[k] : 0)
        }
        return out
    }
}
