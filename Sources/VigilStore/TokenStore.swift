import Foundation
import VigilCore

/// The API tokens of `vigil serve` (`vigil tokens create|list|revoke`).
public protocol TokenStore {
    /// Stores a new token; throws when its key exists.
    func createToken(_ token: APITokenRecord, actor: String) throws
    /// Every token, newest first (revoked ones too when asked).
    func tokens(includeRevoked: Bool) throws -> [APITokenRecord]
    /// Revokes the token with `key`; false when there is no live token with that key.
    func revokeToken(key: String, now: Int64, actor: String) throws -> Bool
}
