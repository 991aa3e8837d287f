/// Why a detector's mAP is what it is: TIDE's error taxonomy (Bolya et al. 2020, "TIDE: A General
/// Toolbox for Identifying Object Detection Errors"), computed as the `tidecv` package (1.0.1)
/// computes it in box mode, so its figures equal tidecv's on the same boxes.
///
/// At IoU ``foregroundIoU`` each false positive is a classification (`cls`), localisation
/// (`loc`), both (`both`), duplicate (`dupe`) or background (`bkg`) error, and each ground-truth
/// box no error could have found is a `miss` (the rules: ``TIDELedger/init(images:classCount:foreground:background:maxDetections:)``).
/// The cost of an error type (dAP) is the AP50 after fixing every error of that type alone
/// ("what if fixed", the oracle) minus the AP50 as it is, floored at 0.
///
/// All AP values are fractions (0…1; tidecv prints them × 100). TIDE's AP50 is not COCO's: it
/// averages over every class with ground truth *or predictions* (a class only ever predicted
/// counts as AP 0), keeps the ``maxDetectionsPerImage`` best boxes per image (not per class) and
/// has no epsilon in precision.
public struct ErrorTaxonomy: Sendable, Equatable, Codable {
    /// TIDE's six main error types, in tidecv's order.
    public enum Kind: String, CaseIterable, Sendable, Codable {
        /// Right place (IoU ≥ foreground with a ground truth), wrong class.
        case cls
        /// Right class, IoU with its ground truth between background and foreground.
        case loc
        /// Wrong class and poorly placed: neither of the others, but not on background.
        case both
        /// Right class and place, but the ground truth was already taken by a better-scored box.
        case dupe
        /// On background: IoU ≤ background with every ground truth (or none in the image).
        case bkg
        /// A ground-truth box no prediction came close to finding.
        case miss
    }

    /// One value per error type; encodes as an object keyed `cls`, `loc`, `both`, `dupe`, `bkg`, `miss`.
    public struct PerKind<Value: Sendable & Equatable & Codable>: Sendable, Equatable, Codable {
        public var cls, loc, both, dupe, bkg, miss: Value

        public init(_ value: (Kind) -> Value) {
            (cls, loc, both, dupe, bkg, miss) = (value(.cls), value(.loc), value(.both), value(.dupe), value(.bkg), value(.miss))
        }

        public subscript(kind: Kind) -> Value {
            switch kind {
            case .cls: cls
            case .loc: loc
            case .both: both
            case .dupe: dupe
            case .bkg: bkg
            case .miss: miss
            }
        }
    }

    /// What one error type costs the whole model.
    public struct Cost: Sendable, Equatable, Codable {
        public var count: Int
        /// AP50 gained by fixing all errors of this type (≥ 0).
        public var dap: Double
        /// AP50 after fixing them (the oracle; may be below ``ErrorTaxonomy/ap50`` when fixing shuffles ties).
        public var ap50IfFixed: Double

        enum CodingKeys: String, CodingKey {
            case count, dap
            case ap50IfFixed = "ap50_if_fixed"
        }
    }

    /// The errors of one class: predictions of the class, and misses of its ground truth.
    public struct ClassRow: Sendable, Equatable, Codable {
        public var className: String
        public var groundTruthBoxes: Int
        /// The class's TIDE AP50; `nil` without ground truth.
        public var ap50: Double?
        public var counts: PerKind<Int>
        /// The class's AP50 gained by fixing each type (≥ 0); `nil` without ground truth.
        public var dap: PerKind<Double>?

        enum CodingKeys: String, CodingKey {
            case className = "class"
            case groundTruthBoxes = "ground_truth_boxes"
            case ap50, counts, dap
        }

        /// Undefined values are `null`, as elsewhere in the report.
        public func encode(to encoder: any Encoder) throws {
            var c = encoder.container(keyedBy: CodingKeys.self)
            try c.encode(className, forKey: .className)
            try c.encode(groundTruthBoxes, forKey: .groundTruthBoxes)
            try c.encode(ap50, forKey: .ap50)
            try c.encode(counts, forKey: .counts)
            try c.encode(dap, forKey: .dap)
        }
    }

    /// IoU at which a prediction matches a ground truth (tidecv's `pos_threshold`).
    public static let foregroundIoU = 0.5
    /// IoU at or below which a prediction is on background (tidecv's `background_threshold`).
    public static let backgroundIoU = 0.1
    /// Boxes kept per image, best score first (tidecv's `max_dets`).
    public static let maxDetectionsPerImage = 100

    /// The mean AP50 as TIDE computes it.
    public var ap50: Double
    public var errors: PerKind<Cost>
    /// AP50 gained if every false positive scored below every true positive (tidecv's `FalsePos`).
    public var falsePositiveDAP: Double
    /// AP50 gained if every unmatched ground truth stopped counting (tidecv's `FalseNeg`).
    public var falseNegativeDAP: Double
    public var perClass: [ClassRow]

    enum CodingKeys: String, CodingKey {
        case ap50, errors
        case falsePositiveDAP = "false_positive_dap"
        case falseNegativeDAP = "false_negative_dap"
        case perClass = "per_class"
    }

    /// The taxonomy of `images` whose boxes are labelled by index into `classNames` (boxes of
    /// other labels are left out); `nil` when no image has a box, as TIDE's AP is then undefined.
    public init?(images: [DetectionEvaluation.Image], classNames: [String]) {
        let ledger = TIDELedger(images: images, classCount: classNames.count, foreground: Self.foregroundIoU,
                                background: Self.backgroundIoU, maxDetections: Self.maxDetectionsPerImage)
        guard let base = ledger.classes.tideMeanAveragePrecision else { return nil }
        let fixed = Dictionary(uniqueKeysWithValues: Kind.allCases.map { kind in (kind, ledger.fixing { $0.kind == kind }) })
        errors = PerKind { kind in
            let ifFixed = fixed[kind]!.tideMeanAveragePrecision ?? 0
            return Cost(count: ledger.errors.count(where: { $0.kind == kind }), dap: max(ifFixed - base, 0) / 100, ap50IfFixed: ifFixed / 100)
        }
        ap50 = base / 100
        let perfectPrecision = ledger.fixing({ _ in false }, transform: { TIDEPoint(score: $0.isTrue ? 1 : 0, isTrue: $0.isTrue) })
        falsePositiveDAP = ((perfectPrecision.tideMeanAveragePrecision ?? 0) - base) / 100
        falseNegativeDAP = ((ledger.fixing({ _ in false }, removingUnmatchedGroundTruth: true).tideMeanAveragePrecision ?? 0) - base) / 100
        perClass = classNames.indices.map { k in
            let data = ledger.classes[k]
            let ap = data.averagePrecision()
            return ClassRow(className: classNames[k], groundTruthBoxes: data.groundTruth,
                            ap50: data.groundTruth > 0 ? ap / 100 : nil,
                            counts: PerKind { kind in ledger.errors.count(where: { $0.kind == kind && $0.classIndex == k }) },
                            dap: data.groundTruth > 0 ? PerKind { kind in max(fixed[kind]![k].averagePrecision() - ap, 0) / 100 } : nil)
        }
    }
}
