import Foundation
import VigilCore
import Yams

/// Reads and checks policy files; every error names the file and the field.
public enum PolicyLoader {
    /// Every `*.yaml` / `*.yml` in `directory`, sorted by name.
    public static func loadAll(directory: String) throws -> [Policy] {
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else {
            throw JobError("cannot read the policies folder \(directory): create it or run `vigil init`")
        }
        var seen: [String: String] = [:]
        var out: [Policy] = []
        for name in names.sorted() where name.hasSuffix(".yaml") || name.hasSuffix(".yml") {
            let path = (directory as NSString).appendingPathComponent(name)
            let policy = try load(path: path)
            if let other = seen[policy.model] {
                throw JobError("\(path): model '\(policy.model)' already has a policy in \(other); keep one file per model")
            }
            seen[policy.model] = path
            out.append(policy)
        }
        return out
    }

    /// One policy file.
    public static func load(path: String) throws -> Policy {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw JobError("cannot read \(path)")
        }
        let policy = try ConfigurationFile.decode(Policy.self, from: text, path: path)
        let problems = policy.problems()
        guard problems.isEmpty else {
            throw JobError("\(path): " + problems.joined(separator: "; "))
        }
        return policy
    }

    /// A decoding error as `field.path: what is wrong`.
    static func describe(_ error: any Error) -> String {
        func path(_ keys: [any CodingKey]) -> String {
            keys.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
                .replacingOccurrences(of: ".[", with: "[")
        }
        switch error {
        case DecodingError.keyNotFound(let key, let ctx):
            let at = path(ctx.codingPath + [key])
            return "\(at): required field is missing"
        case DecodingError.typeMismatch(let type, let ctx):
            return "\(path(ctx.codingPath)): expected \(type)"
        case DecodingError.valueNotFound(let type, let ctx):
            return "\(path(ctx.codingPath)): expected \(type), found nothing"
        case DecodingError.dataCorrupted(let ctx):
            let at = path(ctx.codingPath)
            return (at.isEmpty ? "" : "\(at): ") + ctx.debugDescription
        case let e as YamlError:
            return "not valid YAML: \(e)"
        default:
            return "\(error)"
        }
    }
}

/// The policies `vigil init` writes.
public enum ExamplePolicies {
    /// The example classifier of `vigil init` and the example data set: judged daily against
    /// its own baseline, on evidence (docs/policies.md, "A quiet, useful monitor").
    public static let classifier: Policy = {
        var evaluation = EvaluationSettings(window: "1d", minReviewedPerClass: 12, confidence: 0.95)
        evaluation.labelDelay = "1d"
        var p = Policy(
            model: "shelf-classifier", task: .classification,
            classes: ExampleData.classes,
            evaluation: evaluation,
            thresholds: [
                Threshold(metric: "accuracy", drop: .init(warning: 0.03, critical: 0.06)),
                Threshold(metric: "recall", classSelector: "*", drop: .init(warning: 0.10, critical: 0.20)),
            ])
        p.schedule = [ScheduleEntry(job: "evaluate", cron: "0 1 * * *")]
        return p
    }()

    /// The same classifier judged by absolute levels over a 7-day window, with no schedule
    /// (what `vigil init` wrote before baselines): for a model whose acceptable levels are known
    /// in advance. Its levels still fire only on evidence.
    public static let absoluteClassifier = Policy(
        model: "shelf-classifier", task: .classification,
        classes: ExampleData.classes,
        evaluation: EvaluationSettings(window: "7d", minReviewedPerClass: 12, confidence: 0.95),
        thresholds: [
            Threshold(metric: "recall", classSelector: "*", warning: 0.80, critical: 0.65),
            Threshold(metric: "precision", classSelector: "*", warning: 0.80, critical: 0.65),
            Threshold(metric: "macro_f1", warning: 0.85, critical: 0.75),
            Threshold(metric: "accuracy", warning: 0.85, critical: 0.75),
        ],
        drift: DriftSettings(reference: .previousWindow, psi: .init(warning: 0.1, critical: 0.25)))

    /// Effect-size levels as a YAML flow mapping, e.g. `{info: 0.1}`.
    static func levels(_ l: DriftSettings.Levels) -> String {
        "{" + [("info", l.info), ("warning", l.warning), ("critical", l.critical)].compactMap { k, v in v.map { "\(k): \($0)" } }
            .joined(separator: ", ") + "}"
    }

    /// A policy as commented YAML.
    public static func yaml(_ p: Policy) -> String {
        var s = """
            # Monitoring policy for one model (format: docs/formats.md, every key: docs/policies.md).
            model: \(p.model)
            task: \(p.task.rawValue)
            # Append-only: new classes go at the end; stored classes are never removed.
            classes: [\(p.classes.joined(separator: ", "))]
            evaluation:
              window: \(p.evaluation.window)                # the window each evaluation judges
            \(p.evaluation.labelDelay.map { "  label_delay: \($0)           # scheduled runs judge the window that ended this long before (labels arrive late)\n" } ?? "")\
              min_reviewed_per_class: \(p.evaluation.minReviewedPerClass)  # fewer reviewed examples: insufficient-evidence
              confidence: \(p.evaluation.confidence)         # level of every interval; a level fires only when the evidence says so
            # What the model achieved at launch: its first 7 days of predictions, until
            # `vigil baseline set` or a promotion records another window.
            baseline:
              window: \(p.baseline.window)
            # A finding fires when the metric is below a level WITH EVIDENCE (its interval lies
            # below it; per-class rules are adjusted across classes). `drop` levels are points
            # below the model's own baseline; absolute levels (warning: 0.8) work too.
            # Per-class metrics (precision, recall, f1) take class: NAME or "*". Precision
            # depends on the class shares: a change of shares alone moves it.
            thresholds:

            """
        for t in p.thresholds {
            s += "  - metric: \(t.metric)\n"
            if let c = t.classSelector { s += "    class: \"\(c)\"\n" }
            if let w = t.warning { s += "    warning: \(w)\n" }
            if let c = t.critical { s += "    critical: \(c)\n" }
            if let d = t.drop {
                s += "    drop: {" + [d.warning.map { "warning: \($0)" }, d.critical.map { "critical: \($0)" }].compactMap { $0 }.joined(separator: ", ") + "}\n"
            }
        }
        if !p.schedule.isEmpty {
            s += "# Jobs `vigil tick` runs (cron, in `timezone:` or vigil.yaml's).\nschedule:\n"
            for e in p.schedule { s += "  - {job: \(e.job), cron: \"\(e.cron)\"}\n" }
        }
        let d = p.drift
        s += """
            # Prediction bias and distribution drift (defaults shown; see docs/formats.md).
            drift:
              reference: \(d.reference.rawValue)          # compared with the baseline: a lasting shift keeps firing
              alpha: \(d.alpha)                  # after Benjamini–Hochberg across the run's tests
              psi: \(levels(d.psi))          # drift alone is info: reported, never paged (route info to a digest)
            # Who hears about this model's alerts: receivers are named in vigil.yaml.
            # Uncomment once vigil.yaml lists them (docs/formats.md, "Alert routing").
            # alerts:
            #   repeat_interval: 24h         # re-send a still-firing alert this often
            #   send_resolved: true          # say so when an alert clears
            #   routes:
            #     - receivers: [team-slack]
            #       severity: [warning, critical]
            #     - receivers: [oncall-pagerduty]
            #       severity: [critical]
            # Retraining and the registry gate (docs/registry.md). Uncomment with a trainer;
            # the scheduled job `retrain-check` (schedule:) applies the trigger.
            # retraining:
            #   trigger: {severity: critical, min_new_labels: 100, cooldown: 7d}
            #   trainer: command
            #   command: "python3 train.py --train {train} --holdout {holdout} --out {out} --init {model} --champion-predictions {champion_predictions}"
            #   timeout: 2h
            #   holdout_fraction: 0.3          # newest reviewed items kept out of training (+ gold items)
            #   max_attempts: 2                # a job whose process died is retried once
            # gate:
            #   primary_metric: macro_f1       # map50 for detectors
            #   min_improvement: 0.01          # δ
            #   alpha: 0.05                    # paired bootstrap, one-sided
            #   max_class_drop: 0.05           # ε on any class's recall (AP50 for detectors)
            #   min_holdout_per_class: 20
            #   promote: manual                # or auto

            """
        return s
    }
}
