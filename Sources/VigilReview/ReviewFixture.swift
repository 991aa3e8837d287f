import Foundation
import VigilCore
import VigilImaging

/// A small review workload written into an initialized workspace, for the end-to-end test, the
/// benchmark and trying `vigil review` out (`vigil review fixture`): a classifier's predictions
/// with PNG inputs and a detector's (`shelf-detector`) with JPEG inputs and two predicted boxes
/// each, policies with a `sampling:` section that queues all of them, and `predictions.ndjson`
/// to ingest. Predictions are stamped 2026-10-30; sample with `VIGIL_NOW=2026-10-31T00:00:00Z`.
public enum ReviewFixture {
    public static let classes = ["bottle", "can", "box"]
    public static let detectorClasses = ["can", "bottle", "box"]
    public static let sampleTime = "2026-10-31T00:00:00Z"

    /// The predicted class of classification item `i` (`c-000`, `c-001`, …).
    public static func predicted(_ i: Int) -> String { classes[i % classes.count] }
    public static func classificationID(_ i: Int) -> String { String(format: "c-%03d", i) }
    public static func detectionID(_ i: Int) -> String { String(format: "d-%03d", i) }

    /// The two predicted boxes of every detection item, for an image of `width`×`height`.
    public static func detectorBoxes(width: Int, height: Int) -> [(label: String, score: Double, bbox: [Int])] {
        [("can", 0.91, [width / 16, height / 12, width / 6, height / 5]),
         ("bottle", 0.62, [width / 2, height / 2, width / 5, height / 3])]
    }

    /// Writes images, policies and `predictions.ndjson` under `root`; returns the predictions file's path.
    @discardableResult
    public static func write(root: String, classification: Int, detection: Int, width: Int = 160, height: Int = 120) throws -> String {
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/images", withIntermediateDirectories: true)
        let sampling = """
            sampling:
              daily_budget: \(max(1, classification + detection))
              window: 30d
              strategies:
                - {strategy: uniform, share: 1}
            review:
              lease: 10m

            """
        let classifierPolicy = root + "/policies/shelf-classifier.yaml"
        var policy = try String(contentsOfFile: classifierPolicy, encoding: .utf8)
        if !policy.contains("\nsampling:") { policy += "\n" + sampling }
        try policy.write(toFile: classifierPolicy, atomically: true, encoding: .utf8)
        try """
            # A detector for trying vigil review (written by vigil review fixture).
            model: shelf-detector
            task: detection
            classes: [\(detectorClasses.joined(separator: ", "))]
            evaluation:
              window: 30d
              min_reviewed_per_class: 1
            thresholds:
              - metric: map
                warning: 0.5

            """.appending(sampling).write(toFile: root + "/policies/shelf-detector.yaml", atomically: true, encoding: .utf8)

        var lines: [String] = []
        let start = Timestamp.parseMillis("2026-10-30T08:00:00Z")!
        for i in 0..<classification {
            let id = classificationID(i)
            try PNGCodec.write(scene(i, width: width, height: height), to: URL(fileURLWithPath: root + "/images/\(id).png"))
            let label = predicted(i)
            let scores = classes.map { "\"\($0)\":\($0 == label ? "0.8" : "0.1")" }.joined(separator: ",")
            lines.append("""
                {"id":"\(id)","ts":"\(Timestamp.format(millis: start + Int64(i) * 60_000))","model":"shelf-classifier","model_version":"1","label":"\(label)","score":0.8,"scores":{\(scores)},"input":{"uri":"images/\(id).png","attributes":{"camera":"c\(i % 2 + 1)"}}}
                """)
        }
        for i in 0..<detection {
            let id = detectionID(i)
            try JPEGCodec.encode(scene(i + 7, width: width, height: height), quality: 85).write(to: URL(fileURLWithPath: root + "/images/\(id).jpg"))
            let boxes = detectorBoxes(width: width, height: height).map {
                "{\"label\":\"\($0.label)\",\"score\":\($0.score),\"bbox\":[\($0.bbox.map(String.init).joined(separator: ","))]}"
            }
            lines.append("""
                {"id":"\(id)","ts":"\(Timestamp.format(millis: start + Int64(i) * 60_000))","model":"shelf-detector","boxes":[\(boxes.joined(separator: ","))],"image":{"width":\(width),"height":\(height)},"input":{"uri":"images/\(id).jpg"}}
                """)
        }
        let path = root + "/predictions.ndjson"
        try (lines.joined(separator: "\n") + "\n").write(toFile: path, atomically: true, encoding: .utf8)
        return path
    }

    /// A synthetic shelf: a gradient wall, a shelf board and one coloured product that differs per item.
    public static func scene(_ seed: Int, width: Int, height: Int) -> RGBImage {
        var image = RGBImage(width: width, height: height)
        let hue = [(220, 60, 50), (60, 160, 230), (240, 200, 40), (90, 200, 90), (200, 90, 210)][seed % 5]
        for y in 0..<height {
            for x in 0..<width {
                image[x, y] = (UInt8(40 + 80 * x / width), UInt8(50 + 60 * y / height), UInt8(90 + (seed * 13) % 60))
            }
        }
        let board = height * 3 / 4
        for y in board..<min(height, board + max(2, height / 24)) { for x in 0..<width { image[x, y] = (120, 80, 40) } }
        let w = width / 5 + (seed % 3) * width / 20, h = height / 3
        let x0 = width / 8 + (seed * width / 7) % (width / 2), y0 = board - h
        for y in y0..<board { for x in x0..<min(width, x0 + w) { image[x, y] = (UInt8(hue.0), UInt8(hue.1), UInt8(hue.2)) } }
        return image
    }
}
