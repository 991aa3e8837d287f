/// A predicted box of a detection model, in COCO's pixel convention `[x, y, width, height]`.
public struct DetectionBox: Sendable, Equatable {
    /// Index of the box's class in the model's class list.
    public var labelIndex: Int
    /// The detector's confidence, when given.
    public var score: Double?
    /// `[x, y, w, h]` in pixels.
    public var bbox: (Double, Double, Double, Double)
    /// An explicit area (ground truth in COCO form may give one), else `nil` for w·h.
    public var area: Double?
    /// COCO's `iscrowd`: a ground-truth region covering many objects. Evaluation ignores it
    /// (neither a miss nor a match), and detections inside it are neither true nor false positives.
    public var isCrowd: Bool

    public init(labelIndex: Int, score: Double?, bbox: (Double, Double, Double, Double), area: Double? = nil, isCrowd: Bool = false) {
        self.labelIndex = labelIndex
        self.score = score
        self.bbox = bbox
        self.area = area
        self.isCrowd = isCrowd
    }

    public static func == (a: DetectionBox, b: DetectionBox) -> Bool {
        a.labelIndex == b.labelIndex && a.score == b.score && a.bbox == b.bbox && a.area == b.area && a.isCrowd == b.isCrowd
    }

    /// Parses a stored `boxes` JSON array (as ingest kept it) with `schema`'s classes.
    public static func parse(json: String, schema: ModelSchema) throws -> [DetectionBox] {
        var text = json
        return try text.withUTF8 { bytes in
            try PredictionLineParser.parseBoxes(JSONScanner(bytes), 0..<bytes.count, schema: schema, line: 0, id: "", requireScore: false).boxes
        }
    }
}

/// One production prediction, validated and ready to store.
///
/// Fields the metrics need are typed; the rest (`input`, `scores`, `boxes`, `image`) are kept
/// as the exact JSON the client sent, in ``payload``, so nothing is lost or reformatted.
public struct PredictionRecord: Sendable {
    /// One-based line number in the input it came from.
    public var line: Int
    /// The client's id; ingest is idempotent on it.
    public var id: String
    /// When the prediction was made, in milliseconds since the epoch.
    public var timestampMillis: Int64
    /// The model's name.
    public var model: String
    /// The model version that made the prediction, when given.
    public var modelVersion: String?
    /// The predicted class (classification), as an index into the model's classes.
    public var labelIndex: Int?
    /// The top-1 score (classification).
    public var score: Double?
    /// The predicted boxes (detection).
    public var boxes: [DetectionBox]
    /// A JSON object holding the raw `input`, `scores`, `boxes` and `image` members, or `nil`.
    public var payload: String?
    /// Digest of everything above but the line number.
    public var contentHash: Int64

    public init(line: Int, id: String, timestampMillis: Int64, model: String, modelVersion: String?,
                labelIndex: Int?, score: Double?, boxes: [DetectionBox], payload: String?, contentHash: Int64) {
        self.line = line
        self.id = id
        self.timestampMillis = timestampMillis
        self.model = model
        self.modelVersion = modelVersion
        self.labelIndex = labelIndex
        self.score = score
        self.boxes = boxes
        self.payload = payload
        self.contentHash = contentHash
    }
}

/// Ground truth for one prediction, from a reviewer or imported later.
public struct LabelRecord: Sendable {
    /// One-based line number in the input it came from.
    public var line: Int
    /// The id of the prediction this labels.
    public var predictionID: String
    /// The observed class (classification).
    public var label: String?
    /// The ground-truth boxes as the client sent them (detection), a JSON array.
    public var boxesJSON: String?
    /// Box class names, in order, for validation against the model's classes.
    public var boxLabels: [String]
    /// Who labelled it, when given.
    public var reviewer: String?
    /// Where the label came from (`review`, `import`, a system's name); default `import`.
    public var source: String
    /// Digest of the label content (label or boxes), to tell a repeat from a relabel.
    public var contentHash: Int64

    public init(line: Int, predictionID: String, label: String?, boxesJSON: String?, boxLabels: [String],
                reviewer: String?, source: String, contentHash: Int64) {
        self.line = line
        self.predictionID = predictionID
        self.label = label
        self.boxesJSON = boxesJSON
        self.boxLabels = boxLabels
        self.reviewer = reviewer
        self.source = source
        self.contentHash = contentHash
    }
}
