import Foundation
import Testing
import VigilCore
@testable import VigilStore

/// `TokenStore`: API tokens stored by hash, listed newest first, revoked once.
@Suite struct TokenConformanceTests {
    @Test(arguments: Backend.all) func tokensAreCreatedListedAndRevoked(backend: Backend) throws {
        let c = try Conformance(backend)
        let store = c.store
        let ana = APITokenRecord(key: "k1", name: "ana", scopes: [.review, .read], hash: Array(0..<32), createdAt: 100)
        let ci = APITokenRecord(key: "k2", name: "ci", scopes: [.ingest], hash: [UInt8](repeating: 0xAB, count: 32), createdAt: 200)
        try store.createToken(ana, actor: "admin")
        try store.createToken(ci, actor: "admin")
        #expect(try store.tokens(includeRevoked: false) == [ci, ana])
        // A key is unique: a second token with it is refused and nothing changes.
        #expect(throws: (any Error).self) {
            try store.createToken(APITokenRecord(key: "k1", name: "mallory", scopes: [.admin], hash: [1], createdAt: 300), actor: "admin")
        }
        #expect(try store.tokens(includeRevoked: true).map(\.name) == ["ci", "ana"])
        let created = try c.events("token.create")
        #expect(created.map(\.subject) == ["token/k2", "token/k1"] && created.allSatisfy { $0.actor == "admin" && $0.model == nil })
        #expect(created.last?.ts == 100 && created.last?.details == #"{"scopes":["review","read"]}"#)
        // Revoking: true once for a live key, then false; unknown keys are false.
        #expect(try store.revokeToken(key: "k1", now: 500, actor: "admin"))
        #expect(try !store.revokeToken(key: "k1", now: 600, actor: "admin"))
        #expect(try !store.revokeToken(key: "nope", now: 600, actor: "admin"))
        #expect(try store.tokens(includeRevoked: false) == [ci])
        var revoked = ana
        revoked.revokedAt = 500
        #expect(try store.tokens(includeRevoked: true) == [ci, revoked])
        let events = try c.events("token.revoke")
        try #require(events.count > 0, "events has too few elements")
        #expect(events.count == 1 && events[0].subject == "token/k1" && events[0].ts == 500 && events[0].actor == "admin")
    }

    @Test(arguments: Backend.all) func theReportLinkSecretIsStoredOnceAndSharedByEveryConnection(backend: Backend) throws {
        let c = try Conformance(backend)
        let first = [UInt8](repeating: 0x11, count: 32), second = [UInt8](repeating: 0x22, count: 32)
        // The first caller's candidate is stored; later candidates are ignored.
        #expect(try c.store.reportLinkSecret(candidate: first) == first)
        #expect(try c.store.reportLinkSecret(candidate: second) == first)
        // Another connection to the same database (another process: the alerts job, `vigil serve`) gets the same secret.
        let other = try c.t.reopen()
        #expect(try other.reportLinkSecret(candidate: second) == first)
    }
}
