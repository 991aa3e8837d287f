import Foundation
import Hummingbird
import Logging
import ServiceLifecycle
import VigilCore
import VigilJobs
import VigilStore
import VigilWorkspace

/// `vigil serve`: the HTTP API, the scheduler and the alert deliverer in one process, run by a
/// `ServiceGroup` so SIGTERM (or SIGINT) drains them in order: /readyz turns 503, the deliverer
/// and the scheduler finish the pass or tick in progress, the HTTP server stops accepting and
/// finishes the requests in flight, and the process exits 0.
///
/// ```swift
/// try await VigilServe(workspace: ws, settings: try ServerSettings.load(ws)).run()
/// ```
public struct VigilServe: Sendable {
    public var workspace: Workspace
    public var settings: ServerSettings
    public var clock: any VigilClock
    public var runScheduler = true
    public var runDeliverer = true
    public var logger: Logger

    public init(workspace: Workspace, settings: ServerSettings, clock: any VigilClock = SystemClock(), logger: Logger = Logger(label: "vigil.serve")) {
        self.workspace = workspace
        self.settings = settings
        self.clock = clock
        self.logger = logger
    }

    /// The Hummingbird application for `environment` (also what the tests drive), with the
    /// connection limits of `server:` (header timeout, idle timeout, connection cap lowered to
    /// fit the file limit: ``ConnectionBudget``).
    public static func application(_ environment: ServerEnvironment, onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in })
        -> some ApplicationProtocol {
        let settings = environment.settings
        let budget = ConnectionBudget(requested: settings.maxConnections, fileLimit: ConnectionBudget.currentFileLimit())
        if let note = budget.loweredNote { environment.logger.warning("\(note)") }
        let limits = ConnectionLimits(settings: settings, budget: budget)
        return Application(router: APIRoutes.router(environment),
                    server: .boundedHTTP1(limits),
                    configuration: .init(address: .hostname(settings.host, port: settings.port), serverName: "vigil",
                                         availableConnectionsDelegate: .maximum(budget.maxAccepted, logger: environment.logger)),
                    onServerRunning: { channel in await onServerRunning(channel.localAddress?.port ?? 0) },
                    logger: environment.logger)
    }

    /// Serves until SIGTERM or SIGINT, then drains and returns.
    public func run(onServerRunning: @escaping @Sendable (Int) async -> Void = { _ in }) async throws {
        let env = try ServerEnvironment.open(workspace, settings: settings, clock: clock, logger: logger)
        var services: [any Service] = [VigilServe.application(env, onServerRunning: onServerRunning)]
        if runScheduler {
            let pass = SchedulerPass(workspace: workspace, store: try workspace.openStore(), clock: clock, metrics: env.metrics, logger: logger)
            services.append(PeriodicService(name: "scheduler", interval: max(1, settings.schedulerInterval), logger: logger, pass: pass.run))
        }
        if runDeliverer {
            let pass = DeliveryPass(workspace: workspace, store: try workspace.openStore(), clock: clock, metrics: env.metrics, logger: logger)
            services.append(PeriodicService(name: "deliverer", interval: max(1, settings.deliveryInterval), logger: logger, pass: pass.run))
        }
        services.append(ReadinessService(lifecycle: env.lifecycle, logger: logger))
        let group = ServiceGroup(configuration: .init(services: services.map { .init(service: $0) },
                                                      gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        try await group.run()
        logger.info("vigil serve stopped cleanly")
    }
}
