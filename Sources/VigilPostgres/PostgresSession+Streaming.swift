import Foundation
import NIOCore
import PostgresNIO

/// Streaming reads and `COPY … FROM STDIN` on a session, for the calling (Dispatch) thread.
///
/// postgres-nio offers both only as `async` calls. Each runs in a task whose jobs run on the
/// connection's own event loop (``EventLoopTaskExecutor``), never on the cooperative pool, which
/// a busy `vigil serve` keeps occupied with requests; the calling thread waits for it.
extension PostgresSession {
    /// Runs one statement and calls `body` with each row, on the calling thread, as the rows
    /// arrive: at most a few chunks of rows are held at once (the connection stops reading
    /// while they wait), whatever the size of the result.
    func forEachRow(_ sql: String, _ arguments: [any PostgresArgument] = [], _ body: (PostgresRow) throws -> Void) throws {
        var bindings = PostgresBindings(capacity: arguments.count)
        for a in arguments { try a.bind(into: &bindings) }
        let query = PostgresQuery(unsafeSQL: sql, binds: bindings)
        let mailbox = RowMailbox()
        let connection = connection, logger = logger
        Task(executorPreference: EventLoopTaskExecutor(connection.eventLoop)) {
            do {
                let rows = try await connection.query(query, logger: logger)
                var chunk: [PostgresRow] = []
                chunk.reserveCapacity(RowMailbox.chunkRows)
                for try await row in rows {
                    chunk.append(row)
                    if chunk.count == RowMailbox.chunkRows {
                        guard await mailbox.put(chunk) else { break }
                        chunk = []
                        chunk.reserveCapacity(RowMailbox.chunkRows)
                    }
                }
                if !chunk.isEmpty { _ = await mailbox.put(chunk) }
                mailbox.finish(nil)
            } catch {
                mailbox.finish(error)
            }
        }
        do {
            while let chunk = try mailbox.take() {
                for row in chunk { try body(row) }
            }
        } catch {
            // Stop the producer and wait until the connection is done with the statement.
            mailbox.cancel()
            if let e = error as? PSQLError { throw PostgresStore.describe(e, sql: sql) }
            throw error
        }
    }

    /// `COPY table(columns) FROM STDIN` in PostgreSQL's text format: `data` holds the rows, each
    /// ending with a newline, its fields separated by tabs (see ``CopyText``).
    func copy(into table: String, columns: [String], data: ByteBuffer) throws {
        let done = DispatchSemaphore(value: 0)
        let result = ResultBox()
        let connection = connection, logger = logger
        Task(executorPreference: EventLoopTaskExecutor(connection.eventLoop)) {
            do {
                try await connection.copyFrom(table: table, columns: columns, format: .text(.init()), logger: logger) { writer in
                    var rest = data
                    while rest.readableBytes > 0 {
                        // Several messages for a large batch, so the server parses while more arrives.
                        try await writer.write(rest.readSlice(length: min(rest.readableBytes, 1 << 20))!)
                    }
                }
            } catch {
                result.error = error
            }
            done.signal()
        }
        done.wait()
        if let error = result.error { throw PostgresStore.describe(error, sql: "COPY \(table) FROM STDIN") }
    }
}

private final class ResultBox: @unchecked Sendable {
    var error: (any Error)?
}

/// Runs a task's jobs on one NIO event loop: postgres-nio's async calls then complete on the
/// loop that serves the connection, without a hop through the cooperative pool.
final class EventLoopTaskExecutor: TaskExecutor, @unchecked Sendable {
    let loop: any EventLoop

    init(_ loop: any EventLoop) { self.loop = loop }

    func enqueue(_ job: consuming ExecutorJob) {
        let job = UnownedJob(job)
        loop.execute { job.runSynchronously(on: self.asUnownedTaskExecutor()) }
    }
}

/// Chunks of rows handed from the task that reads them to the thread that consumes them, at
/// most ``capacity`` chunks at once: a full mailbox suspends the reader (its connection then
/// stops reading from the socket) until the consumer takes one.
final class RowMailbox: @unchecked Sendable {
    static let chunkRows = 4096
    static let capacity = 4

    private let condition = NSCondition()
    private var chunks: [[PostgresRow]] = []
    private var head = 0
    private var waitingReader: CheckedContinuation<Bool, Never>?
    private var finished = false
    private var error: (any Error)?
    private var cancelled = false

    /// Hands over a chunk; false when the consumer stopped (the reader should stop too).
    func put(_ chunk: [PostgresRow]) async -> Bool {
        await withCheckedContinuation { (c: CheckedContinuation<Bool, Never>) in
            condition.lock()
            if cancelled {
                condition.unlock()
                c.resume(returning: false)
                return
            }
            chunks.append(chunk)
            condition.signal()
            if chunks.count - head >= Self.capacity {
                waitingReader = c
                condition.unlock()
            } else {
                condition.unlock()
                c.resume(returning: true)
            }
        }
    }

    /// The reader is done (`error` nil) or failed.
    func finish(_ error: (any Error)?) {
        condition.lock()
        finished = true
        self.error = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next chunk, waiting for it; nil at the end; throws the reader's error.
    func take() throws -> [PostgresRow]? {
        condition.lock()
        defer { condition.unlock() }
        while head == chunks.count && !finished { condition.wait() }
        if head < chunks.count {
            let chunk = chunks[head]
            chunks[head] = []
            head += 1
            if head > 64 { chunks.removeFirst(head); head = 0 }
            if let reader = waitingReader {
                waitingReader = nil
                reader.resume(returning: true)
            }
            return chunk
        }
        if let error { throw error }
        return nil
    }

    /// The consumer stops: the reader is released and this waits until it has finished.
    func cancel() {
        condition.lock()
        cancelled = true
        chunks = []
        head = 0
        let reader = waitingReader
        waitingReader = nil
        condition.unlock()
        reader?.resume(returning: false)
        condition.lock()
        while !finished { condition.wait() }
        condition.unlock()
    }
}

/// Rows for `COPY … FROM STDIN` in PostgreSQL's text format, written straight into a buffer:
/// fields separated by tabs, rows ended by newlines, `\N` for NULL, and backslash, tab, newline
/// and carriage return escaped in text.
struct CopyText {
    var buffer: ByteBuffer
    private var first = true

    init(capacity: Int) { buffer = ByteBufferAllocator().buffer(capacity: capacity) }

    @inline(__always) private mutating func separate() {
        if first { first = false } else { buffer.writeInteger(UInt8(ascii: "\t")) }
    }

    /// Ends the current row.
    mutating func endRow() {
        buffer.writeInteger(UInt8(ascii: "\n"))
        first = true
    }

    mutating func null() {
        separate()
        buffer.writeStaticString("\\N")
    }

    mutating func int(_ value: Int64) {
        separate()
        // Digits backwards into a small stack buffer, then copied.
        var v = value.magnitude
        withUnsafeTemporaryAllocation(of: UInt8.self, capacity: 20) { digits in
            var i = 20
            repeat {
                i -= 1
                digits[i] = UInt8(ascii: "0") + UInt8(v % 10)
                v /= 10
            } while v > 0
            if value < 0 { buffer.writeInteger(UInt8(ascii: "-")) }
            buffer.writeBytes(UnsafeBufferPointer(rebasing: digits[i..<20]))
        }
    }

    mutating func int(_ value: Int64?) { if let value { int(value) } else { null() } }

    /// The shortest text that reads back as the same double (PostgreSQL parses it exactly).
    mutating func double(_ value: Double?) {
        guard let value else { return null() }
        separate()
        buffer.writeString(value.description)
    }

    mutating func text(_ value: String?) {
        guard var value else { return null() }
        separate()
        let done: Void? = value.utf8.withContiguousStorageIfAvailable { write($0) }
        if done == nil {
            value.makeContiguousUTF8()
            value.utf8.withContiguousStorageIfAvailable { write($0) }
        }
    }

    private mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        // Most text has nothing to escape: copy it whole.
        var plain = true
        for b in bytes where b == UInt8(ascii: "\\") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
            plain = false
            break
        }
        if plain {
            buffer.writeBytes(UnsafeRawBufferPointer(bytes))
            return
        }
        for b in bytes {
            switch b {
            case UInt8(ascii: "\\"): buffer.writeStaticString("\\\\")
            case UInt8(ascii: "\t"): buffer.writeStaticString("\\t")
            case UInt8(ascii: "\n"): buffer.writeStaticString("\\n")
            case UInt8(ascii: "\r"): buffer.writeStaticString("\\r")
            default: buffer.writeInteger(b)
            }
        }
    }
}
