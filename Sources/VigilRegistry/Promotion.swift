import Foundation
import VigilAlerts
import VigilCore
import VigilStore

/// Records gate verdicts and moves aliases — promotion, override, rollback — on a registry,
/// and notifies each through the alert outbox (topics `gate.verdict`, `registry.promoted`,
/// `registry.override`, `registry.rollback`).
///
/// A promotion goes through the version's stored verdict: it must have passed, and the
/// champion must still be the one it was compared with (checked inside the alias move's
/// transaction). `override` skips the verdict but needs a reason, and is recorded as such.
///
/// ```swift
/// let move = try Promotion(registry: registry, notify: notify, actor: "alice").promote(model: "m", version: 3, now: now)
/// ```
public struct Promotion: Sendable {
    public let registry: any ModelRegistry
    /// Sends a notice; `nil`: nobody is told (tests, or no routes).
    public let notify: (@Sendable (Notice) throws -> Void)?
    public let actor: String
    /// Starts the new champion's baseline (``BaselineWindow/atNewChampion(store:policy:actor:)``); `nil`: baselines are left alone.
    public let newBaseline: (@Sendable (_ model: String, _ version: Int, _ now: Int64) throws -> Void)?

    public init(registry: any ModelRegistry, notify: (@Sendable (Notice) throws -> Void)?, actor: String,
                newBaseline: (@Sendable (_ model: String, _ version: Int, _ now: Int64) throws -> Void)? = nil) {
        self.registry = registry
        self.notify = notify
        self.actor = actor
        self.newBaseline = newBaseline
    }

    /// The notifier for `policy`: notices go to the receivers its alert routes give for their severity.
    public static func notifier(store: any Store, setup: AlertSetup, policy: Policy, clock: any VigilClock, actor: String) -> @Sendable (Notice) throws -> Void {
        { notice in
            let receivers = policy.alerts.receivers(model: notice.model, severity: notice.severity == .ok ? .warning : notice.severity)
            guard !receivers.isEmpty else { return }
            try Notices(store: store, setup: setup, clock: clock, actor: actor).enqueue(notice, to: receivers)
        }
    }

    /// Stores `verdict` in the version's model card; a failed verdict marks the version `rejected`.
    public func record(_ verdict: GateVerdict, now: Int64) throws {
        guard let version = try registry.version(model: verdict.model, version: verdict.candidate) else {
            throw RegistryError(.notFound, "\(verdict.model) has no version \(verdict.candidate): see `vigil registry list --model \(verdict.model)`")
        }
        var card = ModelCard.decode(version.card, classes: version.classes)
        card.record(verdict)
        try registry.recordVerdict(verdict, card: card.json, state: verdict.passed ? nil : .rejected, actor: actor, now: now)
        try notify?(Notice(model: verdict.model, topic: "gate.verdict", severity: verdict.passed ? .ok : .warning, message: verdict.summary))
    }

    /// Makes `version` the champion. Without `overrideReason` the version's verdict must have
    /// passed against the current champion; with it, any candidate moves, recorded as an override.
    @discardableResult
    public func promote(model: String, version: Int, overrideReason: String? = nil, now: Int64) throws -> AliasMove {
        guard let v = try registry.version(model: model, version: version) else {
            throw RegistryError(.notFound, "\(model) has no version \(version): see `vigil registry list --model \(model)`")
        }
        let verdict = ModelCard.decode(v.card, classes: v.classes).gate
        let champion = try registry.alias("champion", model: model)
        if champion == version { throw RegistryError("\(model) v\(version) is already the champion") }
        let kind: AliasMoveKind
        let expected: Int?
        if let reason = overrideReason {
            guard !reason.trimmingCharacters(in: .whitespaces).isEmpty else { throw RegistryError(.invalidRequest, "--reason: say why the gate is overridden") }
            kind = .override
            expected = champion
        } else {
            guard let verdict else {
                throw RegistryError("\(model) v\(version) has no gate verdict: run `vigil registry gate --model \(model) --version \(version)` first, or promote with --override --reason \"…\"")
            }
            guard verdict.passed else {
                throw RegistryError("\(model) v\(version) failed the gate: \(verdict.reasons.joined(separator: "; ")). Promote anyway only with --override --reason \"…\" (recorded and notified)")
            }
            kind = .promote
            expected = verdict.champion
        }
        let move = try registry.moveAlias(AliasMoveRequest(model: model, alias: "champion", version: version, expected: expected, kind: kind,
                                                           actor: actor, now: now, verdict: verdict?.json, reason: overrideReason))
        let text = kind == .override
            ? "\(model) v\(version) promoted to champion by \(actor) OVERRIDING the gate (\(verdict.map { $0.passed ? "passed" : "failed: " + $0.reasons.joined(separator: "; ") } ?? "no verdict")): \(overrideReason ?? "")"
            : "\(model) v\(version) promoted to champion by \(actor) (was \(move.fromVersion.map { "v\($0)" } ?? "none")): \(verdict?.summary ?? "")"
        try newBaseline?(model, version, now)
        try notify?(Notice(model: model, topic: kind == .override ? "registry.override" : "registry.promoted", severity: kind == .override ? .warning : .ok, message: text))
        return move
    }

    /// Points `champion` back at the version it pointed to before the last move.
    @discardableResult
    public func rollback(model: String, reason: String?, now: Int64) throws -> AliasMove {
        guard let current = try registry.alias("champion", model: model) else { throw RegistryError(.notFound, "\(model) has no champion to roll back") }
        guard let last = try registry.history(model: model, limit: 1000).first(where: { $0.alias == "champion" && $0.toVersion == current }),
              let previous = last.fromVersion else {
            throw RegistryError("\(model) v\(current) has no previous champion to roll back to; promote a version with `vigil registry promote`")
        }
        let move = try registry.moveAlias(AliasMoveRequest(model: model, alias: "champion", version: previous, expected: current, kind: .rollback,
                                                           actor: actor, now: now, verdict: nil, reason: reason))
        try newBaseline?(model, previous, now)
        try notify?(Notice(model: model, topic: "registry.rollback", severity: .warning,
                           message: "\(model) champion rolled back from v\(current) to v\(previous) by \(actor)" + (reason.map { ": \($0)" } ?? "")))
        return move
    }
}
