import Foundation

/// Reads a file descriptor line by line in bounded memory: lines longer than the limit are
/// skipped to their end and reported, never buffered whole.
public final class LineReader: @unchecked Sendable {  // used by one thread at a time
    /// What the reader found.
    public enum Line {
        /// A line (without `\n` or a trailing `\r`), numbered from 1.
        case text(number: Int, bytes: UnsafeBufferPointer<UInt8>)
        /// A line longer than the limit, with its length.
        case overlong(number: Int, length: Int)
    }

    let fd: Int32
    let maxLineBytes: Int
    let chunk: Int
    /// Bytes read so far.
    public private(set) var bytesRead: Int = 0

    /// A reader of `fd` that refuses lines over `maxLineBytes`.
    public init(fd: Int32, maxLineBytes: Int = 1 << 20, chunkBytes: Int = 1 << 20) {
        self.fd = fd
        self.maxLineBytes = maxLineBytes
        chunk = chunkBytes
    }

    /// Calls `body` for every line until the end of input.
    public func forEachLine(_ body: (Line) throws -> Void) throws {
        let capacity = maxLineBytes + chunk + 1
        let buffer = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        defer { buffer.deallocate() }
        var filled = 0          // bytes in buffer
        var lineNumber = 0
        var discarding = false  // inside an overlong line
        var discarded = 0
        var eof = false
        while !eof {
            let n = read(fd, buffer + filled, capacity - filled)
            if n < 0 {
                if errno == EINTR { continue }
                throw JobError("read failed: \(String(cString: strerror(errno)))")
            }
            if n == 0 { eof = true }
            bytesRead += n
            filled += n
            var start = 0
            while start < filled {
                guard let nl = memchr(buffer + start, 0x0A, filled - start) else { break }
                let end = buffer.distance(to: nl.assumingMemoryBound(to: UInt8.self))
                lineNumber += 1
                if discarding {
                    try body(.overlong(number: lineNumber, length: discarded + end - start))
                    discarding = false
                    discarded = 0
                } else if end - start > maxLineBytes {
                    try body(.overlong(number: lineNumber, length: end - start))
                } else {
                    try emit(buffer, start, end, lineNumber, body)
                }
                start = end + 1
            }
            // Keep the unfinished line, or drop it if it is already too long.
            let rest = filled - start
            if discarding || rest > maxLineBytes {
                if !discarding { discarding = true }
                discarded += rest
                filled = 0
            } else {
                if start > 0, rest > 0 { memmove(buffer, buffer + start, rest) }
                filled = rest
            }
            if eof {
                if discarding {
                    lineNumber += 1
                    try body(.overlong(number: lineNumber, length: discarded))
                } else if filled > 0 {
                    lineNumber += 1
                    try emit(buffer, 0, filled, lineNumber, body)
                }
            }
        }
    }

    private func emit(_ buffer: UnsafeMutablePointer<UInt8>, _ start: Int, _ end: Int, _ number: Int, _ body: (Line) throws -> Void) throws {
        var e = end
        if e > start, buffer[e - 1] == 0x0D { e -= 1 }
        try body(.text(number: number, bytes: UnsafeBufferPointer(start: buffer + start, count: e - start)))
    }
}

/// An error of a job, with a message that says what to do.
public struct JobError: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}
