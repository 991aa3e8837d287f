import Foundation
import Testing
import VigilCore
@testable import VigilRegistry

/// Registry errors say which kind of failure they are, so the API answers 404, 422, 409 or 502.
@Suite struct RegistryErrorKindTests {
    /// A loopback port nothing listens on: bound, read, closed.
    static func closedLoopbackPort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = 0
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        try withUnsafeMutablePointer(to: &address) { pointer in
            try pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                guard bind(fd, raw, length) == 0, getsockname(fd, raw, &length) == 0 else { throw RegistryError("cannot bind a loopback socket") }
            }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    @Test func anUnreachableMLflowIsUnavailableNotARefusal() throws {
        let registry = try MLflowRegistry(baseURL: "http://127.0.0.1:\(try Self.closedLoopbackPort())", timeout: 5)
        do {
            _ = try registry.versions(model: "shelf-classifier")
            Issue.record("listing versions on a closed port succeeded")
        } catch let error as RegistryError {
            #expect(error.kind == .unavailable)
            #expect(error.description.contains("Is the server running?"))
        }
    }

    @Test func aURLThatIsNotHTTPIsAnInvalidRequest() {
        #expect(throws: RegistryError.self) { try MLflowRegistry(baseURL: "ftp://127.0.0.1:5000") }
        do { _ = try MLflowRegistry(baseURL: "ftp://127.0.0.1:5000") } catch let error as RegistryError {
            #expect(error.kind == .invalidRequest)
        } catch { Issue.record("unexpected \(error)") }
    }
}
