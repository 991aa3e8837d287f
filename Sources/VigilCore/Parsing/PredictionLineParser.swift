/// Turns one NDJSON line into a ``PredictionRecord``, or says precisely what is wrong with it.
///
/// The format is in `docs/formats.md`. Unknown fields are rejected (a typo such as `lable`
/// would otherwise lose data silently); labels must be classes of the named model.
public struct PredictionLineParser: Sendable {
    /// The models records may name.
    public var catalog: ModelCatalog
    /// Longest accepted `id`, in bytes.
    public static let maxIDBytes = 256

    public init(catalog: ModelCatalog) { self.catalog = catalog }

    /// Parses `bytes` (one line without its newline), numbered `line`.
    public func parse(_ bytes: UnsafeBufferPointer<UInt8>, line: Int) -> Result<PredictionRecord, RecordError> {
        var s = JSONScanner(bytes)
        var id: String?
        var ts: Int64?
        var model: String?
        // The model found from its name's bytes (no String made); `model` is then nil.
        var knownSchema: ModelSchema?
        var version: String?
        var task: String?
        var labelToken: JSONScanner.JSONString?
        var score: Double?
        var scoresRange: Range<Int>?
        // True when `scores` was checked against `knownSchema` while it was scanned.
        var scoresChecked = false
        var boxesRange: Range<Int>?
        var inputRange: Range<Int>?
        var imageRange: Range<Int>?
        var field: String?
        do throws(JSONSyntaxError) {
            if let notAnObject = PredictionLineParser.notAnObject(&s, line: line) { return .failure(notAnObject) }
            try s.scanObject { (s: inout JSONScanner, key) throws(JSONSyntaxError) in
                if s.equals(key, "id") {
                    field = "id"; id = try s.readString(field: "id")
                } else if s.equals(key, "ts") {
                    field = "ts"
                    ts = try Self.readTimestamp(&s)
                } else if s.equals(key, "model") {
                    field = "model"
                    scoresChecked = false
                    knownSchema = nil
                    model = nil
                    if s.peek() == 0x22 {
                        let token = try s.scanString()
                        if !token.hasEscapes, let found = catalog.schema(forBytes: s.slice(token.start..<token.end)) {
                            knownSchema = found
                        } else {
                            model = try s.decode(token)
                        }
                    } else {
                        model = try s.readString(field: "model")
                    }
                } else if s.equals(key, "model_version") {
                    field = "model_version"
                    if !s.readNull() { version = try s.readString(field: "model_version") }
                } else if s.equals(key, "task") {
                    field = "task"; task = try s.readString(field: "task")
                } else if s.equals(key, "label") {
                    field = "label"
                    if !s.readNull() {
                        guard s.peek() == 0x22 else { throw JSONSyntaxError(offset: s.offset, reason: "'label' must be a string, found \(s.kindName(s.peek() ?? 0x20))") }
                        labelToken = try s.scanString()
                    }
                } else if s.equals(key, "score") {
                    field = "score"
                    if !s.readNull() { score = try s.readNumber(field: "score") }
                } else if s.equals(key, "scores") {
                    field = "scores"
                    // One pass when the model is already known and the map is plain; anything
                    // unusual is left to the full check below, which gives the precise error.
                    if let schema = knownSchema, let r = Self.scanPlainScores(&s, schema: schema) {
                        scoresRange = r
                        scoresChecked = true
                    } else {
                        scoresRange = try s.skipValue()
                        scoresChecked = false
                    }
                } else if s.equals(key, "boxes") {
                    field = "boxes"; boxesRange = try s.skipValue()
                } else if s.equals(key, "input") {
                    field = "input"; inputRange = try s.skipValue()
                } else if s.equals(key, "image") {
                    field = "image"; imageRange = try s.skipValue()
                } else {
                    let name = (try? s.decode(key)) ?? "?"
                    throw JSONSyntaxError(offset: key.start, reason: "unknown field '\(name)' (known: id, ts, model, model_version, task, label, score, scores, boxes, input, image)")
                }
                field = nil
            }
            guard s.atEnd() else { return .failure(RecordError(line: line, reason: "unexpected content after the JSON object at byte \(s.offset + 1)", id: id)) }
        } catch {
            return .failure(RecordError(line: line, field: field, reason: Self.describe(error, bytes: bytes), id: id))
        }
        func fail(_ field: String?, _ reason: String) -> Result<PredictionRecord, RecordError> {
            .failure(RecordError(line: line, field: field, reason: reason, id: id))
        }
        guard let id else { return fail("id", "missing required field 'id'") }
        guard !id.isEmpty, id.utf8.count <= Self.maxIDBytes else {
            return fail("id", "'id' must be 1 to \(Self.maxIDBytes) bytes long")
        }
        guard let ts else { return fail("ts", "missing required field 'ts' (RFC 3339, e.g. 2026-10-01T12:00:00Z)") }
        let schema: ModelSchema
        if let knownSchema {
            schema = knownSchema
        } else {
            guard let model else { return fail("model", "missing required field 'model'") }
            guard let found = catalog.models[model] else {
                return fail("model", "unknown model '\(model)': declare it in a policy file (policies/\(model).yaml) first; known models: \(catalog.names.joined(separator: ", "))")
            }
            schema = found
        }
        let modelName = schema.name
        if let task, task != schema.task.rawValue {
            return fail("task", "model '\(modelName)' is a \(schema.task.rawValue) model, but the record says task '\(task)'")
        }
        var labelIndex: Int?
        if let token = labelToken {
            let found = token.hasEscapes ? (try? s.decode(token)).flatMap { schema.index(of: $0) } : schema.index(ofBytes: s.slice(token.start..<token.end))
            guard let i = found else {
                let label = (try? s.decode(token)) ?? "?"
                return fail("label", "'\(label)' is not a class of model '\(modelName)' (classes: \(Self.list(schema.classes)))")
            }
            labelIndex = i
        }
        if let score, !(score >= 0 && score <= 1) {
            return fail("score", "'score' must be between 0 and 1, got \(score)")
        }
        var boxes: [DetectionBox] = []
        switch schema.task {
        case .classification:
            guard labelIndex != nil else { return fail("label", "missing required field 'label' for classification model '\(modelName)'") }
            if boxesRange != nil { return fail("boxes", "'boxes' is for detection models; '\(modelName)' is a classification model") }
        case .detection:
            guard boxesRange != nil else { return fail("boxes", "missing required field 'boxes' for detection model '\(modelName)' (use [] for an image with no detections)") }
        }
        do throws(RecordError) {
            if let r = scoresRange, !scoresChecked { try Self.validateScores(s, r, schema: schema, line: line, id: id) }
            if let r = boxesRange { boxes = try Self.parseBoxes(s, r, schema: schema, line: line, id: id, requireScore: true).boxes }
            if let r = inputRange, s.slice(r).first != 0x7B { throw RecordError(line: line, field: "input", reason: "'input' must be an object", id: id) }
            if let r = imageRange, s.slice(r).first != 0x7B { throw RecordError(line: line, field: "image", reason: "'image' must be an object", id: id) }
        } catch {
            return .failure(error)
        }
        var hash = ContentHash()
        hash.add(id); hash.add(ts); hash.add(modelName)
        if let version { hash.add(version) } else { hash.addAbsent() }
        hash.add(Int64(labelIndex ?? -1))
        if let score { hash.add(score) } else { hash.addAbsent() }
        let members: [(StaticString, Range<Int>?)] = [("input", inputRange), ("scores", scoresRange), ("boxes", boxesRange), ("image", imageRange)]
        var payloadBytes = 0
        for (name, range) in members {
            guard let range else { hash.addAbsent(); continue }
            hash.add(s.slice(range))
            payloadBytes += name.utf8CodeUnitCount + 4 + range.count  // ,"name": + value
        }
        // `{"input":…,"scores":…}` written straight into the string's storage: one allocation.
        let payload = payloadBytes == 0 ? nil : String(unsafeUninitializedCapacity: payloadBytes + 1) { out in
            var i = 0
            for (name, range) in members {
                guard let range else { continue }
                out[i] = i == 0 ? 0x7B : 0x2C
                out[i + 1] = 0x22
                for k in 0..<name.utf8CodeUnitCount { out[i + 2 + k] = name.utf8Start[k] }
                i += 2 + name.utf8CodeUnitCount
                out[i] = 0x22
                out[i + 1] = 0x3A
                i += 2
                let raw = s.slice(range)
                _ = UnsafeMutableBufferPointer(rebasing: out[i..<(i + raw.count)]).update(fromContentsOf: raw)
                i += raw.count
            }
            out[i] = 0x7D
            return i + 1
        }
        return .success(PredictionRecord(
            line: line, id: id, timestampMillis: ts, model: schema.name, modelVersion: version,
            labelIndex: labelIndex, score: score, boxes: boxes, payload: payload,
            contentHash: hash.signed))
    }

    /// The error for a line that does not start with a JSON object, or `nil` when it does.
    static func notAnObject(_ s: inout JSONScanner, line: Int) -> RecordError? {
        guard let c = s.peek() else { return RecordError(line: line, reason: "empty line: expected a JSON object") }
        return c == 0x7B ? nil : RecordError(line: line, reason: "expected a JSON object, found \(s.kindName(c))")
    }

    static func list(_ classes: [String]) -> String {
        classes.count <= 20 ? classes.joined(separator: ", ") : classes.prefix(20).joined(separator: ", ") + ", … (\(classes.count) in all)"
    }

    static func readTimestamp(_ s: inout JSONScanner) throws(JSONSyntaxError) -> Int64 {
        guard let c = s.peek() else { throw JSONSyntaxError(offset: s.offset, reason: "unexpected end of input, expected a timestamp") }
        if c == 0x22 {
            let start = s.offset
            let str = try s.scanString()
            guard !str.hasEscapes, let ms = Timestamp.parseMillis(s.slice(str.start..<str.end)), ms >= 0 else {
                throw JSONSyntaxError(offset: start, reason: "'ts' is not an RFC 3339 timestamp at or after 1970 (e.g. 2026-10-01T12:00:00Z or 2026-10-01T14:00:00.5+02:00)")
            }
            return ms
        }
        let seconds = try s.readNumber(field: "ts")
        guard seconds >= 0, seconds < 32_503_680_000 else {
            throw JSONSyntaxError(offset: s.offset, reason: "'ts' as a number must be Unix seconds between 1970 and 3000")
        }
        return Int64((seconds * 1000).rounded(.down))
    }

    static func describe(_ e: JSONSyntaxError, bytes: UnsafeBufferPointer<UInt8>) -> String {
        e.reason.contains("byte") ? e.reason : "\(e.reason) (at byte \(e.offset + 1))"
    }

    /// Scans a `scores` map of plain keys (no escapes, ASCII) that are all classes of `schema`
    /// and numbers from 0 to 1, returning its range; `nil`, with the scanner where it was, for
    /// anything else (then ``validateScores(_:_:schema:line:id:)`` says what is wrong).
    @inline(__always)
    static func scanPlainScores(_ s: inout JSONScanner, schema: ModelSchema) -> Range<Int>? {
        let start = s.offset
        let bytes = s.bytes
        let count = bytes.count
        guard start < count, bytes[start] == 0x7B else { return nil }
        s.offset += 1
        var position = 0
        s.skipWhitespace()
        if s.offset < count, bytes[s.offset] == 0x7D {
            s.offset += 1
            return start..<s.offset
        }
        while true {
            s.skipWhitespace()
            guard s.offset < count, bytes[s.offset] == 0x22 else { break }
            let keyStart = s.offset + 1
            var i = keyStart
            // Plain printable ASCII other than '"' and '\\'; anything else goes the slow way.
            while i < count, bytes[i] != 0x22, bytes[i] != 0x5C, bytes[i] &- 0x20 < 0x60 { i += 1 }
            guard i < count, bytes[i] == 0x22 else { break }
            guard schema.index(ofBytes: UnsafeBufferPointer(rebasing: bytes[keyStart..<i]), hint: position) != nil else { break }
            s.offset = i + 1
            s.skipWhitespace()
            guard s.offset < count, bytes[s.offset] == 0x3A else { break }
            s.offset += 1
            s.skipWhitespace()
            guard s.offset < count, bytes[s.offset] == 0x2D || (bytes[s.offset] >= 0x30 && bytes[s.offset] <= 0x39) else { break }
            guard let v = try? s.scanNumber(), v >= 0 && v <= 1 else { break }
            position += 1
            s.skipWhitespace()
            guard s.offset < count else { break }
            let c = bytes[s.offset]
            s.offset += 1
            if c == 0x2C { continue }
            if c == 0x7D { return start..<s.offset }
            break
        }
        s.offset = start
        return nil
    }

    static func validateScores(_ base: JSONScanner, _ r: Range<Int>, schema: ModelSchema, line: Int, id: String) throws(RecordError) {
        var s = base
        s.offset = r.lowerBound
        var problem: RecordError?
        do throws(JSONSyntaxError) {
            guard s.peek() == 0x7B else { throw JSONSyntaxError(offset: s.offset, reason: "'scores' must be an object of class → score") }
            var position = 0
            try s.scanObject { (s: inout JSONScanner, key) throws(JSONSyntaxError) in
                defer { position += 1 }
                guard let c = s.peek(), c == 0x2D || (c >= 0x30 && c <= 0x39) else {
                    throw JSONSyntaxError(offset: s.offset, reason: "'scores.\((try? s.decode(key)) ?? "?")' must be a number")
                }
                let v = try s.scanNumber()
                let known = key.hasEscapes ? (try? s.decode(key)).flatMap { schema.index(of: $0) }
                    : schema.index(ofBytes: s.slice(key.start..<key.end), hint: position)
                if problem == nil, known == nil {
                    let name = (try? s.decode(key)) ?? "?"
                    problem = RecordError(line: line, field: "scores.\(name)", reason: "'\(name)' is not a class of model '\(schema.name)'", id: id)
                }
                if problem == nil, !(v >= 0 && v <= 1) {
                    let name = (try? s.decode(key)) ?? "?"
                    problem = RecordError(line: line, field: "scores.\(name)", reason: "score must be between 0 and 1, got \(v)", id: id)
                }
            }
        } catch {
            throw RecordError(line: line, field: "scores", reason: error.reason, id: id)
        }
        if let problem { throw problem }
    }

    /// Reads a `boxes` array: `[{label, score?, bbox:[x,y,w,h], area?, iscrowd?, …}]`. With a
    /// `schema` each label must be one of its classes and becomes the box's index (`labels` is
    /// then empty); without one, boxes get index −1 and `labels` lists their labels in order.
    public static func parseBoxes(_ base: JSONScanner, _ r: Range<Int>, schema: ModelSchema?, line: Int, id: String,
                                  requireScore: Bool) throws(RecordError) -> (boxes: [DetectionBox], labels: [String]) {
        var s = base
        s.offset = r.lowerBound
        var boxes: [DetectionBox] = []
        var labels: [String] = []
        var lastIndex = -1  // boxes of one image are often of one class
        var problem: RecordError?
        // Where the scanner is, as (box index, member); the field name is only spelled out on error.
        var at: (box: Int, member: String?)? = nil
        func fieldName() -> String { at.map { "boxes[\($0.box)]" + ($0.member.map { ".\($0)" } ?? "") } ?? "boxes" }
        do throws(JSONSyntaxError) {
            guard s.peek() == 0x5B else { throw JSONSyntaxError(offset: s.offset, reason: "'boxes' must be an array of {label, score, bbox}") }
            try s.scanArray { (s: inout JSONScanner, i) throws(JSONSyntaxError) in
                at = (i, nil)
                guard s.peek() == 0x7B else { throw JSONSyntaxError(offset: s.offset, reason: "each box must be an object {label, score, bbox}") }
                var label: String?
                // With a schema the label is looked up by its bytes; its String is made only for an error.
                var labelToken: JSONScanner.JSONString?
                var score: Double?
                var bbox: [Double] = []
                var area: Double?
                var isCrowd = false
                try s.scanObject { (s: inout JSONScanner, key) throws(JSONSyntaxError) in
                    if s.equals(key, "label") {
                        at = (i, "label")
                        if schema != nil, s.peek() == 0x22 {
                            labelToken = try s.scanString()
                        } else {
                            label = try s.readString(field: "label")
                        }
                    } else if s.equals(key, "score") {
                        at = (i, "score"); score = try s.readNumber(field: "score")
                    } else if s.equals(key, "bbox") {
                        at = (i, "bbox")
                        guard s.peek() == 0x5B else { throw JSONSyntaxError(offset: s.offset, reason: "'bbox' must be [x, y, width, height]") }
                        try s.scanArray { (s: inout JSONScanner, _) throws(JSONSyntaxError) in bbox.append(try s.readNumber(field: "bbox")) }
                    } else if s.equals(key, "area") {
                        at = (i, "area"); area = try s.readNumber(field: "area")
                    } else if s.equals(key, "iscrowd") {
                        at = (i, "iscrowd")
                        switch s.peek() {
                        case 0x74, 0x66: isCrowd = try s.readBool(field: "iscrowd")  // true / false
                        default:
                            let v = try s.readNumber(field: "iscrowd")
                            guard v == 0 || v == 1 else { throw JSONSyntaxError(offset: s.offset, reason: "'iscrowd' must be 0 or 1, got \(v)") }
                            isCrowd = v == 1
                        }
                    } else {
                        try s.skipValue()  // attributes…: kept in the raw JSON
                    }
                }
                at = (i, nil)
                func note(_ f: String, _ reason: String) {
                    if problem == nil { problem = RecordError(line: line, field: f, reason: reason, id: id) }
                }
                var index = -1
                if let schema, let token = labelToken {
                    if !token.hasEscapes, let k = schema.index(ofBytes: s.slice(token.start..<token.end), hint: lastIndex) {
                        index = k
                        lastIndex = k
                    } else {
                        label = try s.decode(token)
                    }
                }
                guard index >= 0 || label != nil else { note("boxes[\(i)].label", "missing 'label'"); return }
                if bbox.count != 4 { note("boxes[\(i)].bbox", "'bbox' must have 4 numbers [x, y, width, height], got \(bbox.count)"); return }
                if bbox[2] < 0 || bbox[3] < 0 { note("boxes[\(i)].bbox", "box width and height must not be negative") }
                if requireScore, score == nil { note("boxes[\(i)].score", "missing 'score'") }
                if let score, !(score >= 0 && score <= 1) { note("boxes[\(i)].score", "score must be between 0 and 1, got \(score)") }
                if let schema, index < 0, let label {
                    guard let k = schema.index(of: label) else {
                        note("boxes[\(i)].label", "'\(label)' is not a class of model '\(schema.name)'")
                        return
                    }
                    index = k
                }
                if schema == nil, let label { labels.append(label) }
                boxes.append(DetectionBox(labelIndex: index, score: score, bbox: (bbox[0], bbox[1], bbox[2], bbox[3]), area: area, isCrowd: isCrowd))
            }
        } catch {
            throw RecordError(line: line, field: fieldName(), reason: error.reason, id: id)
        }
        if let problem { throw problem }
        return (boxes, labels)
    }
}
