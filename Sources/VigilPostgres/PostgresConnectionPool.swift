import Foundation
import PostgresNIO

/// A small pool of connections to one database, checked out by the calling thread for the
/// length of one store operation (a transaction needs its connection to itself).
final class PostgresConnectionPool: @unchecked Sendable {
    private let configuration: PostgresConnection.Configuration
    private let logger: Logger
    private let condition = NSCondition()
    private var idle: [PostgresConnection] = []
    private var open = 0
    private var nextID = 0
    /// At most this many connections at once; further callers wait for one.
    let limit: Int

    init(configuration: PostgresConnection.Configuration, limit: Int = 16, logger: Logger = Logger(label: "vigil.postgres")) {
        self.configuration = configuration
        self.limit = limit
        var logger = logger
        logger.logLevel = .error
        self.logger = logger
    }

    deinit {
        // postgres-nio insists that a connection is closed before it goes away.
        for c in idle where !c.isClosed { _ = try? c.close().wait() }
    }

    /// Runs `body` with a connection of its own.
    func withSession<T>(_ body: (PostgresSession) throws -> T) throws -> T {
        let connection = try checkout()
        do {
            let value = try body(PostgresSession(connection: connection, logger: logger))
            checkin(connection)
            return value
        } catch {
            checkin(connection)
            throw error
        }
    }

    private func checkout() throws -> PostgresConnection {
        condition.lock()
        while true {
            while let c = idle.popLast() {
                if !c.isClosed { condition.unlock(); return c }
                open -= 1
            }
            if open < limit { break }
            condition.wait()
        }
        open += 1
        nextID += 1
        let id = nextID
        condition.unlock()
        do {
            return try PostgresConnection.connect(on: PostgresConnection.defaultEventLoopGroup.any(), configuration: configuration,
                                                  id: id, logger: logger).wait()
        } catch {
            condition.lock()
            open -= 1
            condition.signal()
            condition.unlock()
            throw PostgresStore.describe(error, sql: nil)
        }
    }

    private func checkin(_ connection: PostgresConnection) {
        condition.lock()
        if connection.isClosed { open -= 1 } else { idle.append(connection) }
        condition.signal()
        condition.unlock()
    }
}
