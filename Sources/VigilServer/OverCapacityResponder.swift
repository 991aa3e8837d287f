import NIOCore

/// Answers a connection beyond `server.max_connections` with `503 Service Unavailable`
/// (`Connection: close`, `Retry-After`), then closes it.
///
/// Installed first in the pipeline of a connection the ``ConnectionGate`` did not admit: it
/// writes the answer as soon as the connection is accepted, ends the output, and swallows
/// whatever the client sends, so nothing reaches the HTTP decoder or the routes. The connection
/// is closed when the client closes its side or after ``linger`` at the latest: long enough for
/// the client to take the answer before the socket goes away (closing with its request unread
/// would reset the connection), short enough that a flood of turned-away connections frees its
/// descriptors quickly.
final class OverCapacityResponder: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    /// How long a turned-away connection is held open at most.
    static let linger = TimeAmount.milliseconds(250)
    /// Seconds the client is asked to wait before trying again.
    static let retryAfterSeconds = 1
    static let body = "vigil serve is at server.max_connections; try again shortly\n"

    private var answered = false
    private var closeTimer: Scheduled<Void>?

    /// The whole response, as bytes on the wire.
    static var response: String {
        "HTTP/1.1 503 Service Unavailable\r\nConnection: close\r\nRetry-After: \(retryAfterSeconds)\r\n"
            + "Content-Type: text/plain; charset=utf-8\r\nContent-Length: \(body.utf8.count)\r\n\r\n" + body
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { answer(context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        answer(context)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // The request is not read: the answer does not depend on it.
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event as? ChannelEvent == .inputClosed {
            context.close(promise: nil)
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        closeTimer?.cancel()
        closeTimer = nil
    }

    private func answer(_ context: ChannelHandlerContext) {
        guard !answered else { return }
        answered = true
        let bytes = context.channel.allocator.buffer(string: Self.response)
        context.writeAndFlush(wrapOutboundOut(bytes), promise: nil)
        context.close(mode: .output, promise: nil)
        closeTimer = context.eventLoop.assumeIsolated().scheduleTask(in: Self.linger) {
            context.close(promise: nil)
        }
    }
}
