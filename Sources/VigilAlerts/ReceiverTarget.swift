import Foundation

/// Where a receiver's requests may go, the rules in one place (docs/security.md):
///
/// - the URL is `http` or `https` with a host (checked at load and when sending);
/// - a host written as an address is checked against the ``NetworkFence`` at load;
/// - when sending, the host is resolved and **every** address it resolves to must pass the
///   fence, else nothing is sent; plain `http` then connects to a checked address (the URL
///   carries the address, the `Host` header the name), so the name cannot resolve elsewhere in
///   between. `https` keeps the name, which TLS verifies. Redirects are never followed
///   (``WebhookTransport``).
///
/// Messages name the receiver, the scheme or the address, never the whole URL: it may hold a secret.
public enum ReceiverTarget {
    /// The schemes Vigil sends webhooks over.
    public static let schemes = ["http", "https"]

    /// `text` as a receiver URL: `http` or `https`, with a host. Throws naming the receiver.
    public static func url(_ text: String, receiver name: String) throws -> URL {
        let field = "vigil.yaml: receivers[\(name)].url"
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased() else {
            throw AlertError("\(field): not a URL; give the receiver's http:// or https:// address")
        }
        guard schemes.contains(scheme) else {
            throw AlertError("\(field): the scheme is '\(scheme)'; Vigil sends webhooks over http or https only: give the receiver's http:// or https:// URL")
        }
        guard let host = url.host, !host.isEmpty else {
            throw AlertError("\(field): the URL has no host; give the receiver's http:// or https:// address")
        }
        return url
    }

    /// Checks `text` without the network: a receiver URL (see ``url(_:receiver:)``) whose host,
    /// when written as an address, passes `fence`. A name is not resolved here; it is checked
    /// when sending.
    public static func check(_ text: String, receiver name: String, fence: NetworkFence) throws {
        let url = try Self.url(text, receiver: name)
        guard case .success(let addresses) = HostResolver.addresses(of: url.host!, numericOnly: true) else { return }
        for address in addresses {
            if let refusal = fence.refusal(of: address) {
                throw AlertError("vigil.yaml: receivers[\(name)].url: refused: the host is \(refused(address, refusal))")
            }
        }
    }

    /// What sending one request takes: the requests to try in order (the next only when the
    /// previous could not connect), or why the host did not resolve (a passing failure, retried).
    public enum Route: Sendable {
        case send([WebhookRequest])
        case unresolved(String)
    }

    /// Resolves `request`'s host now and checks every address against `fence`; throws (naming
    /// the receiver, the address and the rule) when any is refused: nothing may be sent then.
    /// Plain `http` to a name is pinned: one request per checked address, the address in the
    /// URL and `Host: name[:port]`.
    public static func route(_ request: WebhookRequest, receiver name: String, fence: NetworkFence) throws -> Route {
        let url = try Self.url(request.url.absoluteString, receiver: name)
        let host = url.host!
        let addresses: [IPAddress]
        switch HostResolver.addresses(of: host) {
        case .failure(let failure): return .unresolved("cannot resolve the host of receivers[\(name)] '\(host)': \(failure.reason)")
        case .success(let found): addresses = found
        }
        guard !addresses.isEmpty else { return .unresolved("the host of receivers[\(name)] '\(host)' has no address") }
        for address in addresses {
            if let refusal = fence.refusal(of: address) {
                throw AlertError("refused: receivers[\(name)] \(IPAddress(host) == nil ? "resolves to" : "is") \(refused(address, refusal))")
            }
        }
        guard url.scheme?.lowercased() == "http", IPAddress(host) == nil else { return .send([request]) }
        let hostHeader = host + (url.port.map { ":\($0)" } ?? "")
        let pinned = addresses.compactMap { address -> WebhookRequest? in
            guard var parts = URLComponents(url: url, resolvingAgainstBaseURL: false) else { return nil }
            parts.percentEncodedHost = address.urlHost
            guard let pinnedURL = parts.url else { return nil }
            var r = request
            r.url = pinnedURL
            r.headers["Host"] = hostHeader
            return r
        }
        guard pinned.count == addresses.count else {
            throw AlertError("vigil.yaml: receivers[\(name)].url: cannot put the checked address of '\(host)' into the URL; report this as a bug")
        }
        return .send(pinned)
    }

    /// `127.0.0.2, inside delivery.denied_networks 127.0.0.2/32 (docs/security.md); what to do`.
    private static func refused(_ address: IPAddress, _ refusal: NetworkFence.Refusal) -> String {
        let next = refusal.configurable
            ? "point the receiver at an allowed address, or change delivery.denied_networks / delivery.allowed_networks in vigil.yaml"
            : "point the receiver at another address"
        return "\(address), \(refusal.reason) (docs/security.md); \(next)"
    }
}
