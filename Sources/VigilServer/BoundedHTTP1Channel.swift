import HummingbirdCore
import Logging
import NIOCore

/// Hummingbird's HTTP/1 connection with Vigil's connection limits around it: the header
/// timeout (``RequestHeadTimeoutHandler``), the idle timeout (Hummingbird's own) and the
/// connection cap (``ConnectionGate``, ``OverCapacityResponder``).
///
/// ```swift
/// Application(router: router, server: .boundedHTTP1(limits), configuration: …)
/// ```
struct BoundedHTTP1Channel: ServerChildChannel {
    typealias Value = HTTP1Channel.Value

    let http1: HTTP1Channel
    let gate: ConnectionGate

    init(responder: @escaping HTTPChannelHandler.Responder, limits: ConnectionLimits) {
        let headerTimeout = limits.headerTimeout
        http1 = HTTP1Channel(responder: responder, configuration: .init(
            additionalChannelHandlers: [RequestHeadTimeoutHandler(timeout: headerTimeout)],
            idleTimeout: limits.idleTimeout))
        gate = limits.gate
    }

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        let admitted = gate.admit()
        if admitted {
            let gate = self.gate
            channel.closeFuture.whenComplete { _ in gate.release() }
        } else {
            logger.debug("connection refused with 503: server.max_connections (\(gate.maxConnections)) are open")
        }
        return channel.eventLoop.makeCompletedFuture {
            let first: any ChannelHandler = admitted ? InboundBytesSignal() : OverCapacityResponder()
            try channel.pipeline.syncOperations.addHandler(first)
        }.flatMap {
            http1.setup(channel: channel, logger: logger)
        }
    }

    func handle(value: Value, logger: Logger) async {
        await http1.handle(value: value, logger: logger)
    }
}

extension HTTPServerBuilder {
    /// HTTP/1 with Vigil's header timeout, idle timeout and connection cap.
    static func boundedHTTP1(_ limits: ConnectionLimits) -> HTTPServerBuilder {
        .init { responder in BoundedHTTP1Channel(responder: responder, limits: limits) }
    }
}
