import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A minimal HTTP receiver on a loopback port that records every request and answers
/// `200 ok`: the "chat channel" of the quickstart and of demos, so alerts can be delivered and
/// shown without any outside service. One thread, one connection at a time, HTTP/1.1 with a
/// `Content-Length` body; not a general server. The accept thread owns the listening socket and
/// closes it itself, so a stopped receiver can never accept on a descriptor number the process has
/// since reused for another socket.
///
/// ```swift
/// let receiver = try LoopbackWebhookReceiver()
/// // point a receiver of vigil.yaml at receiver.url + "/slack"
/// receiver.requests()   // what arrived
/// receiver.stop()
/// ```
public final class LoopbackWebhookReceiver: @unchecked Sendable {
    // @unchecked: `received` is guarded by `lock`; the socket is owned by the accept thread until stop.
    /// One recorded request.
    public struct Request: Sendable, Equatable {
        public var method: String
        public var path: String
        /// Header names lower-cased.
        public var headers: [String: String]
        public var body: String
    }

    /// The port it listens on (127.0.0.1).
    public let port: Int
    /// `http://127.0.0.1:<port>`.
    public var url: String { "http://127.0.0.1:\(port)" }

    private let socket: Int32
    private let lock = NSLock()
    private var received: [Request] = []
    private var stopped = false
    private var thread: Thread?
    /// Signalled by the accept thread once it has closed the socket and will touch nothing more.
    private let finished = DispatchSemaphore(value: 0)

    /// Binds a free loopback port and starts accepting.
    public init() throws {
        let fd = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw ReceiverError("cannot create a socket: \(String(cString: strerror(errno)))") }
        var yes: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &yes, socklen_t(MemoryLayout<Int32>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0, listen(fd, 16) == 0 else {
            close(fd)
            throw ReceiverError("cannot listen on a loopback port: \(String(cString: strerror(errno)))")
        }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        socket = fd
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread { [self] in acceptLoop() }
        thread.name = "vigil-webhook-receiver"
        self.thread = thread
        thread.start()
    }

    deinit { stop() }

    /// The requests received so far, in arrival order.
    public func requests() -> [Request] {
        lock.lock()
        defer { lock.unlock() }
        return received
    }

    /// Stops accepting and closes the port; returns once the port is closed.
    public func stop() {
        lock.lock()
        let wasStopped = stopped
        stopped = true
        lock.unlock()
        guard !wasStopped else { return }
        // Wakes a blocked accept; the accept thread then closes the descriptor (see acceptLoop).
        shutdown(socket, Int32(SHUT_RDWR))
        finished.wait()
    }

    private var isStopped: Bool {
        lock.lock()
        defer { lock.unlock() }
        return stopped
    }

    private func acceptLoop() {
        defer {
            close(socket)
            finished.signal()
        }
        while !isStopped {
            let connection = accept(socket, nil, nil)
            if connection < 0 {
                if isStopped || (errno != EINTR && errno != ECONNABORTED) { return }
                continue
            }
            if let request = Self.read(connection) {
                lock.lock()
                received.append(request)
                lock.unlock()
                Self.write(connection, "HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 2\r\nConnection: close\r\n\r\nok")
            } else {
                Self.write(connection, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            }
            close(connection)
        }
    }

    /// Reads one request: the head up to the blank line, then `Content-Length` bytes.
    static func read(_ fd: Int32) -> Request? {
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var data = [UInt8]()
        var buffer = [UInt8](repeating: 0, count: 65_536)
        let separator: [UInt8] = Array("\r\n\r\n".utf8)
        var headEnd: Int?
        var expected = 0
        while true {
            if let end = headEnd, data.count >= end + expected { break }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            data.append(contentsOf: buffer[0..<n])
            if headEnd == nil, let range = data.firstRange(of: separator) {
                headEnd = range.upperBound
                let head = String(decoding: data[0..<range.lowerBound], as: UTF8.self)
                for line in head.split(separator: "\r\n").dropFirst() {
                    let parts = line.split(separator: ":", maxSplits: 1)
                    if parts.count == 2, parts[0].lowercased() == "content-length" {
                        expected = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
                    }
                }
                if expected > 64 << 20 { return nil }
                let wantsContinue = head.lowercased().contains("\r\nexpect: 100-continue")
                if wantsContinue, data.count < range.upperBound + expected {
                    // curl asks before sending a large body; answering now saves its one-second wait.
                    write(fd, "HTTP/1.1 100 Continue\r\n\r\n")
                }
            }
        }
        guard let end = headEnd, data.count >= end + expected else { return nil }
        let head = String(decoding: data[0..<(end - 4)], as: UTF8.self)
        var lines = head.split(separator: "\r\n", omittingEmptySubsequences: false)
        guard !lines.isEmpty else { return nil }
        let requestLine = lines.removeFirst().split(separator: " ")
        guard requestLine.count >= 2 else { return nil }
        var headers: [String: String] = [:]
        for line in lines {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2 { headers[parts[0].lowercased()] = parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return Request(method: String(requestLine[0]), path: String(requestLine[1]), headers: headers,
                       body: String(decoding: data[end..<(end + expected)], as: UTF8.self))
    }

    static func write(_ fd: Int32, _ text: String) {
        var bytes = Array(text.utf8)
        var sent = 0
        while sent < bytes.count {
            let n = bytes.withUnsafeMutableBytes { send(fd, $0.baseAddress! + sent, $0.count - sent, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            sent += n
        }
    }

    /// Why the receiver could not start.
    public struct ReceiverError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }
}
