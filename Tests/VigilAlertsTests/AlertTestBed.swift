import Foundation
import VigilAlerts
import VigilCore
import VigilStore

/// A store in a temporary folder, a clock that moves only when told, and alert receivers.
struct AlertTestBed {
    static let model = "shelf-classifier"
    let root: String
    let store: SQLiteStore
    let clock = FixedClock(Timestamp.date(millis: Timestamp.parseMillis("2026-10-31T06:00:00Z")!))
    var setup: AlertSetup
    var routing: AlertRouting

    init(receivers: [Receiver], routing: AlertRouting, delivery: DeliverySettings = Self.fastDelivery) throws {
        root = NSTemporaryDirectory() + "vigil-alerts-\(UUID().uuidString)"
        store = try SQLiteStore(path: root + "/vigil.db")
        _ = try store.syncModels([ModelSchema(name: Self.model, task: .classification, classes: ["bag", "can", "cup"])], now: 0)
        setup = try AlertSetup(receivers: receivers, serverURL: "https://vigil.example.com", delivery: delivery, workspaceRoot: nil)
        self.routing = routing
    }

    /// Settings for tests: short timeouts, quick retries.
    static let fastDelivery = DeliverySettings(timeout: 1, maxAttempts: 5, maxAge: 86_400, backoffBase: 1, backoffCap: 4, lease: 30, workers: 4, batch: 100)

    var now: Int64 { Timestamp.millis(clock.now) }

    var planner: AlertPlanner {
        get throws { try setup.planner(for: Policy(model: Self.model, task: .classification, classes: ["bag", "can", "cup"], alerts: routing), actor: "test") }
    }

    /// Stores a run with `findings` at the clock's time and plans its alerts; returns the run id.
    @discardableResult
    func evaluate(_ findings: [Finding]) throws -> Int64 {
        let planner = try planner
        let window = TimeWindow(from: now - 7 * 86_400_000, to: now)
        return try store.recordEvaluation(EvaluationRunRecord(model: Self.model, createdAt: now, window: window, status: .warning, labeled: 100,
                                                              findings: findings, reportJSON: "{}", actor: "test")) { runID, book in
            try planner.plan(book, findings: findings, run: .init(id: runID, window: window))
        }
    }

    /// Plans repeats and post-silence updates without a run.
    func reconcile() throws {
        let planner = try planner
        try store.updateAlerts(model: Self.model, now: now) { try planner.reconcile($0) }
    }

    func outbox(_ states: [OutboxState] = OutboxState.allCases) throws -> [OutboxRow] { try store.outbox(states: states, limit: 100_000) }

    func deliverer(seed: UInt64 = 1) -> Deliverer {
        Deliverer(store: store, receivers: setup.receivers, settings: setup.delivery, clock: clock, environment: ["PD_KEY": "pd-secret-key"],
                  owner: "test", seed: seed)
    }

    func deliver() throws -> Deliverer.Summary { try deliverer().runPass() }
}

/// A finding of rule `rule` (per class when `className` is given).
func finding(_ metric: String, _ className: String? = nil, _ severity: Severity, value: Double = 0.6) -> Finding {
    let rule = className.map { "\(metric)[\($0)]" } ?? metric
    return Finding(rule: rule, metric: metric, className: className, severity: severity, value: value, interval: nil, warning: 0.8,
                   critical: 0.65, evidence: 50, message: "\(metric) of '\(className ?? "all")' is \(value)")
}

/// The body of an outbox row as JSON.
func json(_ row: OutboxRow) -> [String: Any] {
    (try? JSONSerialization.jsonObject(with: Data(row.notification.body.utf8))) as? [String: Any] ?? [:]
}

/// The `data.alerts` of a generic webhook body.
func webhookAlerts(_ row: OutboxRow) -> [[String: Any]] {
    ((json(row)["data"] as? [String: Any])?["alerts"] as? [[String: Any]]) ?? []
}
