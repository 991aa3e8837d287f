import Foundation
import VigilCore

/// Reads COCO files — a results list (`dt.json`) with its images (`gt.json`), or annotations
/// (`gt.json`) — and writes them as Vigil's NDJSON, so they go through the same ingest, checks
/// and rejects as any other input.
///
/// One prediction and one label per image. The prediction id is the image's `file_name` when
/// it has one, else `coco-<image id>`; predictions and labels of the same `gt.json` therefore
/// meet. Category ids become class names through `categories[].name`.
public enum COCOFiles {
    struct Image: Decodable {
        var id: Int
        var file_name: String?
        var width: Double?
        var height: Double?
    }
    struct Category: Decodable {
        var id: Int
        var name: String
    }
    struct Annotation: Decodable {
        var image_id: Int
        var category_id: Int
        var bbox: [Double]
        var area: Double?
        var iscrowd: Int?
    }
    struct Dataset: Decodable {
        var images: [Image]
        var categories: [Category]
        var annotations: [Annotation]?
    }
    struct Result: Decodable {
        var image_id: Int
        var category_id: Int
        var bbox: [Double]
        var score: Double
    }

    static func load<T: Decodable>(_ type: T.Type, _ path: String) throws -> T {
        guard let data = FileManager.default.contents(atPath: path) else { throw JobError("cannot read \(path)") }
        do {
            return try JSONDecoder().decode(T.self, from: data)
        } catch let DecodingError.keyNotFound(key, ctx) {
            throw JobError("\(path): \(describe(ctx.codingPath + [key])): required field is missing")
        } catch let DecodingError.typeMismatch(type, ctx) {
            let at = describe(ctx.codingPath)
            throw JobError("\(path): \(at.isEmpty ? "the top level" : at): expected \(type == [Result].self ? "a list of results" : type == Dataset.self ? "a dataset object with images, categories and annotations" : "\(type)") — is it the right COCO file?")
        } catch {
            throw JobError("\(path): not a COCO file (\(error))")
        }
    }

    static func describe(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    /// The prediction id of an image.
    static func predictionID(_ image: Image) -> String { image.file_name ?? "coco-\(image.id)" }

    static func number(_ v: Double) -> String { v == v.rounded() && abs(v) < 1e15 ? String(Int64(v)) : String(v) }

    static func box(_ label: String, _ bbox: [Double], score: Double?, area: Double?, crowd: Int?) -> String {
        var s = "{\"label\":" + CSVRecordTranslator.quote(label)
        if let score { s += ",\"score\":" + number(score) }
        s += ",\"bbox\":[" + bbox.map(number).joined(separator: ",") + "]"
        if let area { s += ",\"area\":" + number(area) }
        if let crowd, crowd != 0 { s += ",\"iscrowd\":\(crowd)" }
        return s + "}"
    }

    static func names(_ dataset: Dataset, _ path: String) throws -> [Int: String] {
        var out: [Int: String] = [:]
        for c in dataset.categories { out[c.id] = c.name }
        return out
    }

    /// Writes one NDJSON prediction per image of `imagesPath` to `output`, with the detections
    /// of `resultsPath`; every prediction gets time `timestampMillis` and model `model`.
    public static func writePredictions(results resultsPath: String, images imagesPath: String, model: String,
                                        timestampMillis: Int64, to output: String) throws -> Int {
        let dataset = try load(Dataset.self, imagesPath)
        let results = try load([Result].self, resultsPath)
        let names = try names(dataset, imagesPath)
        var byImage: [Int: [String]] = [:]
        for (n, r) in results.enumerated() {
            guard let name = names[r.category_id] else {
                throw JobError("\(resultsPath): [\(n)].category_id: \(r.category_id) is not a category of \(imagesPath)")
            }
            byImage[r.image_id, default: []].append(box(name, r.bbox, score: r.score, area: nil, crowd: nil))
        }
        let known = Set(dataset.images.map(\.id))
        if let stray = byImage.keys.first(where: { !known.contains($0) }) {
            throw JobError("\(resultsPath): image_id \(stray) is not an image of \(imagesPath)")
        }
        let writer = try BufferedWriter(path: output)
        let ts = CSVRecordTranslator.quote(Timestamp.format(millis: timestampMillis))
        for image in dataset.images.sorted(by: { $0.id < $1.id }) {
            var meta = ["\"coco_id\":\(image.id)"]
            if let f = image.file_name { meta.append("\"file_name\":" + CSVRecordTranslator.quote(f)) }
            if let w = image.width { meta.append("\"width\":" + number(w)) }
            if let h = image.height { meta.append("\"height\":" + number(h)) }
            try writer.write("{\"id\":" + CSVRecordTranslator.quote(predictionID(image)) + ",\"ts\":" + ts + ",\"model\":"
                + CSVRecordTranslator.quote(model) + ",\"boxes\":[" + (byImage[image.id] ?? []).joined(separator: ",") + "],\"image\":{"
                + meta.joined(separator: ",") + "}}\n")
        }
        try writer.close()
        return dataset.images.count
    }

    /// Writes one NDJSON label per image of `annotationsPath` (images without annotations get
    /// `boxes: []`: reviewed, nothing there) to `output`.
    public static func writeLabels(annotations annotationsPath: String, to output: String) throws -> Int {
        let dataset = try load(Dataset.self, annotationsPath)
        let names = try names(dataset, annotationsPath)
        var byImage: [Int: [String]] = [:]
        for (n, a) in (dataset.annotations ?? []).enumerated() {
            guard let name = names[a.category_id] else {
                throw JobError("\(annotationsPath): annotations[\(n)].category_id: \(a.category_id) is not in categories")
            }
            byImage[a.image_id, default: []].append(box(name, a.bbox, score: nil, area: a.area, crowd: a.iscrowd))
        }
        let writer = try BufferedWriter(path: output)
        for image in dataset.images.sorted(by: { $0.id < $1.id }) {
            try writer.write("{\"prediction_id\":" + CSVRecordTranslator.quote(predictionID(image)) + ",\"boxes\":["
                + (byImage[image.id] ?? []).joined(separator: ",") + "],\"source\":\"coco\"}\n")
        }
        try writer.close()
        return dataset.images.count
    }
}
