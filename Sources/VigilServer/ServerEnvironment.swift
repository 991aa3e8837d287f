import Foundation
import Logging
import VigilAlerts
import VigilCore
import VigilJobs
import VigilStore
import VigilWorkspace

/// What the route handlers share: the store (one connection for writes, one for reads, so reads
/// are not queued behind ingest in WAL mode), the models, the clock, the limits and the metrics.
public struct ServerEnvironment: Sendable {
    /// Ingest, review answers and other writes.
    public var store: any Store
    /// Reads (evaluations, models, alerts, /metrics).
    public var reader: any Store
    /// The models of the policies, as stored.
    public var catalog: ModelCatalog
    public var policies: [Policy]
    public var clock: any VigilClock
    public var settings: ServerSettings
    public var metrics: ServerMetrics
    public var logger: Logger
    /// The workspace (vigil.yaml: the registry backend, artifacts, alerts), when served from one.
    public var workspace: Workspace?
    let tokens: TokenAuthenticator
    /// The store's report-link secret, which opens report pages from signed links.
    let linkSecret: ReportLinkSecret
    /// One writer thread each for predictions and labels (see ``IngestWriter``).
    let predictionWriter: IngestWriter<PredictionRecord>
    let labelWriter: IngestWriter<LabelRecord>
    /// Flipped when the process starts shutting down: /readyz answers 503 from then on.
    let lifecycle: Lifecycle

    /// `ingest` is the connection of the prediction writer (default: `store`); with its own
    /// connection, other writes interleave between its batches instead of waiting for its call.
    public init(store: any Store, reader: any Store, ingest: (any Store)? = nil, catalog: ModelCatalog, policies: [Policy], clock: any VigilClock,
                settings: ServerSettings, metrics: ServerMetrics = ServerMetrics(), logger: Logger = Logger(label: "vigil.serve")) {
        self.store = store
        self.reader = reader
        self.catalog = catalog
        self.policies = policies
        self.clock = clock
        self.settings = settings
        self.metrics = metrics
        self.logger = logger
        self.tokens = TokenAuthenticator(store: reader, cacheSeconds: settings.tokenCacheSeconds)
        self.linkSecret = ReportLinkSecret(store: store)
        self.lifecycle = Lifecycle()
        let ingest = ingest ?? store
        self.predictionWriter = IngestWriter(clock: clock) { try ingest.ingestPredictions(options: $0, nextBatch: $1, progress: $2) }
        self.labelWriter = IngestWriter(clock: clock) { try store.ingestLabels(options: $0, nextBatch: $1, progress: $2) }
        metrics.initialise(schemas: catalog.names.compactMap { catalog.models[$0] })
    }

    /// Opens the workspace's store three times (writer, reader, prediction ingest) and registers the policies' models.
    public static func open(_ workspace: Workspace, settings: ServerSettings, clock: any VigilClock, logger: Logger) throws -> ServerEnvironment {
        let (store, catalog, policies) = try workspace.openStoreWithModels(clock: clock)
        var env = ServerEnvironment(store: store, reader: try workspace.openStore(), ingest: try workspace.openStore(), catalog: catalog, policies: policies, clock: clock,
                                    settings: settings, logger: logger)
        env.workspace = workspace
        return env
    }

    /// The workspace, or a 503 for an environment built without one.
    func requireWorkspace() throws -> Workspace {
        guard let workspace else { throw APIError(.serviceUnavailable, "no_workspace", "this server was started without a workspace, so it has no registry") }
        return workspace
    }

    var nowMillis: Int64 { Timestamp.millis(clock.now) }

    /// The stored schema of a model of the policies, or a 404.
    func schema(_ model: String) throws -> ModelSchema {
        guard let schema = catalog.models[model] else {
            throw APIError.notFound("no model '\(model)': the models are \(catalog.names.joined(separator: ", ")) (GET /v1/models)")
        }
        return schema
    }

    var schemas: [ModelSchema] { catalog.names.compactMap { catalog.models[$0] } }
}

/// Whether the process is shutting down.
final class Lifecycle: @unchecked Sendable {
    private let lock = NSLock()
    private var _draining = false
    var draining: Bool {
        get { lock.withLock { _draining } }
        set { lock.withLock { _draining = newValue } }
    }
}
