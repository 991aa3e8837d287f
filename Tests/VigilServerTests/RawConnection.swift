import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A plain TCP connection to 127.0.0.1 for tests that need to misbehave the way a browser or
/// URLSession will not: send a request a byte at a time, hold a connection open, or watch the
/// server close it.
final class RawConnection {
    /// How a read ended.
    enum ReadOutcome: Equatable {
        case data(String)
        /// Nothing arrived yet (the connection is open).
        case nothing
        /// The server closed the connection (EOF or reset).
        case closed
    }

    let fd: Int32

    /// Connects to `127.0.0.1:port`; nil when the connection is refused or the process is out of
    /// descriptors.
    init?(port: Int) {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { close(fd); return nil }
        self.fd = fd
    }

    deinit { close(fd) }

    /// Sends `text`; false when the server has closed the connection.
    @discardableResult
    func send(_ text: String) -> Bool {
        let bytes = Array(text.utf8)
        return bytes.withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) } == bytes.count
    }

    /// What has arrived, without waiting.
    func poll() -> ReadOutcome {
        var buffer = [UInt8](repeating: 0, count: 4096)
        let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
        if n > 0 { return .data(String(decoding: buffer[..<n], as: UTF8.self)) }
        if n == 0 { return .closed }
        return errno == EAGAIN || errno == EWOULDBLOCK ? .nothing : .closed
    }

    /// Everything the server sends until it closes the connection or `seconds` pass; `closed`
    /// says which.
    func readUntilClosed(within seconds: Double) async throws -> (text: String, closed: Bool) {
        var text = ""
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            switch poll() {
            case .data(let more): text += more
            case .closed: return (text, true)
            case .nothing: try await Task.sleep(for: .milliseconds(20))
            }
        }
        return (text, false)
    }

    /// Reads until `text` holds a whole response head (and `Content-Length` bytes of body) or
    /// `seconds` pass.
    func readResponse(within seconds: Double) async throws -> String {
        var text = ""
        let end = Date().addingTimeInterval(seconds)
        while Date() < end {
            if let range = text.range(of: "\r\n\r\n") {
                let length = text[..<range.lowerBound].split(separator: "\r\n")
                    .first { $0.lowercased().hasPrefix("content-length:") }
                    .flatMap { Int($0.split(separator: ":")[1].trimmingCharacters(in: .whitespaces)) } ?? 0
                if text[range.upperBound...].utf8.count >= length { return text }
            }
            switch poll() {
            case .data(let more): text += more
            case .closed: return text
            case .nothing: try await Task.sleep(for: .milliseconds(20))
            }
        }
        return text
    }

    /// `GET path` on a new connection; the status code, or nil when no response came within
    /// `seconds`.
    static func status(port: Int, path: String = "/healthz", within seconds: Double = 5) async throws -> Int? {
        guard let connection = RawConnection(port: port),
              connection.send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n") else { return nil }
        return statusCode(of: try await connection.readResponse(within: seconds))
    }

    /// The status code of a response's status line.
    static func statusCode(of response: String) -> Int? {
        let parts = response.prefix(while: { $0 != "\r" }).split(separator: " ")
        return parts.count >= 2 && parts[0].hasPrefix("HTTP/1.") ? Int(parts[1]) : nil
    }
}
