import Foundation
import VigilCore

/// Where a model's baseline window lies: the latest one recorded in the event log
/// (`baseline.set`, written by `vigil baseline set` and at promotion), else the first
/// `baseline.window` of the model's predictions (docs/policies.md, "baseline").
public enum BaselineWindow {
    /// The event kind that records a baseline window; its details are `{"from": ms, "to": ms, "reason": …}`.
    public static let eventKind = "baseline.set"

    struct Details: Codable {
        var from: Int64
        var to: Int64
        var reason: String
    }

    /// The baseline window of `policy.model` and where it came from (`set` or `default`), or `nil` when the model has no predictions and no recorded baseline.
    public static func resolve(store: any Store, policy: Policy) throws -> (window: TimeWindow, source: String)? {
        if let event = try store.events(model: policy.model, kind: eventKind, limit: 1).first,
           let details = try? JSONDecoder().decode(Details.self, from: Data(event.details.utf8)) {
            return (TimeWindow(from: details.from, to: details.to), "set (\(details.reason))")
        }
        guard let first = try store.firstPredictionTime(model: policy.model), let length = policy.baseline.windowMillis else { return nil }
        return (TimeWindow(from: first, to: first + length), "default (the first \(policy.baseline.window) of predictions)")
    }

    /// What a promotion or rollback calls: the new champion's baseline is the `policy.baseline.window` that starts now.
    public static func atNewChampion(store: any Store, policy: Policy, actor: String) -> @Sendable (_ model: String, _ version: Int, _ now: Int64) throws -> Void {
        let length = policy.baseline.windowMillis ?? 7 * 86_400_000
        return { model, version, now in
            try record(store: store, model: model, window: TimeWindow(from: now, to: now + length), reason: "v\(version) became champion", actor: actor, now: now)
        }
    }

    /// Records `window` as the baseline of `model` from now on (an event in the append-only log).
    public static func record(store: any Store, model: String, window: TimeWindow, reason: String, actor: String, now: Int64) throws {
        let details = String(decoding: try JSONEncoder().encode(Details(from: window.from, to: window.to, reason: reason)), as: UTF8.self)
        try store.append(Event(ts: now, actor: actor, kind: eventKind, model: model, subject: nil, details: details))
    }
}
