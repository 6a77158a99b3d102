import Foundation
import HTTPTypes
import HummingbirdCore
import Logging
import NIOCore
import NIOHTTP1
import NIOHTTPTypes
import NIOHTTPTypesHTTP1

/// Hummingbird's HTTP/1.1 child channel with ``ImmediateDecisions`` between NIO's HTTP/1.1 codec
/// and the conversion to HTTPTypes, where it also takes the place of Hummingbird's connection-state
/// handler (idle timeout, graceful shutdown), since it sees every request and every response.
struct GatehouseHTTP1Channel: HTTPChannelHandler {
    typealias Value = NIOAsyncChannel<HTTPRequestPart, HTTPResponsePart>

    let responder: HTTPChannelHandler.Responder
    let endpoints: GatewayEndpoints
    let configuration: HTTP1Channel.Configuration

    func setup(channel: any Channel, logger: Logger) -> EventLoopFuture<Value> {
        channel.eventLoop.makeCompletedFuture {
            try Self.configure(channel.pipeline.syncOperations, endpoints: endpoints, configuration: configuration)
            return try NIOAsyncChannel(
                wrappingChannelSynchronously: channel, configuration: .init(isOutboundHalfClosureEnabled: true))
        }
    }

    /// The pipeline, up to where Hummingbird reads requests as HTTPTypes parts.
    static func configure(
        _ pipeline: ChannelPipeline.SynchronousOperations, endpoints: GatewayEndpoints,
        configuration: HTTP1Channel.Configuration
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
                endpoints: endpoints, idleTimeout: configuration.idleTimeout.map { .nanoseconds($0.nanoseconds) }))
        try pipeline.addHandler(HTTP1ToHTTPServerCodec(secure: false))
    }

    func handle(value: Value, logger: Logger) async {
        await handleHTTP(asyncChannel: value, logger: logger)
    }
}

/// Answers a gateway's check request on the event loop that read it when no I/O is needed: no
/// credentials, a token already verified, an API token. Anything else (a new token, a provider to
/// ask, Basic's bcrypt, every other endpoint) is passed on to Hummingbird and the router, which
/// reach the same decision through the same ``GatewayEndpoints``. It reads and writes NIO's own
/// HTTP/1.1 parts: no conversion to HTTPTypes and back. Measured under load, this saves two thread
/// hops and about a third of the work per request (docs/performance.md).
///
/// Answers keep their order: while a request passed on is unanswered, later requests on the
/// connection are passed on too. A check request's body is read and ignored.
///
/// It also keeps the connection's state, as Hummingbird's `HTTPConnectionStateHandler` does for
/// the requests it sees: a connection with no request in progress closes after `idleTimeout`
/// without reading, and on graceful shutdown as soon as its requests are answered.
final class ImmediateDecisions: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let endpoints: GatewayEndpoints
    private let idleTimeout: TimeAmount?
    /// Requests passed on and not yet answered.
    private var passedOn = 0
    private var readingRequest = false
    /// The answer to the request being read, written once its end has been read, and whether
    /// the connection closes after it.
    private var answer: (answer: GatewayAnswer, close: Bool)?
    private var closeWhenAnswered = false
    private var lastActive = NIODeadline.uptimeNanoseconds(0)
    private var idleCheck: Scheduled<Void>?
    private var date = HTTPDate()

    /// Requests read (or being read) and not yet answered, by either path: the fast path holds at
    /// most one, the one being read.
    private var inProgress: Int { max(0, passedOn) + (answer == nil ? 0 : 1) }

    init(endpoints: GatewayEndpoints, idleTimeout: TimeAmount?) {
        self.endpoints = endpoints
        self.idleTimeout = idleTimeout
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        lastActive = context.eventLoop.now
        switch unwrapInboundIn(data) {
        case .head(let head):
            readingRequest = true
            if passedOn == 0, let answer = answerImmediately(head) {
                self.answer = (answer, !head.isKeepAlive)
                return
            }
            passedOn += 1
            context.fireChannelRead(data)
        case .body:
            if answer == nil { context.fireChannelRead(data) }
        case .end:
            readingRequest = false
            guard let (answer, close) = answer else {
                context.fireChannelRead(data)
                return
            }
            self.answer = nil
            send(answer, close: close || (closeWhenAnswered && inProgress == 0), context: context)
        }
    }

    /// The answer, when the request is a gateway's check that can be decided at once.
    private func answerImmediately(_ head: HTTPRequestHead) -> GatewayAnswer? {
        // Only origin-form targets: Hummingbird rewrites an absolute-form one, and answers it.
        guard head.method != .HEAD, head.uri.utf8.first == UInt8(ascii: "/"),
            let convention = GatewayEndpoints.convention(serving: head.uri)
        else { return nil }
        // As HTTPTypes reads a request: the first Host is its authority, not one of its fields.
        var headers: [(name: String, value: String)] = []
        headers.reserveCapacity(head.headers.count)
        var authority: String?
        for (name, value) in head.headers {
            if authority == nil, name.equalsIgnoringCase("host") {
                authority = value
            } else {
                headers.append((name, value))
            }
        }
        let request = GatewayRequest(
            method: head.method.rawValue, target: head.uri, authority: authority, headers: headers)
        return endpoints.answerImmediately(request, convention)
    }

    /// Writes the answer to NIO's encoder, which frames it as it frames the router's answers (and
    /// pairs it with its request, so a later answer to a HEAD request is framed as one).
    private func send(_ answer: GatewayAnswer, close: Bool, context: ChannelHandlerContext) {
        let body = answer.body.map { context.channel.allocator.buffer(string: $0) }
        var headers = HTTPHeaders()
        headers.reserveCapacity(answer.headers.count + 4)
        for field in answer.headers { headers.add(name: field.name.rawName, value: field.value) }
        headers.add(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        headers.add(name: "Date", value: date.now())
        headers.add(name: "Server", value: "gatehouse")
        if close { headers.add(name: "Connection", value: "close") }
        let status = HTTPResponseStatus(statusCode: answer.status.code, reasonPhrase: answer.status.reasonPhrase)
        context.write(
            wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        guard close else { return context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// Every response the router writes ends one passed-on request. A response nobody asked for
    /// (Hummingbird answering a malformed request) leaves the count below zero, which keeps the
    /// fast path off for the rest of the connection: slower, never out of order.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else { return context.write(data, promise: promise) }
        passedOn -= 1
        lastActive = context.eventLoop.now
        if idleCheck == nil { scheduleIdleCheck(context, at: lastActive) }
        guard closeWhenAnswered, inProgress == 0 else { return context.write(data, promise: promise) }
        context.writeAndFlush(data, promise: promise)
        context.close(promise: nil)
    }

    func channelActive(context: ChannelHandlerContext) {
        scheduleIdleCheck(context, at: context.eventLoop.now)
        context.fireChannelActive()
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { scheduleIdleCheck(context, at: context.eventLoop.now) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        idleCheck?.cancel()
        idleCheck = nil
        context.fireChannelInactive()
    }

    /// Graceful shutdown: close now if nothing is in progress, else once it is answered.
    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        if inProgress == 0 { context.close(promise: nil) } else { closeWhenAnswered = true }
    }

    /// Checks for idleness `idleTimeout` after `start`. While the router is deciding a request
    /// that has been read, the connection is not idle; the check resumes with its answer.
    private func scheduleIdleCheck(_ context: ChannelHandlerContext, at start: NIODeadline) {
        guard let idleTimeout, idleCheck == nil else { return }
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: start + idleTimeout) {
            self.idleCheck = nil
            if self.inProgress > 0, !self.readingRequest { return }
            if context.eventLoop.now >= self.lastActive + idleTimeout {
                context.close(promise: nil)
            } else {
                self.scheduleIdleCheck(context, at: self.lastActive)
            }
        }
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
