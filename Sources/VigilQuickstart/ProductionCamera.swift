import Foundation
import VigilCore
import VigilDetector

/// The quickstart's production traffic: a camera that sees synthetic scenes of the `source`
/// domain until the change day and of the `shifted` domain ("a new camera") after it, and the
/// serving model's predictions on them as the NDJSON lines production would log.
///
/// Every image is `input.scene` (domain, seed, index), so the simulated reviewer and the
/// embedded trainer can draw the same pixels again; nothing else about the scene is logged.
struct ProductionCamera {
    let settings: QuickstartSettings
    let model: String
    /// Images produced so far (the next scene index).
    private(set) var count = 0

    init(settings: QuickstartSettings, model: String) {
        self.settings = settings
        self.model = model
    }

    /// Scenes of production come from their own seed, apart from the training scenes.
    var seed: UInt64 { settings.seed &+ 1000 }

    func domain(day: Int) -> String { day >= settings.changeDay ? "shifted" : "source" }

    /// One hour of traffic starting at `hourStart` (ms): the prediction lines of `detector`
    /// (`version` its registry version) on `settings.imagesPerHour` new scenes.
    mutating func hour(day: Int, hourStart: Int64, detector: Detector, version: Int) throws -> String {
        let n = settings.imagesPerHour
        let inputs = (0..<n).map { ImageInput.scene(domain: domain(day: day), seed: seed, index: count + $0, size: 64) }
        let generator = SceneGenerator(domain: try Domain.parse(domain(day: day)))
        let scenes = generator.scenes(seed: seed, indices: Array(count..<(count + n)))
        let names = (0..<n).map { String(format: "cam-%06d", count + $0) }
        let set = try SceneSet(classes: detector.config.classes, images: scenes.map(\.image), boxes: scenes.map { _ in [] },
                               fileNames: names, description: "production hour", fingerprint: false)
        let predictions = try detector.predict(set, minScore: 0.05)
        var out = ""
        let step = 3_600_000 / Int64(max(1, n))
        for i in 0..<n {
            out += "{\"id\":" + JSONText.quote(names[i]) + ",\"ts\":" + JSONText.quote(Timestamp.format(millis: hourStart + Int64(i) * step))
                + ",\"model\":" + JSONText.quote(model) + ",\"model_version\":\"\(version)\",\"boxes\":"
                + PredictionLines.boxes(predictions[i], classes: detector.config.classes) + ",\"input\":" + inputs[i].json + "}\n"
        }
        count += n
        return out
    }
}
