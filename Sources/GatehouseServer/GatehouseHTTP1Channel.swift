import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1
import NIOSSL

/// Hummingbird's HTTP/1.1 child channel with ``ImmediateDecisions`` between NIO's HTTP/1.1 codec
/// and the conversion to HTTPTypes, where it also takes the place of Hummingbird's connection-state
/// handler (idle timeout, graceful shutdown), since it sees every request and every response.
/// Each connection has a ``Handoff``: the router finishes the checks the fast path began. With
/// ``tls``, each connection begins with NIOSSL's handler, made from the context in force when it
/// was accepted.
package struct GatehouseHTTP1Channel: HTTPChannelHandler {
    /// A connection: its channel, and what the fast path hands its router.
    package struct Connection: ServerChildChannelValue {
        let asyncChannel: NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>
        let handoff: Handoff

        package var channel: any Channel { asyncChannel.channel }
    }

    package typealias Value = Connection

    package var responder: HTTPChannelHandler.Responder
    let decisions: Decisions
    let configuration: HTTP1Channel.Configuration
    let tls: ServerTLS?

    package func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            let handoff = Handoff()
            if let tls {
                try channel.pipeline.syncOperations.addHandlers(
                    NIOSSLServerHandler(context: tls.context), TLSRefusals(metrics: tls.metrics))
            }
            try Self.configure(
                channel.pipeline.syncOperations, on: channel.eventLoop, decisions: decisions, handoff: handoff,
                configuration: configuration, secure: tls != nil)
            return Connection(
                asyncChannel: try NIOAsyncChannel(
                    wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true)),
                handoff: handoff)
        }
    }

    /// The pipeline, up to where Hummingbird reads requests as HTTPTypes parts.
    package static func configure(
        _ pipeline: ChannelPipeline.SynchronousOperations, on eventLoop: any EventLoop, decisions: Decisions,
        handoff: Handoff, configuration: HTTP1Channel.Configuration, secure: Bool = false
    ) throws {
        var limits = NIOHTTPDecoderLimitConfiguration()
        limits.maxHeaderFieldSize = configuration.httpDecoder.maxHeaderFieldSize
        limits.maxHeaderListSize = configuration.httpDecoder.maxHeaderListSize
        limits.maxHeaderFieldCount = configuration.httpDecoder.maxHeaderFieldCount
        try pipeline.configureHTTPServerPipeline(
            withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
            withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits)
        try pipeline.addHandler(
            ImmediateDecisions(
                decisions: decisions, handoff: handoff,
                state: ConnectionState(
                    idleTimeout: configuration.idleTimeout.map { .nanoseconds($0.nanoseconds) },
                    clock: EventLoopClock(eventLoop: eventLoop))))
        try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: secure))
    }

    /// Hummingbird's request loop, with each request answered inside the pending check the fast
    /// path handed over for it (if any).
    package func handle(value: Value, logger: Logger) async {
        var connection = self
        let (responder, handoff) = (self.responder, value.handoff)
        connection.responder = { request, writer, channel in
            var writer: ResponseWriter? = consume writer
            try await HandedOff.$current.withValue(handoff.take()) {
                try await responder(request, writer.take()!, channel)
            }
        }
        await connection.handleHTTP(asyncChannel: value.asyncChannel, logger: logger)
    }
}
