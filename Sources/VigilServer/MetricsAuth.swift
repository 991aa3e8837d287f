import VigilCore

/// `server.metrics_auth` in `vigil.yaml`: whether `GET /metrics` needs a bearer token.
public enum MetricsAuth: String, Sendable, Equatable, CaseIterable {
    /// A token with the `read` or `metrics` scope (the default).
    case token
    /// No token: for a scraper on a trusted network only (the series name models and count alerts).
    case none

    /// The scope `GET /metrics` asks for, or `nil` when it is open.
    var requiredScope: TokenScope? {
        switch self {
        case .token: .metrics
        case .none: nil
        }
    }
}
