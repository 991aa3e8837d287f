import Foundation
import Testing
@testable import VigilCore

/// The one rule for keys and `${VAR}` placeholders in configuration.
@Suite struct ConfigurationKeysTests {
    @Test func unknownKeysAreRefusedWithTheNearestAllowedKeyAndXKeysPass() throws {
        let json = #"{"metric": "accuracy", "warnnig": 0.99}"#
        #expect(throws: UnknownKeyError(path: [], key: "warnnig", allowed: ["metric", "warning", "critical", "drop", "class"])) {
            try JSONDecoder().decode(Threshold.self, from: Data(json.utf8))
        }
        let error = UnknownKeyError(path: [.key("thresholds"), .index(0)], key: "warnnig", allowed: ["metric", "warning"])
        #expect(error.suggestion == "warning")
        #expect(error.description.hasPrefix("thresholds[0]: unknown key `warnnig`; did you mean `warning`?"))
        #expect(UnknownKeyError(path: [], key: "colour", allowed: ["metric", "warning"]).suggestion == nil)
        let own = try JSONDecoder().decode(Threshold.self, from: Data(#"{"metric": "accuracy", "warning": 0.8, "x-owner": "vision"}"#.utf8))
        #expect(own.warning == 0.8)
    }

    @Test func editDistance() {
        #expect(EditDistance.between("warnnig", "warning") == 2)
        #expect(EditDistance.between("schedul", "schedule") == 1)
        #expect(EditDistance.between("", "abc") == 3)
    }

    @Test func placeholdersNeedTheirVariableUnlessADefaultIsStated() throws {
        let env = ["TOKEN": "t0k", "EMPTY": ""]
        #expect(try EnvironmentText.expand("Bearer ${TOKEN}", environment: env, field: "f") == "Bearer t0k")
        #expect(try EnvironmentText.expand("${NOPE:-fallback}", environment: env, field: "f") == "fallback")
        #expect(try EnvironmentText.expand("${EMPTY:-fallback}", environment: env, field: "f") == "fallback")
        #expect(try EnvironmentText.expand("${TOKEN:-fallback}", environment: env, field: "f") == "t0k")
        #expect(try EnvironmentText.expand("${NOPE:-}", environment: env, field: "f") == "")
        for (text, message) in [("${NOPE}", "f: the environment variable NOPE is not set"), ("${EMPTY}", "f: the environment variable EMPTY is empty"),
                                ("${TOKEN", "f: '${' without a closing '}'")] {
            do {
                _ = try EnvironmentText.expand(text, environment: env, field: "f")
                Issue.record("\(text) expanded")
            } catch {
                #expect(error.description.hasPrefix(message), "\(error.description)")
            }
        }
    }
}
