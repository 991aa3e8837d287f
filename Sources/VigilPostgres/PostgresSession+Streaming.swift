import Foundation
import NIOCore
import PostgresNIO

/// Streaming reads, and statements and `COPY … FROM STDIN` sent in a row, on a session, for
/// the calling (Dispatch) thread.
extension PostgresSession {
    /// Runs one statement and calls `body` with each row, on the calling thread, as the rows
    /// arrive: the connection's event loop gathers them into chunks as it decodes them, and the
    /// calling thread takes a chunk at a time, so no more than the rows not yet consumed are
    /// held, never the result as a whole when `body` keeps up. (postgres-nio's row callback
    /// reads on regardless: rows that a slower `body` has not taken yet wait in memory; the
    /// store streams only bounded results: a window up to the raw-value limit, a `LIMIT`.)
    /// Stopping early (`body` throws) ends the statement; the connection stays usable.
    ///
    /// The row callback runs on the event loop without a hop per row; postgres-nio's
    /// `PostgresRowSequence` has back pressure but costs about twice as much per row.
    func forEachRow(_ sql: String, _ arguments: [any PostgresArgument] = [], _ body: (PostgresRow) throws -> Void) throws {
        var bindings = PostgresBindings(capacity: arguments.count)
        for a in arguments { try a.bind(into: &bindings) }
        let queue = RowQueue()
        // Rows are gathered into chunks on the event loop as they are decoded and handed over
        // a chunk at a time.
        connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger) { row in try queue.push(row) }
            .whenComplete { result in
                switch result {
                case .success: queue.finish(nil)
                case .failure(let error): queue.finish(error)
                }
            }
        do {
            while let chunk = try queue.take() {
                for row in chunk { try body(row) }
            }
        } catch {
            // Stop the reader and wait until the connection is done with the statement.
            queue.cancel()
            if error is PSQLError { throw PostgresStore.describe(error, sql: sql) }
            throw error
        }
    }
}

/// Rows handed from the event loop that decodes them to the thread that consumes them, in
/// chunks.
final class RowQueue: @unchecked Sendable {
    static let chunkRows = 2048
    private let condition = NSCondition()
    private var chunks: [[PostgresRow]] = []
    private var head = 0
    private var finished = false
    private var error: (any Error)?
    private var cancelled = false
    /// Filled on the event loop only.
    private var current: [PostgresRow] = []

    struct Stopped: Error {}

    /// On the event loop: one more row (throws once the consumer stopped, which ends the query).
    func push(_ row: PostgresRow) throws {
        if current.isEmpty { current.reserveCapacity(Self.chunkRows) }
        current.append(row)
        if current.count == Self.chunkRows { try flush() }
    }

    private func flush() throws {
        condition.lock()
        defer { condition.unlock() }
        if cancelled { throw Stopped() }
        chunks.append(current)
        current = []
        condition.signal()
    }

    /// On the event loop: the query ended.
    func finish(_ error: (any Error)?) {
        if error == nil && !current.isEmpty { try? flush() }
        condition.lock()
        finished = true
        self.error = error
        condition.broadcast()
        condition.unlock()
    }

    /// The next chunk, waiting for it; nil at the end; throws the query's error.
    func take() throws -> [PostgresRow]? {
        condition.lock()
        defer { condition.unlock() }
        while head == chunks.count && !finished { condition.wait() }
        if head < chunks.count {
            let chunk = chunks[head]
            chunks[head] = []
            head += 1
            if head > 64 { chunks.removeFirst(head); head = 0 }
            return chunk
        }
        if let error { throw error }
        return nil
    }

    /// The consumer stops: waits until the connection is done with the statement.
    func cancel() {
        condition.lock()
        cancelled = true
        chunks = []
        head = 0
        while !finished { condition.wait() }
        condition.unlock()
    }
}

/// One step of ``PostgresSession/run(_:)``: a statement (its rows are kept: for short
/// results) or a `COPY … FROM STDIN` of text-format rows.
enum PostgresStep: Sendable {
    case statement(PostgresQuery)
    case copy(table: String, columns: [String], data: ByteBuffer)
    /// A prepared statement (parsed and planned once per connection; postgres-nio prepares it
    /// on first use), its rows kept.
    case prepared(sql: String, run: @Sendable (PostgresConnection, Logger) async throws -> [PostgresRow])

    /// A prepared statement.
    static func prepared<S: PostgresPreparedStatement>(_ statement: S) -> PostgresStep where S.Row == PostgresRow {
        .prepared(sql: S.sql) { connection, logger in
            var rows: [PostgresRow] = []
            for try await row in try await connection.execute(statement, logger: logger) { rows.append(row) }
            return rows
        }
    }

    /// A statement with parameters.
    static func sql(_ sql: String, _ arguments: [any PostgresArgument] = []) throws -> PostgresStep {
        var bindings = PostgresBindings(capacity: arguments.count)
        for a in arguments { try a.bind(into: &bindings) }
        return .statement(PostgresQuery(unsafeSQL: sql, binds: bindings))
    }

    var text: String {
        switch self {
        case .statement(let q): q.sql
        case .copy(let table, _, _): "COPY \(table) FROM STDIN"
        case .prepared(let sql, _): sql
        }
    }
}

extension PostgresSession {
    /// Runs `steps` one after the other on the connection's event loop and waits once for all
    /// of them (see ``StepPipeline``). Returns each statement's rows (empty for a copy).
    @discardableResult
    func run(_ steps: [PostgresStep]) throws -> [[PostgresRow]] {
        let pipeline = StepPipeline(self)
        for step in steps { pipeline.send(step) }
        return try pipeline.finish()
    }
}

/// Steps sent to the connection one after the other, on its event loop, while the calling
/// thread prepares the next ones; ``finish()`` must be called once every step is sent (postgres-nio offers `COPY` only as an `async` call: the steps
/// run in a task whose jobs run on the connection's event loop, ``EventLoopTaskExecutor``,
/// never on the cooperative pool, which a busy `vigil serve` keeps occupied with requests): the server works on a step while the next is being made,
/// and the calling thread waits once, in ``finish()``, not once per statement. The first
/// failing step stops the rest (a transaction begun by an earlier step is then left for the
/// caller to roll back).
final class StepPipeline: @unchecked Sendable {
    private let steps: AsyncStream<PostgresStep>.Continuation
    private let done = DispatchSemaphore(value: 0)
    private var results: [[PostgresRow]] = []
    private var error: (any Error)?

    init(_ session: PostgresSession) {
        let (stream, continuation) = AsyncStream.makeStream(of: PostgresStep.self)
        steps = continuation
        let connection = session.connection, logger = session.logger
        Task(executorPreference: EventLoopTaskExecutor(connection.eventLoop)) { [self] in
            for await step in stream where error == nil {
                do {
                    switch step {
                    case .statement(let query):
                        var rows: [PostgresRow] = []
                        for try await row in try await connection.query(query, logger: logger) { rows.append(row) }
                        results.append(rows)
                    case .prepared(_, let run):
                        results.append(try await run(connection, logger))
                    case .copy(let table, let columns, let data):
                        try await connection.copyFrom(table: table, columns: columns, format: .text(.init()), logger: logger) { writer in
                            var rest = data
                            while rest.readableBytes > 0 { try await writer.write(rest.readSlice(length: min(rest.readableBytes, 1 << 20))!) }
                        }
                        results.append([])
                    }
                } catch {
                    self.error = PostgresStore.describe(error, sql: step.text)
                }
            }
            done.signal()
        }
    }

    /// Queues a step (it runs once the ones before it have).
    func send(_ step: PostgresStep) { steps.yield(step) }

    /// Waits for every step sent; returns each statement's rows, or throws the first error.
    @discardableResult
    func finish() throws -> [[PostgresRow]] {
        steps.finish()
        done.wait()
        if let error { throw error }
        return results
    }
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

/// Rows for `COPY … FROM STDIN` in PostgreSQL's text format, written straight into memory:
/// fields separated by tabs, rows ended by newlines, `\N` for NULL, and backslash, tab, newline
/// and carriage return escaped in text. ``finish()`` hands the bytes over (and must be called).
struct CopyText {
    private var base: UnsafeMutablePointer<UInt8>
    private var count = 0
    private var capacity: Int
    private var first = true

    init(capacity: Int) {
        self.capacity = max(capacity, 256)
        base = .allocate(capacity: self.capacity)
    }

    /// The rows written, as a buffer; the memory is released.
    mutating func finish() -> ByteBuffer {
        let buffer = ByteBuffer(bytes: UnsafeBufferPointer(start: base, count: count))
        base.deallocate()
        base = .allocate(capacity: 1)
        capacity = 1
        count = 0
        return buffer
    }

    @inline(__always) private mutating func reserve(_ n: Int) {
        guard count + n > capacity else { return }
        var grown = capacity * 2
        while count + n > grown { grown *= 2 }
        let bigger = UnsafeMutablePointer<UInt8>.allocate(capacity: grown)
        bigger.update(from: base, count: count)
        base.deallocate()
        base = bigger
        capacity = grown
    }

    @inline(__always) private mutating func byte(_ b: UInt8) {
        reserve(1)
        base[count] = b
        count += 1
    }

    @inline(__always) private mutating func separate() {
        if first { first = false } else { byte(UInt8(ascii: "\t")) }
    }

    /// Ends the current row.
    mutating func endRow() {
        byte(UInt8(ascii: "\n"))
        first = true
    }

    mutating func null() {
        separate()
        reserve(2)
        base[count] = UInt8(ascii: "\\")
        base[count + 1] = UInt8(ascii: "N")
        count += 2
    }

    mutating func int(_ value: Int64) {
        separate()
        reserve(21)
        var v = value.magnitude
        if value < 0 {
            base[count] = UInt8(ascii: "-")
            count += 1
        }
        // Digits backwards at the end of the reserved space, then moved into place.
        var digits = 0
        var end = count + 19
        repeat {
            base[end] = UInt8(ascii: "0") &+ UInt8(truncatingIfNeeded: v % 10)
            v /= 10
            end -= 1
            digits += 1
        } while v > 0
        (base + count).update(from: base + end + 1, count: digits)
        count += digits
    }

    mutating func int(_ value: Int64?) { if let value { int(value) } else { null() } }

    /// The shortest text that reads back as the same double (PostgreSQL parses it exactly).
    mutating func double(_ value: Double?) {
        guard let value else { return null() }
        separate()
        var text = value.description
        text.withUTF8 { raw($0) }
    }

    mutating func text(_ value: String?) {
        guard var value else { return null() }
        separate()
        let done: Void? = value.utf8.withContiguousStorageIfAvailable { write($0) }
        if done == nil { value.withUTF8 { write($0) } }
    }

    @inline(__always) private mutating func raw(_ bytes: UnsafeBufferPointer<UInt8>) {
        reserve(bytes.count)
        if bytes.count > 0 { (base + count).update(from: bytes.baseAddress!, count: bytes.count) }
        count += bytes.count
    }

    private mutating func write(_ bytes: UnsafeBufferPointer<UInt8>) {
        // Most text has nothing to escape: copy it whole.
        var plain = true
        for b in bytes where b == UInt8(ascii: "\\") || b == UInt8(ascii: "\t") || b == UInt8(ascii: "\n") || b == UInt8(ascii: "\r") {
            plain = false
            break
        }
        if plain { return raw(bytes) }
        reserve(bytes.count * 2)
        for b in bytes {
            switch b {
            case UInt8(ascii: "\\"), UInt8(ascii: "\t"), UInt8(ascii: "\n"), UInt8(ascii: "\r"):
                base[count] = UInt8(ascii: "\\")
                base[count + 1] = b == UInt8(ascii: "\t") ? UInt8(ascii: "t") : b == UInt8(ascii: "\n") ? UInt8(ascii: "n")
                    : b == UInt8(ascii: "\r") ? UInt8(ascii: "r") : b
                count += 2
            default:
                base[count] = b
                count += 1
            }
        }
    }
}
