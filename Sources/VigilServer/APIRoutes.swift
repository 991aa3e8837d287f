import Foundation
import VigilCore
import Hummingbird
import VigilStore
import VigilAlerts

/// A group of routes in its own file (`HealthRoutes`, `IngestRoutes`, …). Adding a group to
/// the server is one file and one line in ``APIRoutes/groups``; docs/openapi.yaml must list
/// its routes (a test compares both).
public protocol RouteGroup {
    static func register(on routes: APIRoutes)
}

/// Registers handlers on the router, each behind the scope it needs.
public struct APIRoutes {
    /// Every route group of the server, in registration order.
    public static var groups: [any RouteGroup.Type] {[
        HealthRoutes.self,
        IngestRoutes.self,
        ModelRoutes.self,
        ReviewRoutes.self,
        AlertRoutes.self,
        RegistryRoutes.self,
        MetricsRoutes.self,
        ReportPageRoutes.self,
    ]}

    public typealias Handler = @Sendable (Request, VigilRequestContext, ServerEnvironment) async throws -> Response

    let router: Router<VigilRequestContext>
    public let environment: ServerEnvironment
    let table: RouteTable

    /// Adds `handler` for `method path`; with a `scope`, only for a bearer token that has it
    /// (or `admin`): 401 without a valid token, 403 with one that lacks the scope.
    public func on(_ method: HTTPRequest.Method, _ path: String, scope: TokenScope?, _ handler: @escaping Handler) {
        let env = environment
        table.add(method, path)
        router.on(RouterPath(path), method: method, use: { request, context -> Response in
            var context = context
            if let scope {
                let principal = try await env.tokens.authenticate(authorization: request.headers[.authorization])
                guard principal.allows(scope) else {
                    throw APIError(.forbidden, "forbidden", "this token (\(principal.key), \(principal.name)) lacks the '\(scope.rawValue)' scope: create one with `vigil tokens create --scope \(scope.rawValue) --name …`")
                }
                context.principal = principal
                context.logger[metadataKey: "token"] = .string(principal.key)
            }
            return try await handler(request, context, env)
        })
    }

    /// What a page handler renders: the page's model (and run), and how links on it are made.
    public typealias PageHandler = @Sendable (ReportPage, Request, VigilRequestContext, ServerEnvironment) async throws -> String

    /// Adds a read-only HTML page for people at `path` (`GET`), whose parameters `{model}` and
    /// `{run}` (optional) name what it shows. It opens with a `read` token or with a signed
    /// link made for exactly this page (``PageAccess``); errors come back as an HTML page (not
    /// JSON) that says what to do.
    public func page(_ path: String, _ handler: @escaping PageHandler) {
        on(.get, path, scope: nil) { request, context, env in
            do {
                let (model, runID) = try ReportPage.target(context)
                let grant = try await PageAccess.authorize(request, path: ReportLinks.path(model: model, runID: runID), env: env)
                var context = context
                if case .token(let principal) = grant {
                    context.principal = principal
                    context.logger[metadataKey: "token"] = .string(principal.key)
                }
                return .html(try await handler(ReportPage(model: model, runID: runID, grant: grant), request, context, env))
            } catch let error as APIError {
                var response = Response.html(ReportPage.errorPage(error, requestID: context.id), status: error.status)
                if error.status == .unauthorized { response.headers[.wwwAuthenticate] = APIError.bearerChallenge }
                return response
            }
        }
    }

    /// The router with every group's routes and the error, request-id and metrics middleware.
    public static func router(_ environment: ServerEnvironment) -> Router<VigilRequestContext> {
        let router = Router(context: VigilRequestContext.self)
        let table = RouteTable()
        router.add(middleware: ServerMiddleware(environment: environment, table: table))
        let routes = APIRoutes(router: router, environment: environment, table: table)
        for group in groups { group.register(on: routes) }
        return router
    }
}

extension Response {
    /// An HTML page for a browser: not cached, and no referrer sent from it (its URL may hold a signed link).
    static func html(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer()
        buffer.writeString(text)
        return Response(status: status, headers: [.contentType: "text/html; charset=utf-8", .cacheControl: "private, no-store",
                                                  HTTPFields.Element.Name("Referrer-Policy")!: "no-referrer"],
                        body: .init(byteBuffer: buffer))
    }

    /// A JSON response from already-encoded text.
    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        var buffer = ByteBuffer()
        buffer.writeString(text)
        return Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: buffer))
    }

    /// A JSON response of an `Encodable` value (snake_case keys).
    static func json<T: Encodable>(_ value: T, status: HTTPResponse.Status = .ok) throws -> Response {
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return json(String(decoding: try encoder.encode(value), as: UTF8.self), status: status)
    }
}

/// Turns every error into a JSON body with a request id (a 401 with `WWW-Authenticate: Bearer`; no stack traces, no SQL: unexpected
/// errors are logged with the id and answered with a bare 500), adds `X-Request-Id`, logs the
/// request and records its duration.
struct ServerMiddleware: RouterMiddleware {
    typealias Context = VigilRequestContext
    let environment: ServerEnvironment
    let table: RouteTable
    static let requestIDHeader = HTTPFields.Element.Name("X-Request-Id")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let started = ContinuousClock.now
        var response: Response
        do {
            response = try await next(request, context)
        } catch let error as APIError {
            response = .json(error.body(requestID: context.id), status: error.status)
            if error.status == .unauthorized { response.headers[.wwwAuthenticate] = APIError.bearerChallenge }
        } catch let error as any HTTPResponseError where error.status == .notFound && !table.methods(for: request.uri.path).isEmpty {
            // The path exists with other methods: 405 with Allow, not 404.
            let allowed = table.methods(for: request.uri.path)
            response = .json(APIError(.methodNotAllowed, "method_not_allowed", "\(request.method) is not allowed on \(request.uri.path); allowed: \(allowed.joined(separator: ", "))")
                .body(requestID: context.id), status: .methodNotAllowed)
            response.headers[.allow] = allowed.joined(separator: ", ")
        } catch let error as any HTTPResponseError {
            let status = error.status
            let message: String
            switch status {
            case .notFound: message = "no route \(request.method) \(request.uri.path): see docs/openapi.yaml"
            case .methodNotAllowed: message = "\(request.method) is not allowed on \(request.uri.path): see docs/openapi.yaml"
            case .contentTooLarge: message = "the request body is larger than server.max_body_bytes (\(environment.settings.maxBodyBytes) bytes): send smaller batches"
            default: message = status.reasonPhrase
            }
            let code = status == .contentTooLarge ? "payload_too_large" : status.reasonPhrase.lowercased().replacingOccurrences(of: " ", with: "_")
            response = .json(APIError(status, code, message).body(requestID: context.id), status: status)
        } catch {
            context.logger.error("request failed", metadata: ["error": .string("\(error)"), "path": .string(request.uri.path)])
            response = .json(APIError(.internalServerError, "internal", "internal error; the server log has the details under this request id")
                .body(requestID: context.id), status: .internalServerError)
        }
        response.headers[Self.requestIDHeader] = context.id
        let route = context.endpointPath ?? "unmatched"
        let elapsed = ContinuousClock.now - started
        environment.metrics.request(method: request.method.rawValue, route: route, status: response.status.code, duration: elapsed)
        if response.status.code >= 500 || environment.logger.logLevel <= .debug {
            context.logger.info("\(request.method) \(request.uri.path) \(response.status.code)", metadata: ["route": .string(route)])
        }
        return response
    }
}

/// The routes registered so far (method and path template), to tell a wrong method (405) from an
/// unknown path (404). Filled while the router is built, read-only afterwards.
final class RouteTable: @unchecked Sendable {
    private var routes: [(method: String, segments: [Substring])] = []

    func add(_ method: HTTPRequest.Method, _ path: String) {
        routes.append((method.rawValue, path.split(separator: "/")))
    }

    /// The methods of the templates `path` matches (`{name}` matches any one segment), sorted.
    func methods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        let matching = routes.filter { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { template, actual in template.first == "{" || template == actual }
        }
        return Set(matching.map(\.method)).sorted()
    }
}
