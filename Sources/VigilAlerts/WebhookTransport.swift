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
        /// No connection could be made (refused, unreachable): nothing reached a server.
        public var couldNotConnect = false
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

    /// POSTs `body` to `url` with `headers` and waits for the answer. Never throws: failures
    /// are in the response. Blocks the calling thread (the deliverer runs its own threads, so
    /// nothing depends on the Swift concurrency pool being free).
    public func post(url: URL, headers: [String: String], body: Data, timeout: Double) -> Response {
        var request = URLRequest(url: url, cachePolicy: .reloadIgnoringLocalCacheData, timeoutInterval: timeout)
        request.httpMethod = "POST"
        for (k, v) in headers { request.setValue(v, forHTTPHeaderField: k) }
        request.httpBody = body
        let answer = ResponseSlot()
        let task = session.dataTask(with: request) { _, response, error in
            answer.fill(Self.response(response, error, timeout: timeout))
        }
        task.resume()
        return answer.wait()
    }

    static func response(_ response: URLResponse?, _ error: (any Error)?, timeout: Double) -> Response {
        if let http = response as? HTTPURLResponse {
            return Response(status: http.statusCode, retryAfter: http.value(forHTTPHeaderField: "Retry-After"), error: nil)
        }
        if let e = error as? URLError {
            return Response(status: nil, retryAfter: nil, error: e.code == .timedOut ? "timed out after \(timeout) s" : "connection failed (\(e.code.rawValue)): \(e.localizedDescription)",
                            couldNotConnect: e.code == .cannotConnectToHost)
        }
        return Response(status: nil, retryAfter: nil, error: error.map { "\($0)" } ?? "not an HTTP response")
    }
}

/// One response handed from URLSession's thread to the waiting sender.
private final class ResponseSlot: @unchecked Sendable {
    private let ready = DispatchSemaphore(value: 0)
    private var value: WebhookTransport.Response?

    func fill(_ r: WebhookTransport.Response) {
        value = r
        ready.signal()
    }

    func wait() -> WebhookTransport.Response {
        ready.wait()
        return value!
    }
}

/// Answers every redirect with "do not follow", so the 3xx itself is the result.
private final class RefuseRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
