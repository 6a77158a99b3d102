import Foundation
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 child channel (the same pipeline as `HTTP1Channel`) with
/// ``ImmediateDecisions`` after the connection-state handler.
struct GatehouseHTTP1Channel: HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let endpoints: GatewayEndpoints
    let configuration: HTTP1Channel.Configuration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            var limits = NIOHTTPDecoderLimitConfiguration()
            limits.maxHeaderFieldSize = configuration.httpDecoder.maxHeaderFieldSize
            limits.maxHeaderListSize = configuration.httpDecoder.maxHeaderListSize
            limits.maxHeaderFieldCount = configuration.httpDecoder.maxHeaderFieldCount
            let pipeline = channel.pipeline.syncOperations
            try pipeline.configureHTTPServerPipeline(
                withPipeliningAssistance: false, withErrorHandling: false, withOutboundHeaderValidation: false,
                withEncoderConfiguration: .init(), withDecoderLimitConfiguration: limits)
            try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
            try pipeline.addHandler(
                HTTPConnectionStateHandler(
                    idleTimeout: configuration.idleTimeout.map { .nanoseconds($0.nanoseconds) }, logger: logger))
            try pipeline.addHandler(ImmediateDecisions(endpoints: endpoints))
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}

/// Answers a gateway's check request on the event loop that read it when no I/O is needed: no
/// credentials, a token already verified, an API token. Anything else (a new token, a provider to
/// ask, Basic's bcrypt, every other endpoint) is passed on to Hummingbird and the router, which
/// reach the same decision through the same ``GatewayEndpoints``. Measured under load, this saves
/// two thread hops per request (docs/performance.md).
///
/// Answers keep their order: while a request passed on is unanswered, later requests on the
/// connection are passed on too. A check request's body is read and ignored.
final class ImmediateDecisions: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPRequestPart
    typealias InboundOut = HTTPRequestPart
    typealias OutboundIn = HTTPResponsePart
    typealias OutboundOut = HTTPResponsePart

    private let endpoints: GatewayEndpoints
    /// Requests passed on and not yet answered.
    private var passedOn = 0
    /// The answer to the request being read, written once its end has been read.
    private var answer: GatewayAnswer?
    /// Whether that request asked for the connection to close after its answer.
    private var closeAfterAnswer = false
    private var date = HTTPDate()

    init(endpoints: GatewayEndpoints) { self.endpoints = endpoints }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            if passedOn == 0, head.method != .head, let path = head.path,
                let convention = GatewayEndpoints.convention(serving: path),
                let answer = endpoints.answerImmediately(
                    GatewayRequest(
                        method: head.method, target: path, authority: head.authority, headers: head.headerFields),
                    convention)
            {
                self.answer = answer
                closeAfterAnswer = head.headerFields[values: .connection].contains {
                    $0.split(separator: ",").contains {
                        $0.trimmingCharacters(in: .whitespaces).lowercased() == "close"
                    }
                }
                return
            }
            passedOn += 1
            context.fireChannelRead(data)
        case .body:
            if answer == nil { context.fireChannelRead(data) }
        case .end:
            guard let answer else {
                context.fireChannelRead(data)
                return
            }
            self.answer = nil
            let body = answer.body.map { ByteBuffer(string: $0) }
            var headers = answer.headers
            headers[.contentLength] = String(body?.readableBytes ?? 0)
            headers[.date] = date.now()
            headers[.server] = "gatehouse"
            if closeAfterAnswer { headers[.connection] = "close" }
            context.write(
                wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: headers))), promise: nil)
            if let body { context.write(wrapOutboundOut(.body(body)), promise: nil) }
            let written = context.writeAndFlush(wrapOutboundOut(.end(nil)))
            if closeAfterAnswer { written.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
        }
    }

    /// Every response the router writes ends one passed-on request. A response nobody asked for
    /// (Hummingbird answering a malformed request) leaves the count below zero, which keeps the
    /// fast path off for the rest of the connection: slower, never out of order.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = unwrapOutboundIn(data) { passedOn -= 1 }
        context.write(data, promise: promise)
    }
}

/// The `Date` header's value (RFC 9110 §5.6.7), made once a second per connection, so no lock is
/// shared between event loops.
struct HTTPDate {
    private var second = Int.min
    private var text = ""

    mutating func now() -> String {
        var clock = time(nil)
        guard Int(clock) != second else { return text }
        second = Int(clock)
        var parts = tm()
        gmtime_r(&clock, &parts)
        var buffer = [Int8](repeating: 0, count: 40)
        // strftime in the C locale, which a Swift process keeps: English day and month names.
        let count = strftime(&buffer, buffer.count, "%a, %d %b %Y %H:%M:%S GMT", &parts)
        text = String(decoding: buffer.prefix(count).map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text
    }
}
