import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import VigilCore

/// Sends one HTTP POST with URLSession (libcurl underneath on Linux: no TLS library to compile).
/// Redirects are refused, so a 3xx comes back as the response; timeouts come back as errors.
public final class WebhookTransport: Sendable {
    /// A response, or why there was none.
    public struct Response: Sendable {
        public var status: Int?
        public var retryAfter: String?
        public var error: String?
    }

    private let session: URLSession

    /// `timeout`: seconds without progress before a request fails; `connections`: per host.
    public init(timeout: Double, connections: Int) {
        let config = URLSessionConfiguration.ephemeral
        config.timeoutIntervalForRequest = timeout
        config.timeoutIntervalForResource = timeout * 2
        config.httpMaximumConnectionsPerHost = max(1, connections)
        config.requestCachePolicy = .reloadIgnoringLocalCacheData
        config.urlCache = nil
        config.httpCookieStorage = nil
        session = URLSession(configuration: config, delegate: RefuseRedirects(), delegateQueue: nil)
    }

    deinit { session.finishTasksAndInvalidate() }

    /// POSTs `body` to `url` with `headers`. Never throws: failures are in the response.
    public func post(url: URL, headers: [String: String], body: Data, timeout: Double) async -> Response {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        request.httpBody = body
        do {
            let (_, response) = try await session.data(for: request)
            guard let http = response as? HTTPURLResponse else { return Response(status: nil, retryAfter: nil, error: "not an HTTP response") }
            return Response(status: http.statusCode, retryAfter: http.value(forHTTPHeaderField: "Retry-After"), error: nil)
        } catch let e as URLError {
            return Response(status: nil, retryAfter: nil, error: e.code == .timedOut ? "timed out after \(timeout) s" : "connection failed (\(e.code.rawValue)): \(e.localizedDescription)")
        } catch {
            return Response(status: nil, retryAfter: nil, error: "\(error)")
        }
    }
}

/// Answers every redirect with "do not follow", so the 3xx itself is the result.
private final class RefuseRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
