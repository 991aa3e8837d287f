import Foundation
import Testing
import VigilCore
import VigilJobs

/// The files the repository ships stay valid.
@Suite struct RepositoryContentTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().path

    @Test func examplePoliciesParseAndCheck() throws {
        let dir = Self.root + "/policies"
        let policies = try PolicyLoader.loadAll(directory: dir)
        #expect(!policies.isEmpty)
        #expect(policies.allSatisfy { $0.problems().isEmpty })
    }

    @Test func initWritesThePolicyThatShips() throws {
        let shipped = try String(contentsOfFile: Self.root + "/policies/example-classifier.yaml", encoding: .utf8)
        #expect(shipped == ExamplePolicies.yaml(ExamplePolicies.classifier))
    }
}
