import Foundation

/// Runs blocking work (SQLite, the scheduler's jobs, webhook delivery) on Dispatch threads, so
/// it never occupies the cooperative pool that serves requests.
enum Blocking {
    private static let queue = DispatchQueue(label: "vigil.server.blocking", qos: .userInitiated, attributes: .concurrent)

    static func run<T: Sendable>(_ body: @escaping @Sendable () throws -> T) async throws -> T {
        try await withCheckedThrowingContinuation { continuation in
            queue.async { continuation.resume(with: Result { try body() }) }
        }
    }
}
