import Foundation
import Prometheus
import VigilCore
import VigilJobs
import VigilStore

/// The Prometheus series of `vigil serve` (listed in docs/server.md). Label values are bounded:
/// routes are the router's path templates, models and classes those of the policies, outcomes
/// and states fixed sets — never prediction ids, reviewers or tokens.
public final class ServerMetrics: Sendable {
    public let registry = PrometheusCollectorRegistry()
    static let durationBuckets: [Duration] = [.milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20),
                                              .milliseconds(50), .milliseconds(100), .milliseconds(250), .milliseconds(500),
                                              .seconds(1), .seconds(2.5), .seconds(5), .seconds(10)]
    static let jobBuckets: [Duration] = [.milliseconds(10), .milliseconds(50), .milliseconds(100), .milliseconds(500), .seconds(1),
                                         .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300)]

    public init() {}

    func descriptor(_ name: String, _ help: String) -> MetricNameDescriptor {
        MetricNameDescriptor(metricName: name, unitName: "", helpText: help)
    }

    /// One finished HTTP request.
    func request(method: String, route: String, status: Int, duration: Duration) {
        registry.makeCounter(descriptor: descriptor("vigil_http_requests_total", "HTTP requests by method, route template and status."),
                             labels: [("method", method), ("route", route), ("status", String(status))]).increment()
        registry.makeDurationHistogram(descriptor: descriptor("vigil_http_request_duration_seconds", "HTTP request duration by method and route template."),
                                       labels: [("method", method), ("route", route)], buckets: Self.durationBuckets).record(duration)
    }

    /// Records an ingest's outcome counts.
    func ingested(kind: String, inserted: Int, duplicates: Int, rejected: Int) {
        let d = descriptor("vigil_ingest_records_total", "Records received through the API, by kind (predictions, labels) and outcome.")
        registry.makeCounter(descriptor: d, labels: [("kind", kind), ("outcome", "inserted")]).increment(by: Int64(inserted))
        registry.makeCounter(descriptor: d, labels: [("kind", kind), ("outcome", "duplicate")]).increment(by: Int64(duplicates))
        registry.makeCounter(descriptor: d, labels: [("kind", kind), ("outcome", "rejected")]).increment(by: Int64(rejected))
    }

    /// One scheduled job run.
    func jobRan(model: String, job: String, status: String, duration: Duration) {
        registry.makeCounter(descriptor: descriptor("vigil_job_runs_total", "Scheduled job runs by job kind and status."),
                             labels: [("job", job), ("status", status)]).increment()
        registry.makeDurationHistogram(descriptor: descriptor("vigil_job_duration_seconds", "Scheduled job duration by job kind."),
                                       labels: [("job", job)], buckets: Self.jobBuckets).record(duration)
        if job == "evaluate" {
            registry.makeDurationHistogram(descriptor: descriptor("vigil_evaluation_duration_seconds", "Duration of scheduled evaluations by model."),
                                           labels: [("model", model)], buckets: Self.jobBuckets).record(duration)
        }
    }

    /// One scheduler tick finished at `now`.
    func ticked(now: Date) {
        registry.makeGauge(descriptor: descriptor("vigil_scheduler_last_tick_timestamp_seconds", "When the scheduler last looked for due jobs."))
            .set(to: now.timeIntervalSince1970)
    }

    /// A delivery pass's outcomes.
    func delivered(_ s: (delivered: Int, retrying: Int, dead: Int)) {
        let d = descriptor("vigil_alert_deliveries_total", "Webhook delivery attempts by outcome (delivered, retrying, dead).")
        registry.makeCounter(descriptor: d, labels: [("outcome", "delivered")]).increment(by: Int64(s.delivered))
        registry.makeCounter(descriptor: d, labels: [("outcome", "retrying")]).increment(by: Int64(s.retrying))
        registry.makeCounter(descriptor: d, labels: [("outcome", "dead")]).increment(by: Int64(s.dead))
    }

    /// Initialises the counters of known label values at 0, so the series exist before the first event.
    func initialise(schemas: [ModelSchema]) {
        ingested(kind: "predictions", inserted: 0, duplicates: 0, rejected: 0)
        ingested(kind: "labels", inserted: 0, duplicates: 0, rejected: 0)
        delivered((0, 0, 0))
    }

    /// Refreshes the gauges that reflect the store (queue depth, alerts, latest metric values)
    /// and renders the exposition text.
    func render(store: any Store, schemas: [ModelSchema], now: Int64) throws -> [UInt8] {
        let queue = descriptor("vigil_review_queue_items", "Review queue items by model and state (open, claimed, done, flagged).")
        let firing = descriptor("vigil_alerts_firing", "Firing alerts by model and severity.")
        let status = descriptor("vigil_evaluation_status", "Status of the latest stored evaluation: 0 ok, 1 warning, 2 critical, 3 unknown.")
        let lastRun = descriptor("vigil_evaluation_last_run_timestamp_seconds", "When the latest stored evaluation of the model ran.")
        let modelMetric = descriptor("vigil_model_metric", "Headline metrics of the latest evaluation (accuracy, macro_f1, micro_f1, weighted_f1; map, map50 for detectors).")
        let classMetric = descriptor("vigil_class_metric", "Per-class metrics of the latest evaluation (precision, recall, f1; ap, ap50 for detectors), for the classes of the policies only.")
        let alerts = try store.alerts(model: nil)
        for schema in schemas {
            let q = try store.queueStatus(model: schema.name, now: now)
            for (state, n) in [("open", q.open), ("claimed", q.claimed), ("done", q.done), ("flagged", q.flagged)] {
                registry.makeGauge(descriptor: queue, labels: [("model", schema.name), ("state", state)]).set(to: Double(n))
            }
            for severity in [Severity.warning, .critical] {
                let n = alerts.filter { $0.model == schema.name && $0.state == .firing && $0.severity == severity }.count
                registry.makeGauge(descriptor: firing, labels: [("model", schema.name), ("severity", severity.rawValue)]).set(to: Double(n))
            }
            guard let latest = try store.evaluationHistory(model: schema.name, since: 0, limit: 1).last,
                  let report = try? JSONDecoder().decode(EvaluationReport.self, from: Data(latest.report.utf8)) else { continue }
            registry.makeGauge(descriptor: status, labels: [("model", schema.name)]).set(to: Double(report.status.exitCode))
            registry.makeGauge(descriptor: lastRun, labels: [("model", schema.name)]).set(to: Double(latest.createdAt) / 1000)
            let known = Set(schema.classes)
            if let m = report.metrics {
                // Undefined metrics (an empty window, a class never predicted) are left out, not 0.
                for (name, v) in [("accuracy", m.definedAccuracy), ("macro_f1", m.defined(m.macro)?.f1), ("micro_f1", m.defined(m.micro)?.f1),
                                  ("weighted_f1", m.defined(m.weighted)?.f1)] {
                    guard let v else { continue }
                    registry.makeGauge(descriptor: modelMetric, labels: [("model", schema.name), ("metric", name)]).set(to: v)
                }
                for row in m.perClass where known.contains(row.className) {
                    for (name, value) in [("precision", row.definedPrecision), ("recall", row.definedRecall), ("f1", row.definedF1)] {
                        guard let v = value else { continue }
                        registry.makeGauge(descriptor: classMetric, labels: [("model", schema.name), ("class", row.className), ("metric", name)]).set(to: v)
                    }
                }
            }
            if let d = report.detection {
                for (name, stat) in [("map", "AP"), ("map50", "AP50")] {
                    if let v = d.defined(stat) { registry.makeGauge(descriptor: modelMetric, labels: [("model", schema.name), ("metric", name)]).set(to: v) }
                }
                for row in d.perClass where known.contains(row.className) && row.ap >= 0 {
                    for (name, v) in [("ap", row.ap), ("ap50", row.ap50)] {
                        registry.makeGauge(descriptor: classMetric, labels: [("model", schema.name), ("class", row.className), ("metric", name)]).set(to: v)
                    }
                }
            }
        }
        return registry.emitToBuffer()
    }
}
