import Foundation
import Hummingbird
import VigilAlerts
import VigilCore
import VigilStore

/// Who may open a report page (``APIRoutes/page(_:_:)``): a bearer token with the `read` scope —
/// the rule of the JSON API — or a signed link (``ReportLinks``) made for exactly this page and
/// not expired. A browser sends no token, so the signed link is how a person opens the link of
/// an alert in Slack, Teams or an email.
enum PageAccess {
    /// How a request was let in.
    enum Grant: Sendable {
        case token(Principal)
        /// A signed link valid until `expires` (Unix seconds), under `secret`: links on the page are signed the same way.
        case signedLink(expires: Int64, secret: [UInt8])
    }

    /// The grant for `request` to open the page at `path` (``ReportLinks/path(model:runID:)``);
    /// throws a 401 or 403 ``APIError`` whose message says what to do.
    static func authorize(_ request: Request, path: String, env: ServerEnvironment) async throws -> Grant {
        if let authorization = request.headers[.authorization] {
            let principal = try await env.tokens.authenticate(authorization: authorization)
            guard principal.allows(.read) else {
                throw APIError(.forbidden, "forbidden", "this token (\(principal.key), \(principal.name)) lacks the 'read' scope that report pages need: "
                    + "create one with `vigil tokens create --scope read --name …`, or open the signed link from the alert without a token")
            }
            return .token(principal)
        }
        let query = request.uri.queryParameters
        guard query["exp"] != nil || query["sig"] != nil else {
            throw denied("This page opens with the signed link an alert carries, or with a token of scope read; this request had neither.")
        }
        let secret = try await env.linkSecret.value()
        switch ReportLinks.check(path: path, expires: query["exp"].map(String.init), signature: query["sig"].map(String.init),
                                 now: env.nowMillis / 1000, secret: secret) {
        case .valid(let expires):
            return .signedLink(expires: expires, secret: secret)
        case .expired(let at):
            throw denied("This link expired at \(Timestamp.format(millis: at * 1000)): the links in alerts open for \(ReportLinks.validitySeconds / 86_400) days.")
        case .invalid:
            throw denied("This link's signature does not match this page: the link was changed or cut short, or made for another page or by another Vigil store.")
        }
    }

    /// A 401 that says `what` and how to get in.
    static func denied(_ what: String) -> APIError {
        APIError(.unauthorized, "unauthorized", what + " Open the link from the alert message as it was sent; "
            + "ask whoever runs Vigil for a fresh link (`vigil alerts link --model MODEL --run RUN` prints one); "
            + "or send `Authorization: Bearer vgl_…` with a read token (`vigil tokens create --scope read --name …`).")
    }
}

/// The store's report-link secret, read (or made, on a new store) on first use and kept: the
/// process that builds alerts and `vigil serve` share it through the store.
final class ReportLinkSecret: @unchecked Sendable {
    // @unchecked: `cached` is guarded by `lock`.
    private let store: any TokenStore & Sendable
    private let lock = NSLock()
    private var cached: [UInt8]?

    init(store: any TokenStore & Sendable) {
        self.store = store
    }

    func value() async throws -> [UInt8] {
        if let cached = lock.withLock({ cached }) { return cached }
        let store = self.store
        let secret = try await Blocking.run { try store.reportLinkSecret(candidate: ReportLinks.newSecret()) }
        lock.withLock { cached = secret }
        return secret
    }
}
