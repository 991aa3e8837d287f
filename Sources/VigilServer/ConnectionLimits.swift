import NIOCore

/// The limits every connection of one server shares: timeouts and the gate counting them.
struct ConnectionLimits: Sendable {
    var headerTimeout: TimeAmount
    var idleTimeout: TimeAmount
    var gate: ConnectionGate

    init(settings: ServerSettings, budget: ConnectionBudget) {
        headerTimeout = .seconds(settings.headerTimeout)
        idleTimeout = .seconds(settings.idleTimeout)
        gate = ConnectionGate(maxConnections: budget.maxConnections)
    }
}
