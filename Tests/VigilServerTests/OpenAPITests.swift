import Foundation
import Hummingbird
import Testing
import Yams
@testable import VigilServer

@Suite struct OpenAPITests {
    static let document = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("docs/openapi.yaml")

    /// `METHOD /path/{param}` for every operation of docs/openapi.yaml.
    static func documented() throws -> Set<String> {
        let text = try String(contentsOf: document, encoding: .utf8)
        guard let root = try Yams.load(yaml: text) as? [String: Any], let paths = root["paths"] as? [String: Any] else {
            Issue.record("docs/openapi.yaml has no paths")
            return []
        }
        var out: Set<String> = []
        let methods: Set<String> = ["get", "put", "post", "delete", "patch", "head", "options", "trace"]
        for (path, item) in paths {
            for key in (item as? [String: Any] ?? [:]).keys where methods.contains(key) {
                out.insert("\(key.uppercased()) \(path)")
            }
        }
        return out
    }

    @Test func theDocumentListsExactlyTheRoutesOfTheRouter() throws {
        let bed = try ServerTestBed()
        defer { bed.remove() }
        let router = APIRoutes.router(bed.environment)
        let routed = Set(router.routes.map { "\($0.method.rawValue) \($0.path.description)" })
        let documented = try Self.documented()
        #expect(!routed.isEmpty)
        #expect(routed.subtracting(documented).sorted() == [], "routes missing from docs/openapi.yaml")
        #expect(documented.subtracting(routed).sorted() == [], "documented operations the router does not have")
    }

    @Test func theDocumentIsOpenAPI31WithABearerScheme() throws {
        let root = try Yams.load(yaml: String(contentsOf: Self.document, encoding: .utf8)) as? [String: Any]
        #expect(root?["openapi"] as? String == "3.1.0")
        let schemes = ((root?["components"] as? [String: Any])?["securitySchemes"] as? [String: Any])?["bearer"] as? [String: Any]
        #expect(schemes?["scheme"] as? String == "bearer")
    }
}
