import Foundation
import PostgresNIO
import VigilStore

/// Where a PostgreSQL store is: `postgres://USER@HOST:PORT/DATABASE?sslmode=require&password_file=PATH`.
///
/// The password never needs to be in `vigil.yaml`: it comes from the URL's query option
/// `password_file` (a file holding it, trailing newline ignored), else from the environment
/// variable `VIGIL_PG_PASSWORD`, else from the URL itself (`USER:PASSWORD@…`, for tests).
///
/// ```swift
/// let location = try PostgresLocation(url: "postgres://vigil@db.internal:5432/vigil?sslmode=require")
/// ```
public struct PostgresLocation: Sendable, Equatable {
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    /// `disable` (the default) or `require` (TLS with the system's trust roots and host name check).
    public var sslMode: String

    /// Parses `url`; `environment` supplies `VIGIL_PG_PASSWORD`.
    public init(url: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let parts = URLComponents(string: url), parts.scheme == "postgres" || parts.scheme == "postgresql" else {
            throw StoreError("store: '\(url)' is not a PostgreSQL URL; write postgres://USER@HOST:PORT/DATABASE")
        }
        guard let host = parts.host, !host.isEmpty else { throw StoreError("store: '\(url)' names no host; write postgres://USER@HOST:PORT/DATABASE") }
        let database = String(parts.path.drop(while: { $0 == "/" }))
        guard !database.isEmpty else { throw StoreError("store: '\(url)' names no database; write postgres://USER@HOST:PORT/DATABASE") }
        self.host = host
        port = parts.port ?? 5432
        user = parts.user.flatMap { $0.removingPercentEncoding } ?? "postgres"
        self.database = database
        var options: [String: String] = [:]
        for item in parts.queryItems ?? [] { options[item.name] = item.value ?? "" }
        for name in options.keys where !["sslmode", "password_file"].contains(name) {
            throw StoreError("store: unknown option '\(name)' in the PostgreSQL URL (known: sslmode, password_file)")
        }
        sslMode = options["sslmode"] ?? "disable"
        guard ["disable", "require"].contains(sslMode) else {
            throw StoreError("store: sslmode=\(sslMode) is not supported; use sslmode=disable or sslmode=require")
        }
        if let file = options["password_file"] {
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else {
                throw StoreError("store: cannot read the password file \(file): check the path and its permissions")
            }
            password = text.trimmingCharacters(in: .newlines)
        } else if let env = environment["VIGIL_PG_PASSWORD"] {
            password = env
        } else {
            password = parts.password.flatMap { $0.removingPercentEncoding }
        }
    }

    /// The URL without its password, for messages.
    public var displayURL: String { "postgres://\(user)@\(host):\(port)/\(database)" }

    func configuration() throws -> PostgresConnection.Configuration {
        let tls: PostgresConnection.Configuration.TLS
        if sslMode == "require" {
            tls = .require(try NIOSSLContext(configuration: .makeClientConfiguration()))
        } else {
            tls = .disable
        }
        return PostgresConnection.Configuration(host: host, port: port, username: user, password: password, database: database, tls: tls)
    }
}
