import ArgumentParser
import Foundation
import VigilCore
import VigilServer
import VigilStore
import VigilWorkspace

struct Tokens: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Create, list and revoke the bearer tokens of `vigil serve`.",
        discussion: """
            Scopes: ingest (POST predictions and labels), review (the review API; the token's name is the reviewer), read (models, evaluations, drift, alerts, /metrics), metrics (/metrics only, for a Prometheus scraper), admin (everything). The token is printed once; only its SHA-256 is stored.

              vigil tokens create --scope ingest --name model-server
              vigil tokens create --scope review --name alice@example.com
              vigil tokens create --scope metrics --name prometheus
              vigil tokens list
              vigil tokens revoke 3f9a0c1d2e4b
            """,
        subcommands: [TokensCreate.self, TokensList.self, TokensRevoke.self])
}

extension TokenScope: ExpressibleByArgument {}

struct TokensCreate: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "create", abstract: "Create a token and print it (shown once).")

    @Option(parsing: .singleValue, help: "A scope: \(TokenScope.names) (repeat for several).") var scope: [TokenScope]
    @Option(help: "Who holds it; for review tokens, the reviewer's identity.") var name: String
    @OptionGroup var workspace: WorkspaceOptions

    func validate() throws {
        if scope.isEmpty { throw ValidationError("give at least one --scope (\(TokenScope.names))") }
        if name.trimmingCharacters(in: .whitespaces).isEmpty { throw ValidationError("--name must not be empty") }
    }

    func run() throws {
        let token = try reportingErrors(exitCode: 1) { () throws -> String in
            let store = try workspace.workspace().openStore()
            let (token, record) = APITokens.generate(name: name, scopes: scope, now: Timestamp.millis(try workspace.clock().now))
            try store.createToken(record, actor: "cli")
            return token
        }
        print(token)
        printError("token for '\(name)' with scopes \(Array(Set(scope)).sorted().map(\.rawValue).joined(separator: ",")): store it now, it is not shown again")
    }
}

struct TokensList: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "list", abstract: "List tokens (never their secrets).")

    @Flag(help: "Include revoked tokens.") var all = false
    @Option(help: "Output: table or json.") var format: ListFormat = .table
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let tokens = try reportingErrors(exitCode: 1) { try workspace.workspace().openStore().tokens(includeRevoked: all) }
        switch format {
        case .json: print(try jsonText(tokens))
        case .table:
            if tokens.isEmpty { print("no tokens: create one with `vigil tokens create --scope … --name …`") }
            for t in tokens {
                let state = t.revokedAt.map { "revoked \(Timestamp.format(millis: $0))" } ?? "live"
                print("\(t.key)  \(t.name)  \(t.scopes.map(\.rawValue).joined(separator: ","))  created \(Timestamp.format(millis: t.createdAt))  \(state)")
            }
        }
    }
}

struct TokensRevoke: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "revoke", abstract: "Revoke a token by its key (the 12 hex digits after vgl_).")

    @Argument(help: "The token's key, or the whole token.") var key: String
    @OptionGroup var workspace: WorkspaceOptions

    func run() throws {
        let k = APITokens.key(of: key) ?? key
        let revoked = try reportingErrors(exitCode: 1) {
            try workspace.workspace().openStore().revokeToken(key: k, now: Timestamp.millis(try workspace.clock().now), actor: "cli")
        }
        guard revoked else {
            printError("vigil: no live token with key \(k) (`vigil tokens list --all` shows them)")
            throw ExitCode(1)
        }
        print("revoked \(k)")
    }
}
