import HTTPTypes
import NIOCore
import NIOHTTPTypes

/// Closes a connection whose request headers do not arrive completely within the header
/// timeout (`server.header_timeout`), answering `408 Request Timeout` first.
///
/// The deadline starts when the connection is accepted and, on a keep-alive connection, when
/// the first byte of the next request arrives (``InboundBytesArrived``); it is not moved by
/// later bytes, so a client trickling one byte every few seconds is closed on time. It stops
/// when the request's head has been decoded: a slow body is the body reader's business, and a
/// keep-alive connection with no request at all is closed by the idle timeout.
///
/// Sits after the HTTP codec (it sees decoded request heads and the ends of responses), with
/// ``InboundBytesSignal`` first in the pipeline.
final class RequestHeadTimeoutHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let timeout: TimeAmount
    /// Request heads decoded and responses finished: equal when the connection waits for a head.
    private var headsRead = 0
    private var responsesEnded = 0
    private var deadline: Scheduled<Void>?

    init(timeout: TimeAmount) {
        self.timeout = timeout
    }

    private var waitingForHead: Bool { headsRead == responsesEnded }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { startDeadline(context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        stopDeadline()
    }

    func channelActive(context: ChannelHandlerContext) {
        startDeadline(context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        stopDeadline()
        context.fireChannelInactive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is InboundBytesArrived {
            if waitingForHead { startDeadline(context) }
            return
        }
        context.fireUserInboundEventTriggered(event)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if case .head = unwrapInboundIn(data) {
            headsRead += 1
            stopDeadline()
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { responsesEnded += 1 }
        context.write(data, promise: promise)
    }

    /// Arms the deadline unless it is already running (later bytes do not move it).
    private func startDeadline(_ context: ChannelHandlerContext) {
        guard deadline == nil, waitingForHead, context.channel.isActive else { return }
        deadline = context.eventLoop.assumeIsolated().scheduleTask(in: timeout) {
            self.deadline = nil
            self.expire(context)
        }
    }

    private func stopDeadline() {
        deadline?.cancel()
        deadline = nil
    }

    private func expire(_ context: ChannelHandlerContext) {
        guard waitingForHead, context.channel.isActive else { return }
        let head = HTTPResponse(status: .requestTimeout, headerFields: [.connection: "close", .contentLength: "0"])
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil)
        context.close(promise: nil)
    }
}
