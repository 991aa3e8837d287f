import Foundation
import VigilCore

/// The API tokens of `vigil serve` (`vigil tokens create|list|revoke`) and the secret its
/// signed report links are made with.
public protocol TokenStore {
    /// Stores a new token; throws when its key exists.
    func createToken(_ token: APITokenRecord, actor: String) throws
    /// Every token, newest first (revoked ones too when asked).
    func tokens(includeRevoked: Bool) throws -> [APITokenRecord]
    /// Revokes the token with `key`; false when there is no live token with that key.
    func revokeToken(key: String, now: Int64, actor: String) throws -> Bool
    /// The secret that signs the report links alerts carry (so `vigil serve` opens them without
    /// a token): the stored one, or `candidate` stored now when there is none yet. The first
    /// caller wins, so every process that opens the store gets the same bytes.
    func reportLinkSecret(candidate: [UInt8]) throws -> [UInt8]
}
