import Foundation
import Testing
import VigilAlerts
import VigilJobs

/// The fence on its own: CIDR blocks (IPv4, IPv6, mapped IPv4), the always-refused ranges,
/// `delivery.allowed_networks` / `denied_networks`, and how a bad entry is reported.
@Suite struct NetworkFenceTests {
    func ip(_ text: String) throws -> IPAddress { try #require(IPAddress(text), "\(text)") }
    func block(_ text: String) throws -> CIDRBlock { try #require(CIDRBlock(text), "\(text)") }

    @Test func ipv4Blocks() throws {
        let ten = try block("10.0.0.0/8")
        #expect(ten.contains(try ip("10.255.1.2")))
        #expect(!ten.contains(try ip("11.0.0.0")))
        #expect(!ten.contains(try ip("::1")), "an IPv4 block holds no IPv6 address")
        #expect(try block("127.0.0.2/8").description == "127.0.0.0/8", "host bits are ignored")
        #expect(try block("127.0.0.2").description == "127.0.0.2/32", "a bare address is one host")
        #expect(try block("0.0.0.0/0").contains(try ip("203.0.113.9")))
    }

    @Test func ipv6Blocks() throws {
        let ula = try block("fd00::/8")
        #expect(ula.contains(try ip("fd12:3456::1")))
        #expect(!ula.contains(try ip("fe80::1")))
        #expect(!ula.contains(try ip("10.0.0.1")))
        #expect(try block("::1").description == "::1/128")
        #expect(try block("2001:db8::1/32").description == "2001:db8::/32")
    }

    @Test func mappedIPv4IsTheIPv4Address() throws {
        #expect(try ip("::ffff:169.254.169.254") == (try ip("169.254.169.254")))
        #expect(try ip("::ffff:a9fe:a9fe").description == "169.254.169.254")
        #expect(try block("::ffff:10.0.0.0/104") == (try block("10.0.0.0/8")), "a mapped block is the IPv4 block")
        #expect(try block("::ffff:0:0/96").contains(try ip("192.0.2.1")), "the mapped range holds every IPv4 address")
        #expect(NetworkFence().refusal(of: try ip("::ffff:169.254.169.254")) != nil)
        let denied = NetworkFence(denied: [try block("10.0.0.0/8")])
        #expect(denied.refusal(of: try ip("::ffff:10.1.1.1"))?.reason == "inside delivery.denied_networks 10.0.0.0/8")
    }

    @Test func zoneIDsNameAnInterfaceNotAnAddress() throws {
        #expect(try ip("fe80::1%eth0").description == "fe80::1")
        #expect(try ip("[fe80::1%25eth0]").description == "fe80::1")
        #expect(NetworkFence().refusal(of: try ip("fe80::1%eth0"))?.configurable == false)
        #expect(CIDRBlock("fe80::%eth0/64") == nil, "a block has no zone")
    }

    @Test func linkLocalAndMetadataAreAlwaysRefused() throws {
        let open = NetworkFence(allowed: [try block("0.0.0.0/0"), try block("::/0")])
        for address in ["169.254.169.254", "169.254.0.1", "fe80::1", "febf::1", "fd00:ec2::254"] {
            let refusal = open.refusal(of: try ip(address))
            #expect(refusal?.configurable == false, "\(address)")
            #expect(refusal?.reason.contains("never sends to") == true, "\(address)")
        }
        #expect(open.refusal(of: try ip("fd00:ec2::253")) == nil)
        #expect(open.refusal(of: try ip("169.255.0.1")) == nil)
        #expect(NetworkFence().refusal(of: try ip("169.254.169.254"))?.reason.contains("169.254.0.0/16") == true)
    }

    @Test func loopbackAndPrivateRangesAreAllowedByDefault() throws {
        for address in ["127.0.0.1", "127.0.0.2", "::1", "10.1.2.3", "172.16.0.1", "192.168.1.1", "fd12::1", "203.0.113.7"] {
            #expect(NetworkFence().refusal(of: try ip(address)) == nil, "\(address)")
        }
    }

    @Test func allowedFencesInAndDeniedWins() throws {
        let fence = NetworkFence(allowed: [try block("10.0.0.0/8"), try block("127.0.0.0/8")], denied: [try block("10.9.0.0/16")])
        #expect(fence.refusal(of: try ip("10.1.0.1")) == nil)
        #expect(fence.refusal(of: try ip("10.9.0.1"))?.reason == "inside delivery.denied_networks 10.9.0.0/16")
        #expect(fence.refusal(of: try ip("192.168.0.1"))?.reason == "outside delivery.allowed_networks (10.0.0.0/8, 127.0.0.0/8)")
        #expect(fence.refusal(of: try ip("::1"))?.configurable == true)
        #expect(NetworkFence(allowed: []).refusal(of: try ip("127.0.0.1"))?.reason == "outside delivery.allowed_networks (an empty list)")
    }

    @Test func badBlocksAreNotBlocks() {
        for text in ["10.0.0.0/33", "fd00::/129", "10.0.0/8", "10.0.0.0/-1", "10.0.0.0/+8", "10.0.0.0/", "10.0.0.0/8/8",
                     "example.com/8", "", "/8", "10.0.0.0/ 8", "010.0.0.0/8"] {
            #expect(CIDRBlock(text) == nil, "\(text)")
        }
    }

    /// Parsed with vigil.yaml's strict decoding: the new keys are known, a bad entry names the key and its index.
    @Test func vigilYAMLKeysAndBadEntries() throws {
        let config = try ConfigurationFile.decode(WorkspaceConfig.self, from: """
            delivery:
              allowed_networks: [10.0.0.0/8, "fd00::/8"]
              denied_networks: [10.9.0.0/16]
            """, path: "vigil.yaml")
        #expect(config.delivery.allowedNetworks?.map(\.description) == ["10.0.0.0/8", "fd00::/8"])
        #expect(config.delivery.fence.denied.map(\.description) == ["10.9.0.0/16"])
        #expect(try ConfigurationFile.decode(WorkspaceConfig.self, from: "store: sqlite:x.db\n", path: "vigil.yaml").delivery.fence == NetworkFence())
        do {
            _ = try ConfigurationFile.decode(WorkspaceConfig.self, from: "delivery:\n  denied_networks: [10.0.0.0/8, 10.0.0.0/33]\n", path: "vigil.yaml")
            Issue.record("a bad CIDR block was accepted")
        } catch {
            #expect("\(error)" == "vigil.yaml: delivery.denied_networks[1]: '10.0.0.0/33' is not a CIDR block (like 10.0.0.0/8 or fd00::/8)")
        }
    }
}
