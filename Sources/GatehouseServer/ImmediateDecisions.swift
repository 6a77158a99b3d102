import Gatehouse
import NIOCore
import NIOHTTP1

/// The fast path: answers a gateway's check request on the event loop that read it when no I/O is
/// needed (no credentials, a token already verified, an API token). A check that must wait (a new
/// token, a provider to ask, Basic's bcrypt) is begun here and handed to the router with what was
/// computed (``Handoff``); every other request is passed on to Hummingbird and the router. It reads
/// and writes NIO's own HTTP/1.1 parts: no conversion to HTTPTypes and back. Measured under load,
/// this saves two thread hops and about a third of the work per request (docs/performance.md).
///
/// What it does with each part, and when the connection is idle or closes, is decided by its
/// ``ConnectionState``; this handler performs the actions. A check request's body is read and
/// ignored.
final class ImmediateDecisions: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let decisions: Decisions
    private let handoff: Handoff
    private var state: ConnectionState<EventLoopClock, Answer>
    private var idleCheck: Scheduled<Void>?
    private var date = HTTPDate()

    init(decisions: Decisions, handoff: Handoff, state: ConnectionState<EventLoopClock, Answer>) {
        self.decisions = decisions
        self.handoff = handoff
        self.state = state
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { perform(state.setActive(), context) }
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        cancelIdleCheck()
    }

    func channelActive(context: ChannelHandlerContext) {
        perform(state.setActive(), context)
        context.fireChannelActive()
    }

    func channelInactive(context: ChannelHandlerContext) {
        state.setInactive()
        cancelIdleCheck()
        context.fireChannelInactive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head):
            guard state.headRead() == .decideHere else {
                // Behind a request the router is answering: an absolute-form check is still
                // refused here (the router would see it rewritten), and answered in its turn.
                handoff.pass(refusalOfAbsoluteForm(head).map(HandedOff.answered))
                return context.fireChannelRead(data)
            }
            switch refusalOfAbsoluteForm(head).map(Decisions.Step.answered) ?? begin(head) {
            case .answered(let answer)? where head.method == .HEAD:
                // NIO's encoder frames HEAD answers itself (no body): the router sends this one.
                state.passOn()
                handoff.pass(.answered(answer))
                context.fireChannelRead(data)
            case .answered(let answer)?:
                state.answerHere(answer, close: !head.isKeepAlive)
            case .pending(let check)?:
                state.passOn()
                handoff.pass(.pending(check))
                context.fireChannelRead(data)
            case nil:
                state.passOn()
                handoff.pass(nil)
                context.fireChannelRead(data)
            }
        case .body:
            if state.bodyRead() == .forward { context.fireChannelRead(data) }
        case .end:
            switch state.endRead() {
            case .forward: context.fireChannelRead(data)
            case .send(let answer, let close): send(answer, close: close, context: context)
            }
        }
    }

    /// The refusal of a check request in absolute form (`GET http://host/v1/auth/envoy/...`):
    /// Hummingbird would decide it by its path, without a fragment the origin form is refused for.
    private func refusalOfAbsoluteForm(_ head: HTTPRequestHead) -> Answer? {
        guard head.uri.utf8.first != UInt8(ascii: "/"), let scheme = head.uri.range(of: "://") else { return nil }
        let afterAuthority = head.uri[scheme.upperBound...].drop { $0 != "/" }
        guard let convention = GatewayConvention.serving(String(afterAuthority)) else { return nil }
        return decisions.refuse(
            checkRequest(head), convention, .requestInvalidTarget,
            reason: "the check request's target is in absolute form (`scheme://host/path`); send the origin form")
    }

    /// What the fast path makes of `head`: nil when it is not a check request it decides.
    private func begin(_ head: HTTPRequestHead) -> Decisions.Step? {
        guard head.uri.utf8.first == UInt8(ascii: "/"), let convention = GatewayConvention.serving(head.uri) else {
            return nil
        }
        return decisions.begin(checkRequest(head), convention)
    }

    /// The check request as the engine reads it.
    private func checkRequest(_ head: HTTPRequestHead) -> CheckRequest {
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
        return CheckRequest(method: head.method.rawValue, target: head.uri, authority: authority, headers: headers)
    }

    /// Writes the answer to NIO's encoder, which frames it as it frames the router's answers (and
    /// pairs it with its request, so a later answer to a HEAD request is framed as one).
    private func send(_ answer: Answer, close: Bool, context: ChannelHandlerContext) {
        let body = answer.body.map { context.channel.allocator.buffer(string: $0) }
        var headers = HTTPHeaders()
        headers.reserveCapacity(answer.headers.count + 4)
        for (name, value) in answer.headers { headers.add(name: name, value: value) }
        headers.add(name: "Content-Length", value: String(body?.readableBytes ?? 0))
        headers.add(name: "Date", value: date.now())
        headers.add(name: "Server", value: "gatehouse")
        if close { headers.add(name: "Connection", value: "close") }
        let head = HTTPResponseHead(
            version: .http1_1, status: HTTPResponseStatus(statusCode: answer.status), headers: headers)
        context.write(wrapOutboundOut(.head(head)), promise: nil)
        if let body { context.write(wrapOutboundOut(.body(.byteBuffer(body))), promise: nil) }
        guard close else { return context.writeAndFlush(wrapOutboundOut(.end(nil)), promise: nil) }
        context.writeAndFlush(wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            context.close(promise: nil)
        }
    }

    /// The router's responses: each end answers one passed-on request.
    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard case .end = unwrapOutboundIn(data) else { return context.write(data, promise: promise) }
        switch state.responseEnded() {
        case .closeConnection:
            context.writeAndFlush(data, promise: promise)
            context.close(promise: nil)
        case .scheduleTimeout(let deadline):
            schedule(at: deadline, context)
            context.write(data, promise: promise)
        case .doNothing:
            context.write(data, promise: promise)
        }
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        guard event is ChannelShouldQuiesceEvent else { return context.fireUserInboundEventTriggered(event) }
        if state.quiesce() == .closeConnection { context.close(promise: nil) }
    }

    private func perform(
        _ action: ConnectionState<EventLoopClock, Answer>.ScheduleAction, _ context: ChannelHandlerContext
    ) {
        if case .scheduleTimeout(let deadline) = action { schedule(at: deadline, context) }
    }

    /// Schedules the idle check at `deadline`, unless one is already scheduled.
    private func schedule(at deadline: EventLoopClock.Instant, _ context: ChannelHandlerContext) {
        guard idleCheck == nil else { return }
        idleCheck = context.eventLoop.assumeIsolated().scheduleTask(deadline: deadline.deadline) {
            self.idleCheck = nil
            switch self.state.timeoutTriggered() {
            case .closeConnection: context.close(promise: nil)
            case .rescheduleTimeout(let deadline): self.schedule(at: deadline, context)
            case .doNothing: break
            }
        }
    }

    private func cancelIdleCheck() {
        idleCheck?.cancel()
        idleCheck = nil
    }
}
