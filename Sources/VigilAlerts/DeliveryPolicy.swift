import Foundation
import VigilCore
import VigilStore

/// What to do after an attempt: the retry rules, in one place.
///
/// - 2xx: delivered. 3xx: failed for good (redirects are not followed: fix the URL).
/// - 408, 429, 5xx, timeouts, refused connections: retry, after `Retry-After` when the receiver
///   gives one (seconds or an HTTP date), else after full-jitter backoff
///   `random(0, min(cap, base·2^attempt))`.
/// - Other 4xx: failed for good (PagerDuty's 400 is never retried). 410, and 404 from Discord,
///   mean the endpoint is gone: the receiver's pending rows are dead-lettered.
/// - After `max_attempts` attempts or `max_age` since it was queued: dead-letter.
public struct DeliveryPolicy: Sendable {
    public var settings: DeliverySettings

    public init(settings: DeliverySettings) { self.settings = settings }

    /// The outcome of one attempt at `now` (milliseconds) of a row that had `attempts` earlier attempts.
    public enum Verdict: Sendable, Equatable {
        case delivered
        case retry(afterSeconds: Double)
        case dead(reason: String)
        /// The endpoint no longer exists; stop sending to it.
        case gone(reason: String)
    }

    /// Classifies a response (`status`) or a transport failure (`status` nil).
    public func verdict(kind: ReceiverKind, status: Int?, retryAfter: Double?, error: String?, attempts: Int, jitter: Double) -> Verdict {
        if let status, (200..<300).contains(status) { return .delivered }
        let retryable: Bool
        switch status {
        case nil: retryable = true
        case let s? where (300..<400).contains(s):
            return .dead(reason: "HTTP \(s): the receiver redirects and Vigil does not follow redirects; put the final URL in vigil.yaml")
        case 410?: return .gone(reason: "HTTP 410: the endpoint is gone; remove or replace the receiver in vigil.yaml")
        case 404? where kind == .discord: return .gone(reason: "HTTP 404: the Discord webhook was deleted; create a new one and update vigil.yaml")
        case 408?, 429?: retryable = true
        case let s? where s >= 500: retryable = true
        default: retryable = false
        }
        guard retryable else {
            return .dead(reason: "HTTP \(status!): the receiver refused the notification\(kind == .pagerduty ? " (PagerDuty 400: check the routing key and payload)" : ""); see `vigil alerts outbox --dead`")
        }
        if attempts + 1 >= settings.maxAttempts {
            return .dead(reason: "gave up after \(attempts + 1) attempts: \(error ?? "HTTP \(status!)")")
        }
        if let retryAfter { return .retry(afterSeconds: max(0, retryAfter)) }
        let ceiling = min(settings.backoffCap, settings.backoffBase * pow(2, Double(min(attempts, 40))))
        return .retry(afterSeconds: jitter * ceiling)
    }

    /// Seconds from a `Retry-After` header at `now`: delta-seconds or an HTTP date.
    public static func retryAfter(_ header: String?, now: Date) -> Double? {
        guard let text = header?.trimmingCharacters(in: .whitespaces), !text.isEmpty else { return nil }
        if let seconds = Double(text) { return max(0, seconds) }
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = TimeZone(identifier: "GMT")
        for format in ["EEE, dd MMM yyyy HH:mm:ss zzz", "EEEE, dd-MMM-yy HH:mm:ss zzz", "EEE MMM d HH:mm:ss yyyy"] {
            f.dateFormat = format
            if let date = f.date(from: text) { return max(0, date.timeIntervalSince(now)) }
        }
        return nil
    }
}
