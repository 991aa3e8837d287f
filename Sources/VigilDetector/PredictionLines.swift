import Foundation
import VigilCore

/// Detections as the prediction NDJSON that `vigil ingest predictions` reads: one line per
/// image, `id` the image's `file_name` (as `vigil ingest labels --coco` names the same image,
/// so predictions and reviewed labels meet), `boxes` with `label`, `score` and COCO `bbox`.
///
/// ```
/// {"id":"holdout-000000.png","ts":"2026-10-01T00:00:00Z","model":"embedded-detector","boxes":[{"label":"circle","score":0.97,"bbox":[12.5,8,14,13.5]}],"image":{"coco_id":1,"file_name":"holdout-000000.png","width":64,"height":64}}
/// ```
public enum PredictionLines {
    /// The NDJSON text (one line per image of `set`, `\n`-terminated).
    public static func ndjson(_ predictions: [[LabeledBox]], for set: SceneSet, model: String, timestamp: String, weightsSHA256: String?) -> String {
        var out = ""
        let ts = JSONText.quote(timestamp), m = JSONText.quote(model)
        let version = weightsSHA256.map { ",\"model_sha256\":" + JSONText.quote($0) } ?? ""
        for i in 0..<set.count {
            out += "{\"id\":" + JSONText.quote(set.fileNames[i]) + ",\"ts\":" + ts + ",\"model\":" + m
                + ",\"boxes\":" + boxes(predictions[i], classes: set.classes) + ",\"image\":{\"coco_id\":\(set.imageIDs[i]),\"file_name\":"
                + JSONText.quote(set.fileNames[i]) + ",\"width\":\(set.size),\"height\":\(set.size)\(version)}}\n"
        }
        return out
    }

    /// One image's detections as a JSON array: `[{"label","score","bbox":[x,y,w,h]}, …]`,
    /// scores to 5 decimals and coordinates to 2.
    public static func boxes(_ boxes: [LabeledBox], classes: [String]) -> String {
        "[" + boxes.map { b in
            "{\"label\":" + JSONText.quote(classes[b.classIndex]) + ",\"score\":" + number(b.score, 5)
                + ",\"bbox\":[" + [b.x, b.y, b.w, b.h].map { number($0, 2) }.joined(separator: ",") + "]}"
        }.joined(separator: ",") + "]"
    }

    /// `v` rounded to `digits` decimals, without a trailing `.0`.
    static func number(_ v: Double, _ digits: Int) -> String {
        let p = pow(10, Double(digits))
        let r = (v * p).rounded() / p
        return r == r.rounded() ? String(Int64(r)) : String(r)
    }
}
