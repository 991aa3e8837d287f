import Foundation
import VigilAlerts
import VigilCore
import VigilDetector
import VigilJobs
import VigilRegistry
import VigilStore
import VigilWorkspace

/// `vigil quickstart`: the whole loop on one machine, on simulated time, with the embedded
/// detector and a SQLite store.
///
/// 1. Train v1 on source-domain scenes and register it as the champion.
/// 2. Simulate `days` days of production, hour by hour: the champion predicts on the camera's
///    images and production logs them (`vigil ingest`); the scheduler ticks every hour —
///    sampling at midnight within the daily budget, evaluation at 01:00, retrain-check on
///    Mondays at 02:00 — and the alert pass delivers to a local webhook receiver; the
///    *simulated reviewer* answers the queue.
/// 3. On the change day the camera changes; the evaluations catch the drop, the alerts go out,
///    the Monday retrain job fine-tunes v2 on reviewed images, the gate compares v2 with v1 on
///    the holdout and promotes it, and the next evaluations recover.
///
/// ```swift
/// let result = try DetectorQuickstart(directory: "vigil-quickstart", settings: .fast).run(progress: QuickstartProgress.lines { print($0) })
/// ```
public struct DetectorQuickstart {
    public var directory: String
    public var settings: QuickstartSettings

    public init(directory: String, settings: QuickstartSettings = .full) {
        self.directory = directory
        self.settings = settings
    }

    /// What the run left behind.
    public struct Result: Sendable {
        public var workspace: String
        public var timeline: QuickstartTimeline
        /// Requests the local receiver got, in order.
        public var received: [LoopbackWebhookReceiver.Request]
        public var files: [(what: String, path: String)]
        public var seconds: Double
        /// Wall seconds per part of the run, largest first.
        public var phases: [(name: String, seconds: Double)]
    }

    public func run(progress: QuickstartProgress) throws -> Result {
        let started = Date()
        let fm = FileManager.default
        if fm.fileExists(atPath: directory + "/vigil.yaml") {
            throw JobError("\(directory) already holds a workspace: remove it or pick another folder with --dir")
        }
        let model = QuickstartFiles.model
        let receiver = try LoopbackWebhookReceiver()
        defer { receiver.stop() }
        let clock = FixedClock(Timestamp.date(millis: settings.start))

        // 1. The workspace.
        try fm.createDirectory(atPath: directory + "/policies", withIntermediateDirectories: true)
        try QuickstartFiles.config(receiverURL: receiver.url).write(toFile: directory + "/vigil.yaml", atomically: true, encoding: .utf8)
        try QuickstartFiles.policy(settings).write(toFile: directory + "/policies/\(model).yaml", atomically: true, encoding: .utf8)
        let ws = try Workspace.locate(from: directory)
        let (store, _, policies) = try ws.openStoreWithModels(clock: clock)
        let policy = try ws.policy(for: model)
        progress.step("workspace \(ws.root): vigil.yaml, policies/\(model).yaml, store .vigil/vigil.db; local webhook receiver on \(receiver.url)")

        // 2. v1.
        let v1 = try trainChampion(ws: ws, store: store, clock: clock, policy: policy, progress: progress)

        // 3. The days.
        let setup = try ws.alertSetup(store: store)
        let registry = try ws.modelRegistry(store: store)
        let scheduler = Scheduler(store: store, clock: clock, registry: .standard(alerts: setup, workspaceRoot: ws.root, registry: { _ in registry }),
                                  owner: "quickstart")
        let alerts = AlertsJob(store: store, setup: setup, policies: policies, clock: clock, actor: "quickstart")
        var camera = ProductionCamera(settings: settings, model: model)
        var reviewer = SimulatedReviewer(store: store, model: model, classes: policy.classes, errorRate: settings.reviewerErrorRate, seed: settings.seed)
        let (_, catalog, _) = try ws.openStoreWithModels(clock: clock)
        let ingest = IngestJob(store: store, catalog: catalog, clock: clock, rejectsDirectory: ws.rejectsDirectory, actor: "production")
        let traffic = ws.path("traffic")
        try fm.createDirectory(atPath: traffic, withIntermediateDirectories: true)
        var champion = (version: v1.version, detector: v1.detector)
        var printed = 0
        var counters = QuickstartProgress.Counters()
        let phases = PhaseTimes()
        progress.step("simulating \(settings.days) days of traffic, \(settings.imagesPerHour) images an hour; the camera changes on day \(settings.changeDay) (\(Timestamp.format(millis: settings.dayStart(settings.changeDay)).prefix(10)))")
        for day in 0..<settings.days {
            let dayFile = traffic + String(format: "/day-%02d.ndjson", day)
            for hour in 0..<24 {
                let hourStart = settings.dayStart(day) + Int64(hour) * 3_600_000
                clock.set(Timestamp.date(millis: hourStart))
                // The scheduled jobs of this hour, then the alert pass, then the reviewer.
                for outcome in try phases.time("scheduled jobs", { try scheduler.tick(policies: policies) }) {
                    counters.note(outcome)
                    if outcome.slot.job != "sample" { progress.event(day: day, time: hourStart, "\(outcome.slot.job): \(outcome.output)") }
                }
                let delivery = try phases.time("alert pass") { () throws -> Deliverer.Summary in
                    _ = try alerts.reconcile()
                    return try alerts.deliver()
                }
                counters.delivered += delivery.delivered
                let requests = receiver.requests()
                for r in requests.dropFirst(printed) { progress.received(r) }
                printed = requests.count
                counters.reviewed += try phases.time("simulated reviewer") { try reviewer.drain(now: hourStart) }
                if let current = try registry.alias("champion", model: model), current != champion.version,
                   let version = try registry.version(model: model, version: current) {
                    champion = (current, try Detector.load(from: URL(fileURLWithPath: version.artifactPath)))
                    progress.event(day: day, time: hourStart, "production now serves v\(current)")
                }
                // This hour's images: predicted by the champion, logged, ingested.
                clock.set(Timestamp.date(millis: hourStart + 3_600_000))
                let lines = try phases.time("camera and champion's predictions") {
                    try camera.hour(day: day, hourStart: hourStart, detector: champion.detector, version: champion.version)
                }
                try append(lines, to: dayFile)
                let hourFile = traffic + "/current-hour.ndjson"
                try lines.write(toFile: hourFile, atomically: false, encoding: .utf8)  // scratch: no fsync
                let summary = try phases.time("ingest") { try ingest.run(IngestRequest(kind: .predictions, path: hourFile)) }
                guard summary.rejected == 0 else { throw JobError("the simulated production logged \(summary.rejected) lines ingest rejected; see \(ws.rejectsDirectory)") }
                counters.predictions += summary.inserted
                counters.champion = champion.version
                progress.hour(day: day, hour: hour, domain: camera.domain(day: day), counters: counters)
            }
            progress.endOfDay(day: day, domain: camera.domain(day: day), counters: counters)
        }
        try? fm.removeItem(atPath: traffic + "/current-hour.ndjson")
        clock.set(Timestamp.date(millis: settings.dayStart(settings.days)))
        // The last day's evaluation, so the timeline ends with the recovered model.
        for outcome in try scheduler.tick(policies: policies) { counters.note(outcome) }

        // 4. What happened.
        let timeline = try QuickstartTimeline.load(store: store, registry: registry, model: model, settings: settings,
                                                   warningMap50: policy.thresholds.first { $0.metric == "map50" }?.warning)
        let report = ws.path("report.html")
        _ = try HTMLReportJob(store: store, clock: clock).write(models: [model], seconds: Int64(settings.days + 1) * 86_400, to: report)
        let payloads = ws.path("alerts-received.ndjson")
        try receiver.requests().map { r in
            JSONText.object(["path": r.path, "webhook-id": r.headers["webhook-id"] ?? "", "body": r.body])
        }.joined(separator: "\n").appending("\n").write(toFile: payloads, atomically: true, encoding: .utf8)
        let files: [(String, String)] = [
            ("workspace settings (receivers)", ws.path("vigil.yaml")),
            ("the detector's policy", ws.path("policies/\(model).yaml")),
            ("the store (SQLite)", ws.path(".vigil/vigil.db")),
            ("v1 weights and config", ws.path("models/v1.safetensors")),
            ("v1's training set (COCO)", ws.path("data/v1-train.coco.json")),
            ("registry artifacts (content-addressed)", ws.path(".vigil/artifacts")),
            ("retraining job folders (export, log, v2)", ws.path(".vigil/jobs")),
            ("production traffic, one file a day", traffic),
            ("alert payloads the receiver got", payloads),
            ("the HTML report", report),
        ]
        phases.add("training v1", v1.seconds)
        return Result(workspace: ws.root, timeline: timeline, received: receiver.requests(), files: files, seconds: Date().timeIntervalSince(started),
                      phases: phases.list())
    }

    /// Trains v1 on source scenes, saves it with its training set, registers it as the champion.
    func trainChampion(ws: Workspace, store: any Store, clock: FixedClock, policy: Policy,
                       progress: QuickstartProgress) throws -> (version: Int, detector: Detector, seconds: Double) {
        let started = Date()
        let seed = settings.seed
        progress.step("training v1 on \(settings.trainingScenes) source-domain scenes, \(settings.epochs) epochs")
        let train = SceneSet.synthesize(SceneGenerator(domain: .source), seed: seed, count: settings.trainingScenes, prefix: "train")
        let detector = Detector(config: ModelConfig(classes: train.classes), seed: seed)
        let record = try VigilDetector.Trainer(settings: .init(epochs: settings.epochs, seed: seed, workers: 2)).train(detector.network, on: train) {
            progress.training($0.line)
        }
        detector.config.training = record
        let weights = ws.path("models/v1.safetensors")
        try detector.save(to: URL(fileURLWithPath: weights))
        let trainingSet = ws.path("data/v1-train.coco.json")
        try FileManager.default.createDirectory(atPath: ws.path("data"), withIntermediateDirectories: true)
        try Self.trainingSetJSON(train, seed: seed).write(toFile: trainingSet, atomically: true, encoding: .utf8)
        let (version, _) = try RegistryCommands.register(ws: ws, store: store, clock: clock, policy: policy, artifact: weights,
                                                         trainingData: trainingSet, champion: true, actor: "quickstart")
        progress.step(String(format: "v1 trained in %.0f s (final loss %.3f), registered as version %d and promoted to champion", record.seconds, record.finalLoss, version.version))
        return (version.version, detector, Date().timeIntervalSince(started))
    }

    /// A synthesized set as COCO with each image's `input.scene`, so retraining can replay it.
    static func trainingSetJSON(_ set: SceneSet, seed: UInt64) -> String {
        var images: [String] = [], annotations: [String] = []
        for i in 0..<set.count {
            let input = ImageInput.scene(domain: "source", seed: seed, index: i, size: set.size)
            images.append("{\"id\":\(set.imageIDs[i]),\"file_name\":" + JSONText.quote(set.fileNames[i]) + ",\"width\":\(set.size),\"height\":\(set.size),\"input\":" + input.json + "}")
            for b in set.boxes[i] {
                annotations.append("{\"id\":\(annotations.count + 1),\"image_id\":\(set.imageIDs[i]),\"category_id\":\(b.classIndex + 1),\"bbox\":[\(b.x),\(b.y),\(b.w),\(b.h)],\"area\":\(b.area),\"iscrowd\":0}")
            }
        }
        let categories = set.classes.enumerated().map { "{\"id\":\($0.offset + 1),\"name\":" + JSONText.quote($0.element) + "}" }
        return "{\"images\":[" + images.joined(separator: ",") + "],\"annotations\":[" + annotations.joined(separator: ",")
            + "],\"categories\":[" + categories.joined(separator: ",") + "]}\n"
    }

    func append(_ text: String, to path: String) throws {
        let fm = FileManager.default
        if !fm.fileExists(atPath: path) { _ = fm.createFile(atPath: path, contents: nil) }
        guard let handle = FileHandle(forWritingAtPath: path) else { throw JobError("cannot write \(path)") }
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(text.utf8))
    }
}

/// Wall time per named part of a run.
final class PhaseTimes: @unchecked Sendable {
    private var seconds: [String: Double] = [:]

    func time<T>(_ name: String, _ body: () throws -> T) rethrows -> T {
        let start = Date()
        defer { seconds[name, default: 0] += Date().timeIntervalSince(start) }
        return try body()
    }

    func add(_ name: String, _ s: Double) { seconds[name, default: 0] += s }

    func list() -> [(name: String, seconds: Double)] { seconds.sorted { $0.value > $1.value }.map { ($0.key, $0.value) } }
}
