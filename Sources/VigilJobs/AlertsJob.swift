import Foundation
import VigilAlerts
import VigilCore
import VigilStore

/// The alert work of `vigil tick` and `vigil alerts …`: re-planning notifications that are due
/// without a new evaluation (repeats, silences that ended) and delivering the outbox.
public struct AlertsJob: Sendable {
    let store: any Store
    let setup: AlertSetup
    let policies: [Policy]
    let clock: any VigilClock
    let actor: String

    public init(store: any Store, setup: AlertSetup, policies: [Policy], clock: any VigilClock, actor: String = "cli") {
        self.store = store
        self.setup = setup
        self.policies = policies
        self.clock = clock
        self.actor = actor
    }

    /// Queues what is due for every model with a policy; returns how many notifications.
    @discardableResult
    public func reconcile() throws -> Int {
        var queued = 0
        for policy in policies {
            let planner = try setup.planner(for: policy, actor: actor)
            try store.updateAlerts(model: policy.model, now: Timestamp.millis(clock.now)) { book in
                let changes = try planner.reconcile(book)
                queued += changes.notifications.count
                return changes
            }
        }
        return queued
    }

    /// A signed link to the report page of `model`'s run `runID` (of the model when `nil`) that
    /// opens for ``ReportLinks/validitySeconds`` from now without a token: the fresh link for
    /// someone whose alert link expired (`vigil alerts link`).
    public func reportLink(model: String, runID: Int64?) throws -> String {
        guard let links = setup.links else {
            throw JobError("vigil.yaml has no server_url: set it to the address people reach `vigil serve` at, e.g. server_url: https://vigil.example.com")
        }
        guard policies.contains(where: { $0.model == model }) else {
            throw JobError("no policy for model '\(model)' (models: \(policies.map(\.model).joined(separator: ", ")))")
        }
        if let runID, try store.evaluationRun(model: model, id: runID) == nil {
            throw JobError("\(model) has no evaluation run \(runID): `vigil log --model \(model)` lists its runs (evaluation.run, run/<id>)")
        }
        return links.url(model: model, runID: runID, issuedAt: Timestamp.millis(clock.now))
    }

    /// One delivery pass (blocking until done). `seed` fixes the backoff jitter.
    public func deliver(seed: UInt64? = nil, owner: String? = nil) throws -> Deliverer.Summary {
        let deliverer = Deliverer(store: store, receivers: setup.receivers, settings: setup.delivery, clock: clock, owner: owner, seed: seed)
        return try deliverer.runPass()
    }

    /// Sends `count` sample notifications to `receiver` now, directly and one after another:
    /// the receiver's queued backlog is neither sent with them nor held up by them (`vigil
    /// alerts test`). Stops at the first that is not delivered. Each attempt is logged as an
    /// `alert.test` event.
    public func sendTests(receiver: String, count: Int = 1) throws -> [(id: String, attempt: Deliverer.Attempt)] {
        let notices = Notices(store: store, setup: setup, clock: clock, actor: actor)
        let deliverer = Deliverer(store: store, receivers: setup.receivers, settings: setup.delivery, clock: clock)
        var sent: [(id: String, attempt: Deliverer.Attempt)] = []
        for _ in 0..<max(1, count) {
            let notification = try notices.render(Notices.testNotice(receiver: receiver), for: receiver, nonce: UUID().uuidString)
            let attempt = deliverer.sendOnce(notification)
            try store.append(Event(ts: Timestamp.millis(clock.now), actor: actor, kind: "alert.test", model: nil, subject: "notification/\(notification.id)",
                                   details: JSONText.object(["receiver": receiver, "status": attempt.status.map(String.init),
                                                             "delivered": String(attempt.delivered), "error": attempt.error])))
            sent.append((notification.id, attempt))
            if !attempt.delivered { break }
        }
        return sent
    }
}
