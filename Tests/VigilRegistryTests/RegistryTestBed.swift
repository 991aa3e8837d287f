import Foundation
import VigilCore
import VigilJobs
import VigilStore
import VigilWorkspace

/// A workspace with one model whose production predictions are all reviewed, a test trainer
/// script, and a webhook receiver that notices are queued for (never sent).
///
/// Each input carries its true answer (`input.truth`, `input.truth_boxes`), so the test trainer
/// can be better or worse than production on purpose; Vigil never reads those members.
struct RegistryTestBed {
    let root: String
    let model: String
    let task: ModelTask
    static let start = Timestamp.parseMillis("2026-10-01T00:00:00Z")!
    static let now = "2026-10-20T00:00:00Z"
    let clock = FixedClock(Timestamp.date(millis: Timestamp.parseMillis(RegistryTestBed.now)!))

    /// `items` predictions an hour apart; production is right on 7 of 10.
    init(task: ModelTask = .classification, items: Int = 240, mode: String = "better", promote: String = "auto",
         extraRetraining: String = "", schedule: Bool = false, mlflowURL: String? = nil) throws {
        self.task = task
        model = task == .classification ? "shelf" : "shelf-detector"
        root = NSTemporaryDirectory() + "vigil-registry-\(UUID().uuidString)"
        let fm = FileManager.default
        try fm.createDirectory(atPath: root + "/policies", withIntermediateDirectories: true)
        try ("""
            store: sqlite:.vigil/vigil.db
            policies: policies
            receivers:
              - name: hook
                kind: webhook
                url: http://127.0.0.1:9/never-sent

            """ + (mlflowURL.map { "registry:\n  backend: mlflow\n  url: \($0)\n" } ?? "")).write(toFile: root + "/vigil.yaml", atomically: true, encoding: .utf8)
        try Self.trainerScript.write(toFile: root + "/trainer.py", atomically: true, encoding: .utf8)
        try policyYAML(mode: mode, promote: promote, extraRetraining: extraRetraining, schedule: schedule)
            .write(toFile: root + "/policies/\(model).yaml", atomically: true, encoding: .utf8)
        var predictions = "", labels = ""
        let classes = ["a", "b", "c"]
        for i in 0..<items {
            let ts = Timestamp.format(millis: Self.start + Int64(i) * 3_600_000)
            let k = i % 3
            let right = (i / 3) % 10 < 7
            if task == .classification {
                let predicted = classes[right ? k : (k + 1) % 3]
                predictions += "{\"id\":\"p\(i)\",\"ts\":\"\(ts)\",\"model\":\"\(model)\",\"model_version\":\"1\",\"label\":\"\(predicted)\",\"score\":0.8,\"input\":{\"uri\":\"img\(i).png\",\"truth\":\"\(classes[k])\"}}\n"
                labels += "{\"prediction_id\":\"p\(i)\",\"label\":\"\(classes[k])\"}\n"
            } else {
                let x = Double(10 + (i % 7) * 20)
                let truth = "[{\"label\":\"\(classes[k])\",\"bbox\":[\(x),20,60,60]}]"
                let predicted = right ? "[{\"label\":\"\(classes[k])\",\"score\":0.9,\"bbox\":[\(x),20,60,60]}]"
                    : "[{\"label\":\"\(classes[k])\",\"score\":0.9,\"bbox\":[400,400,30,30]}]"
                predictions += "{\"id\":\"p\(i)\",\"ts\":\"\(ts)\",\"model\":\"\(model)\",\"model_version\":\"1\",\"boxes\":\(predicted),\"input\":{\"uri\":\"img\(i).png\",\"truth_boxes\":\(truth)}}\n"
                labels += "{\"prediction_id\":\"p\(i)\",\"boxes\":\(truth)}\n"
            }
        }
        try predictions.write(toFile: root + "/predictions.ndjson", atomically: true, encoding: .utf8)
        try labels.write(toFile: root + "/labels.ndjson", atomically: true, encoding: .utf8)
        try (task == .classification ? "{\"id\":\"orig-1\",\"input\":{\"uri\":\"o1.png\"},\"label\":\"a\"}\n"
             : "{\"images\":[{\"id\":1,\"file_name\":\"o1.png\"}],\"annotations\":[{\"id\":1,\"image_id\":1,\"category_id\":1,\"bbox\":[1,1,5,5],\"area\":25,\"iscrowd\":0}],\"categories\":[]}")
            .write(toFile: root + "/original-train", atomically: true, encoding: .utf8)
        try "production model v1".write(toFile: root + "/v1.bin", atomically: true, encoding: .utf8)
        let (store, catalog, _) = try workspace.openStoreWithModels(clock: clock)
        for (kind, file) in [(IngestRequest.Kind.predictions, "predictions.ndjson"), (.labels, "labels.ndjson")] {
            _ = try IngestJob(store: store, catalog: catalog, clock: clock, rejectsDirectory: root + "/rejects").run(IngestRequest(kind: kind, path: root + "/" + file))
        }
        let labelled = try store.labelCount(model: model, since: 0)
        guard labelled == items else { throw StoreError("test bed: \(labelled) of \(items) labels ingested; see \(root)/labels.ndjson.rejects.ndjson") }
    }

    func policyYAML(mode: String, promote: String, extraRetraining: String, schedule: Bool) -> String {
        """
        model: \(model)
        task: \(task.rawValue)
        classes: [a, b, c]
        retraining:
          trainer: command
          command: "python3 \(root)/trainer.py {train} {holdout} {out} {model} \(mode) \(task.rawValue)"
          timeout: 2m
          holdout_fraction: 0.3
          trigger: {severity: warning, min_new_labels: 10, cooldown: 1d}
        \(extraRetraining)
        gate:
          min_holdout_per_class: 15
          bootstrap_resamples: 400
          promote: \(promote)
        alerts:
          routes:
            - receivers: [hook]
              severity: [warning, critical]
        \(schedule ? "schedule:\n  - {job: retrain-check, cron: \"* * * * *\"}\n" : "")
        """
    }

    var workspace: Workspace { get throws { try Workspace.locate(from: root) } }

    func open() throws -> (ws: Workspace, store: any Store, policy: Policy) {
        let ws = try workspace
        let (store, catalog, _) = try ws.openStoreWithModels(clock: clock)
        let policy = try ws.policy(for: model)
        return (ws, store, policy.withClasses(catalog.models[model]?.classes ?? policy.classes))
    }

    /// Registers `v1.bin` (trained on `original-train`) as the first champion.
    func registerChampion() throws {
        let (ws, store, policy) = try open()
        _ = try RegistryCommands.register(ws: ws, store: store, clock: clock, policy: policy, artifact: root + "/v1.bin",
                                          trainingData: root + "/original-train", champion: true, actor: "tester")
    }

    /// Topics of the notices queued so far.
    func noticeTopics() throws -> [String] {
        try open().store.events(model: model, limit: 1000).filter { $0.kind == "alert.notification.queued" }.compactMap {
            (try? JSONSerialization.jsonObject(with: Data($0.details.utf8)) as? [String: String])?["topic"]
        }
    }

    /// The test trainer: `trainer.py TRAIN HOLDOUT OUT MODEL MODE TASK`. `better` answers the
    /// truth on 95% of the holdout, `worse` on 40%; `slow-once` sleeps 600 s unless OUT/../../
    /// has a `slept` marker (so a retried attempt finishes), then behaves like `better`.
    static let trainerScript = #"""
    import json, os, sys, time, zlib
    train, holdout, out, model, mode, task = sys.argv[1:7]
    os.makedirs(out, exist_ok=True)
    marker = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(out))), "slept")
    if mode == "slow-once":
        if not os.path.exists(marker):
            open(marker, "w").write(str(os.getpid()))
            time.sleep(600)
        mode = "better"
    classes = ["a", "b", "c"]
    lines = open(train).read()
    with open(os.path.join(out, "artifact"), "w") as f:
        f.write("%s model from %d bytes of training data, parent %r\n" % (mode, len(lines), model))
    rate = {"better": 95, "worse": 40}[mode]
    with open(os.path.join(out, "predictions.ndjson"), "w") as f:
        for line in open(holdout):
            item = json.loads(line)
            right = zlib.crc32(item["id"].encode()) % 100 < rate
            if task == "classification":
                truth = item["input"]["truth"]
                label = truth if right else classes[(classes.index(truth) + 1) % 3]
                f.write(json.dumps({"id": item["id"], "label": label, "score": 0.9}) + "\n")
            else:
                boxes = [dict(b, score=0.9) if right else dict(b, score=0.9, bbox=[500, 500, 10, 10]) for b in item["input"]["truth_boxes"]]
                f.write(json.dumps({"id": item["id"], "boxes": boxes}) + "\n")
    print("self-reported accuracy: 1.0 (Vigil does not read this)")
    """#
}

/// Runs the built `vigil` executable next to the test bundle.
enum VigilCLI {
    static let binary: String = {
        var dir = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = dir.appendingPathComponent("vigil").path
            if FileManager.default.isExecutableFile(atPath: candidate) { return candidate }
            dir = dir.deletingLastPathComponent()
        }
        return FileManager.default.currentDirectoryPath + "/.build/debug/vigil"
    }()

    static func process(_ args: [String], now: String = RegistryTestBed.now) -> Process {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: binary)
        p.arguments = args
        p.environment = ProcessInfo.processInfo.environment.merging(["VIGIL_NOW": now, "USER": "tester"]) { _, new in new }
        return p
    }

    static func run(_ args: [String], now: String = RegistryTestBed.now) throws -> (status: Int32, output: String) {
        let p = process(args, now: now)
        let out = Pipe()
        p.standardOutput = out
        p.standardError = out
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let data = out.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return (p.terminationStatus, String(decoding: data, as: UTF8.self))
    }
}
