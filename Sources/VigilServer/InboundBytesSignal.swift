import NIOCore

/// Sent down a connection's pipeline by ``InboundBytesSignal`` when bytes arrive, before they
/// are decoded: the first byte of a request starts its header deadline
/// (``RequestHeadTimeoutHandler``) even while the HTTP decoder has not made a head of it yet.
struct InboundBytesArrived: Sendable {}

/// The first handler of a connection: fires ``InboundBytesArrived`` for every read, then passes
/// the bytes on unchanged.
final class InboundBytesSignal: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.fireUserInboundEventTriggered(InboundBytesArrived())
        context.fireChannelRead(data)
    }
}
