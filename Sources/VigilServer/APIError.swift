import Foundation
import Hummingbird
import VigilCore
import VigilRegistry
import VigilStore

/// An error meant for the API client: an HTTP status, a stable code and a message that says
/// what to do. Everything else a handler throws becomes a 500 without details (they go to the log).
public struct APIError: Error, Sendable {
    public var status: HTTPResponse.Status
    /// Stable machine-readable code, e.g. `unauthorized`, `payload_too_large`.
    public var code: String
    public var message: String

    public init(_ status: HTTPResponse.Status, _ code: String, _ message: String) {
        self.status = status
        self.code = code
        self.message = message
    }

    static func badRequest(_ message: String) -> APIError { APIError(.badRequest, "bad_request", message) }
    static func notFound(_ message: String) -> APIError { APIError(.notFound, "not_found", message) }
    static func tooLarge(_ message: String) -> APIError { APIError(.contentTooLarge, "payload_too_large", message) }
    static let unauthorized = APIError(.unauthorized, "unauthorized",
                                       "missing or invalid bearer token: send `Authorization: Bearer vgl_…` (create one with `vigil tokens create`)")

    /// The `WWW-Authenticate` value of every 401 (RFC 6750).
    static let bearerChallenge = "Bearer realm=\"vigil\""

    /// The JSON body: `{"error": code, "message": …, "request_id": …}`.
    func body(requestID: String) -> String {
        "{\"error\":\(JSONText.quote(code)),\"message\":\(JSONText.quote(message)),\"request_id\":\(JSONText.quote(requestID))}"
    }

    /// The API error for a registry error, by its kind.
    static func from(_ error: RegistryError) -> APIError {
        switch error.kind {
        case .notFound: APIError(.notFound, "not_found", error.description)
        case .invalidRequest: APIError(.unprocessableContent, "invalid_request", error.description)
        case .refused: APIError(.conflict, "registry_refused", error.description)
        case .unavailable: APIError(.badGateway, "registry_unavailable", error.description)
        }
    }

    /// The API error for a queue refusal.
    static func from(_ error: QueueError) -> APIError {
        switch error {
        case .unknownAssignment: APIError(.notFound, "not_found", error.description)
        case .notYours: APIError(.forbidden, "not_your_claim", error.description)
        case .leaseLost: APIError(.conflict, "lease_lost", error.description)
        case .finished: APIError(.conflict, "claim_finished", error.description)
        case .unknownClass: APIError(.unprocessableContent, "unknown_class", error.description)
        case .cannotUndo: APIError(.conflict, "cannot_undo", error.description)
        }
    }
}
