/// Turns one NDJSON line of ground truth into a ``LabelRecord``.
///
/// `{"prediction_id": "c-1", "label": "jar"}` for a classifier, `{"prediction_id": "img-1",
/// "boxes": [{"label": "can", "bbox": [x, y, w, h]}]}` for a detector; optional `reviewer` and
/// `source`. Whether the label is a class of the prediction's model is checked by the store,
/// which knows the prediction.
public struct LabelLineParser: Sendable {
    public init() {}

    /// Parses `bytes` (one line without its newline), numbered `line`.
    public func parse(_ bytes: UnsafeBufferPointer<UInt8>, line: Int) -> Result<LabelRecord, RecordError> {
        var s = JSONScanner(bytes)
        var id: String?
        var label: String?
        var boxesRange: Range<Int>?
        var reviewer: String?
        var source: String?
        var field: String?
        do throws(JSONSyntaxError) {
            if let notAnObject = PredictionLineParser.notAnObject(&s, line: line) { return .failure(notAnObject) }
            try s.scanObject { (s: inout JSONScanner, key) throws(JSONSyntaxError) in
                if s.equals(key, "prediction_id") {
                    field = "prediction_id"; id = try s.readString(field: "prediction_id")
                } else if s.equals(key, "label") {
                    field = "label"; label = try s.readString(field: "label")
                } else if s.equals(key, "boxes") {
                    field = "boxes"; boxesRange = try s.skipValue()
                } else if s.equals(key, "reviewer") {
                    field = "reviewer"; if !s.readNull() { reviewer = try s.readString(field: "reviewer") }
                } else if s.equals(key, "source") {
                    field = "source"; if !s.readNull() { source = try s.readString(field: "source") }
                } else {
                    let name = (try? s.decode(key)) ?? "?"
                    throw JSONSyntaxError(offset: key.start, reason: "unknown field '\(name)' (known: prediction_id, label, boxes, reviewer, source)")
                }
                field = nil
            }
            guard s.atEnd() else { return .failure(RecordError(line: line, reason: "unexpected content after the JSON object at byte \(s.offset + 1)", id: id)) }
        } catch {
            return .failure(RecordError(line: line, field: field, reason: PredictionLineParser.describe(error, bytes: bytes), id: id))
        }
        guard let id else { return .failure(RecordError(line: line, field: "prediction_id", reason: "missing required field 'prediction_id'")) }
        guard (label == nil) != (boxesRange == nil) else {
            return .failure(RecordError(line: line, field: label == nil ? "label" : "boxes",
                                        reason: "give exactly one of 'label' (classification) or 'boxes' (detection)", id: id))
        }
        var boxLabels: [String] = []
        var boxesJSON: String?
        var hash = ContentHash()
        if let label { hash.add(label) } else { hash.addAbsent() }
        if let r = boxesRange {
            do throws(RecordError) {
                boxLabels = try PredictionLineParser.parseBoxes(s, r, schema: nil, line: line, id: id, requireScore: false).labels
            } catch { return .failure(error) }
            boxesJSON = s.text(r)
            hash.add(s.slice(r))
        } else { hash.addAbsent() }
        return .success(LabelRecord(line: line, predictionID: id, label: label, boxesJSON: boxesJSON, boxLabels: boxLabels,
                                    reviewer: reviewer, source: source ?? "import", contentHash: hash.signed))
    }
}
