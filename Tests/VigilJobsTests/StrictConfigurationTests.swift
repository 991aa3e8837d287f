import Foundation
import Testing
import VigilCore
import VigilJobs
import VigilQuickstart

/// Refuse what is wrong at the door: a misspelt key in a policy or in vigil.yaml, or a `${VAR}`
/// that is not set, stops the real `vigil` binary with the file, the line and what to do.
@Suite struct StrictConfigurationTests {
    /// A workspace from `vigil init` whose policy is `policy` (see ``policy(_:)``).
    func workspace(policy: String = Self.policy(), vigilYAML extra: String = "") throws -> String {
        let root = NSTemporaryDirectory() + "vigil-strict-\(UUID().uuidString)"
        try Workspace.initialize(at: root, examplePolicy: ExamplePolicies.classifier)
        try policy.write(toFile: root + "/policies/shelf-classifier.yaml", atomically: true, encoding: .utf8)
        let config = try String(contentsOfFile: root + "/vigil.yaml", encoding: .utf8)
        try (config + extra).write(toFile: root + "/vigil.yaml", atomically: true, encoding: .utf8)
        return root
    }

    /// A valid classifier policy; `threshold` starts on line 8, `extra` goes at the end.
    static func policy(threshold: String = "warning: 0.80", schedule: String = "schedule", extra: String = "") -> String {
        """
        model: shelf-classifier
        task: classification
        classes: [\(ExampleData.classes.joined(separator: ", "))]
        evaluation:
          window: 7d
        thresholds:
          - metric: accuracy
            \(threshold)
        \(schedule):
          - {job: evaluate, cron: "0 1 * * *"}
        \(extra)
        """
    }

    func vigil(_ args: [String], _ root: String, environment: [String: String] = [:], unsetting: [String] = []) throws -> VigilProcess.Output {
        try VigilProcess.run(args + ["--workspace", root], environment: ["VIGIL_NOW": "2026-10-31T07:32:10Z"].merging(environment) { $1 },
                             unsetting: unsetting)
    }

    @Test func aMisspeltLevelFailsCheckAndEvaluateWithFileLineAndSuggestion() throws {
        // Beside a valid `critical`, the misspelt level used to pass silently: no warning level at all.
        let root = try workspace(policy: Self.policy(threshold: "critical: 0.60\n    warnnig: 0.99"))
        for command in [["check"], ["evaluate"]] {
            let r = try vigil(command, root)
            #expect(r.status != 0, "\(command): \(r.stdout)")
            #expect(r.stderr.contains("shelf-classifier.yaml:9: thresholds[0]: unknown key `warnnig`"), "\(command): \(r.stderr)")
            #expect(r.stderr.contains("did you mean `warning`?"), "\(r.stderr)")
        }
    }

    @Test func everyUnknownKeyIsNamedInLineOrderNotOnlyTheFirst() throws {
        let root = try workspace(policy: Self.policy(threshold: "warnnig: 0.80", schedule: "schedul"))
        let r = try vigil(["check"], root)
        #expect(r.status != 0, "\(r.stdout)")
        let first = r.stderr.range(of: "shelf-classifier.yaml:8: thresholds[0]: unknown key `warnnig`; did you mean `warning`?")
        let second = r.stderr.range(of: "shelf-classifier.yaml:9: unknown key `schedul`; did you mean `schedule`?")
        #expect(first != nil && second != nil, "\(r.stderr)")
        if let first, let second { #expect(first.lowerBound < second.lowerBound, "in line order: \(r.stderr)") }
    }

    @Test func aRepeatedKeyAndBrokenYAMLSayWhereAndWhat() throws {
        let repeated = try vigil(["check"], try workspace(policy: Self.policy(extra: "task: detection")))
        #expect(repeated.status != 0)
        #expect(repeated.stderr.contains("shelf-classifier.yaml:"), "\(repeated.stderr)")
        #expect(repeated.stderr.contains("the key `task` appears more than once in the same mapping"), "\(repeated.stderr)")
        let broken = try vigil(["check"], try workspace(policy: Self.policy(threshold: "warning: [0.80")))
        #expect(broken.status != 0)
        #expect(broken.stderr.contains("shelf-classifier.yaml:9:") && broken.stderr.contains("not valid YAML: did not find expected ',' or ']'"), "\(broken.stderr)")
        #expect(broken.stderr.contains("(while parsing a flow sequence that starts at line 8)"), "\(broken.stderr)")
        for r in [repeated, broken] { #expect(!r.stderr.contains("The given data was not valid YAML"), "\(r.stderr)") }
    }

    @Test func aMisspeltScheduleFailsTick() throws {
        let root = try workspace(policy: Self.policy(schedule: "schedul"))
        let r = try vigil(["tick"], root)
        #expect(r.status != 0, "\(r.stdout)")
        #expect(r.stderr.contains("shelf-classifier.yaml:9: unknown key `schedul`; did you mean `schedule`?"), "\(r.stderr)")
    }

    @Test func unknownKeysInVigilYAMLFailAtTopLevelAndInSections() throws {
        for (extra, expected) in [
            ("retension: 90d\n", "vigil.yaml:"),
            ("delivery:\n  timeout: 15s\n  max_attempt: 3\n", "delivery: unknown key `max_attempt`; did you mean `max_attempts`?"),
            ("server:\n  prot: 8080\n", "server: unknown key `prot`; did you mean `port`?"),
        ] {
            let root = try workspace(vigilYAML: extra)
            let r = try vigil(["check"], root)
            #expect(r.status == 1, "\(extra): \(r.stdout)")
            #expect(r.stderr.contains(expected), "\(extra): \(r.stderr)")
        }
        let top = try vigil(["check"], try workspace(vigilYAML: "retension: 90d\n"))
        #expect(top.stderr.contains("unknown key `retension`; did you mean `retention`?"), "\(top.stderr)")
    }

    @Test func keysStartingWithXAreTheUsersOwnAndFreeFormMapsStayFree() throws {
        let policy = Self.policy(threshold: "warning: 0.80\n    x-owner: vision", extra: """
            x-team: foo
            drift:
              reference: training
              training_distribution: {\(ExampleData.classes.map { "\($0): 0.1" }.joined(separator: ", "))}
            """)
        let root = try workspace(policy: policy, vigilYAML: "x-team: foo\n")
        let r = try vigil(["check"], root)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("configuration: vigil.yaml, 1 policies (shelf-classifier)"), "\(r.stdout)")
    }

    @Test func anUnsetRegistryTokenFailsNamingTheVariableAndADefaultWorks() throws {
        let registry = "registry:\n  backend: mlflow\n  url: http://127.0.0.1:9\n  token: ${MLFLOW_TRACKING_TOKEN}\n"
        let root = try workspace(vigilYAML: registry)
        for command in [["check"], ["registry", "list", "--model", "shelf-classifier"]] {
            let r = try vigil(command, root, unsetting: ["MLFLOW_TRACKING_TOKEN"])
            #expect(r.status == 1, "\(command): \(r.stdout)")
            #expect(r.stderr.contains("registry.token: the environment variable MLFLOW_TRACKING_TOKEN is not set"), "\(command): \(r.stderr)")
        }
        let empty = try vigil(["check"], root, environment: ["MLFLOW_TRACKING_TOKEN": ""])
        #expect(empty.status == 1 && empty.stderr.contains("MLFLOW_TRACKING_TOKEN is empty"), "\(empty.stderr)")

        let fallback = try workspace(vigilYAML: registry.replacingOccurrences(of: "${MLFLOW_TRACKING_TOKEN}", with: "${VIGIL_TEST_UNSET:-fallback}"))
        let r = try vigil(["check"], fallback, unsetting: ["VIGIL_TEST_UNSET"])
        #expect(r.status == 0, "an unreachable registry is a warning, not an error: \(r.stderr)")
        #expect(r.stdout.contains("warning: registry: MLflow at http://127.0.0.1:9"), "\(r.stdout)")
        #expect(try Workspace.locate(from: fallback).registryToken(environment: [:]) == "fallback")
    }

    @Test func checkSaysWhetherTheRegistryAnswers() throws {
        let server = try LoopbackWebhookReceiver()
        defer { server.stop() }
        let root = try workspace(vigilYAML: "registry:\n  backend: mlflow\n  url: \(server.url)\n  token: t0ken\n")
        let r = try vigil(["check"], root)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("registry: MLflow at \(server.url) answers"), "\(r.stdout)")
        let probe = server.requests().first
        #expect(probe?.path.hasPrefix("/api/2.0/mlflow/registered-models/search") == true, "\(server.requests())")
        #expect(probe?.headers.first { $0.key.lowercased() == "authorization" }?.value == "Bearer t0ken")
    }

    @Test func aTemplateThatRendersInvalidJSONFailsCheck() throws {
        let receivers = "receivers:\n  - {name: hook, kind: webhook, url: \"http://127.0.0.1:9/hook\", template: alerts/mine.mustache}\n"
        let root = try workspace(vigilYAML: receivers)
        try FileManager.default.createDirectory(atPath: root + "/alerts", withIntermediateDirectories: true)
        try #"{"text": {{message}}}"#.write(toFile: root + "/alerts/mine.mustache", atomically: true, encoding: .utf8)
        let r = try vigil(["check"], root)
        #expect(r.status == 1, "\(r.stdout)")
        #expect(r.stderr.contains("alerts/mine.mustache: the rendered body is not valid JSON"), "\(r.stderr)")
        try #"{"text": "{{message}}"}"#.write(toFile: root + "/alerts/mine.mustache", atomically: true, encoding: .utf8)
        let fixed = try vigil(["check"], root)
        #expect(fixed.status == 0, "\(fixed.stderr)")
    }

    @Test func anUnsetReceiverSecretIsReportedUpFrontNotAtSendTime() throws {
        let receivers = "receivers:\n  - {name: hook, kind: webhook, url: \"http://127.0.0.1:9/hook\", secret: \"${VIGIL_TEST_HOOK_SECRET}\"}\n"
        let root = try workspace(vigilYAML: receivers)
        let r = try vigil(["check"], root, unsetting: ["VIGIL_TEST_HOOK_SECRET"])
        #expect(r.status == 1, "\(r.stdout)")
        #expect(r.stderr.contains("receivers[hook].secret: the environment variable VIGIL_TEST_HOOK_SECRET is not set"), "\(r.stderr)")
        let set = try vigil(["check"], root, environment: ["VIGIL_TEST_HOOK_SECRET": "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"])
        #expect(set.status == 0, "\(set.stderr)")
    }

    /// A value outside a closed list names the list: `review.on_disagreement`.
    @Test func anUnknownDisagreementRuleNamesTheRules() throws {
        let good = try workspace(policy: Self.policy(extra: "review:\n  on_disagreement: review_wins"))
        #expect(try vigil(["check"], good).status == 0)
        let bad = try workspace(policy: Self.policy(extra: "review:\n  on_disagreement: reviewer_wins"))
        let check = try vigil(["check"], bad)
        #expect(check.status == 1 && check.stderr.contains("review.on_disagreement: 'reviewer_wins' is not a rule; use one of keep_truth, review_wins"),
                "\(check.stdout)\(check.stderr)")
    }

    /// `server.metrics_auth` allows `token` (the default) and `none`, and names them otherwise.
    @Test func anUnknownMetricsAuthNamesTheAllowedValues() throws {
        #expect(try vigil(["check"], try workspace(vigilYAML: "server:\n  metrics_auth: none\n")).status == 0)
        let check = try vigil(["check"], try workspace(vigilYAML: "server:\n  metrics_auth: basic\n"))
        #expect(check.status == 1 && check.stderr.contains("vigil.yaml: server.metrics_auth: 'basic' is not allowed; use one of token, none"),
                "\(check.stdout)\(check.stderr)")
    }
}
