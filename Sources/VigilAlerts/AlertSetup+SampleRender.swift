import Foundation
import VigilCore

extension AlertSetup {
    /// Renders every receiver's template with a sample notification, a firing critical finding
    /// (value, level, window, run, class) beside a resolved one, so a template that renders
    /// invalid JSON fails `vigil check` instead of the first real alert. Connects to nothing.
    public func renderSamples(now: Int64) throws {
        let window = TimeWindow(from: now - 86_400_000, to: now)
        func sample(_ severity: Severity, _ state: AlertState, className: String?) -> AlertRecord {
            AlertRecord(fingerprint: AlertPlanner.fingerprint(model: "vigil-check", rule: "accuracy", className: className), model: "vigil-check",
                        rule: "accuracy", metric: className == nil ? "accuracy" : "recall", className: className, severity: severity, state: state,
                        startsAt: now - 3_600_000, endsAt: state == .resolved ? now : nil, updatedAt: now, runID: 1, window: window,
                        value: 0.712, threshold: 0.8, evidence: 240, message: "a sample finding rendered by `vigil check` \"quoted\" & <marked>")
        }
        for receiver in receivers {
            let notification = AlertNotification(id: "vigil-check", receiver: receiver, topic: "alert", model: "vigil-check",
                                                 alerts: [sample(.critical, .firing, className: nil), sample(.warning, .resolved, className: "can")],
                                                 runID: 1, window: window, createdAt: now, links: links)
            _ = try templates.render(notification.context(), for: receiver)
        }
    }
}
