import ArgumentParser
import Foundation
import Logging
import VigilJobs
import VigilServer

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the HTTP API, with the scheduler and the alert deliverer in the same process.",
        discussion: """
            Routes, scopes, limits and metrics: docs/server.md and docs/openapi.yaml. Every /v1 route needs a bearer token (`vigil tokens create --scope … --name …`); /metrics needs a read or metrics token (`--scope metrics` for a Prometheus scraper) unless `server.metrics_auth: none`; /healthz and /readyz need none. The report pages alerts link to (/models/<model> and /models/<model>/runs/<id>) open with a read token or the alert's signed link. Settings come from the `server:` block of vigil.yaml; flags override it. Headers slower than `server.header_timeout` (10s) get 408 and idle keep-alive connections close after `server.idle_timeout` (60s); connections beyond `server.max_connections` (512, lowered to fit `ulimit -n`) get 503 (docs/server.md, "Connections"). SIGTERM or SIGINT drains: /readyz turns 503, the scheduler and the deliverer finish what they are doing, requests in flight finish, exit 0.

              vigil serve
              vigil serve --host 0.0.0.0 --port 8080
              vigil serve --no-scheduler --no-deliverer     # API only (ticks from cron elsewhere)
            """)

    @Option(help: "Address to listen on (default: server.host, else 127.0.0.1).") var host: String?
    @Option(help: "Port to listen on (default: server.port, else 8080).") var port: Int?
    @Option(help: "Largest request body in bytes (default: server.max_body_bytes, else 16 MiB).") var maxBodyBytes: Int?
    @Flag(help: "Do not run the scheduler (the policies' scheduled jobs) inside the server.") var noScheduler = false
    @Flag(help: "Do not run the alert deliverer inside the server.") var noDeliverer = false
    @Flag(help: "Log every request.") var verbose = false
    @OptionGroup var workspace: WorkspaceOptions

    func run() async throws {
        let ws: Workspace
        var settings: ServerSettings
        do {
            ws = try workspace.workspace()
            settings = try ServerSettings.load(ws)
        } catch {
            printError("vigil: error: \(error)")
            throw ExitCode(3)
        }
        if let host { settings.host = host }
        if let port { settings.port = port }
        if let maxBodyBytes { settings.maxBodyBytes = maxBodyBytes }
        var logger = Logger(label: "vigil.serve")
        logger.logLevel = verbose ? .debug : .info
        var server = VigilServe(workspace: ws, settings: settings, clock: try workspace.clock(), logger: logger)
        server.runScheduler = !noScheduler
        server.runDeliverer = !noDeliverer
        let host = settings.host
        do {
            try await server.run(onServerRunning: { port in
                FileHandle.standardOutput.write(Data("vigil serve: listening on http://\(host):\(port)\n".utf8))
            })
        } catch {
            printError("vigil: error: \(error)")
            throw ExitCode(3)
        }
    }
}
