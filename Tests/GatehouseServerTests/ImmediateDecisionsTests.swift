import Foundation
import Gatehouse
import HTTPTypes
import NIOCore
import NIOEmbedded
import NIOHTTPTypes
import Testing

@testable import GatehouseServer

/// The event-loop fast path: which check requests it answers itself, and that answers on a
/// connection stay in request order.
@Suite struct ImmediateDecisionsTests {
    static func channel() throws -> EmbeddedChannel {
        let loaded = try ActivePolicy.load(SourceFile(name: "serve.yaml", text: GatewayEndpointTests.yaml)).get()
        let endpoints = GatewayEndpoints(
            policy: ActivePolicy(loaded), log: nil, metrics: ServerMetrics(), clock: { Date() })
        let channel = EmbeddedChannel(handler: ImmediateDecisions(endpoints: endpoints))
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    static func check(_ path: String, method: HTTPTypes.HTTPRequest.Method = .get, token: String? = nil)
        -> HTTPTypes.HTTPRequest
    {
        var request = HTTPTypes.HTTPRequest(method: method, scheme: nil, authority: "gatehouse", path: "/v1/auth/nginx")
        request.headerFields[HTTPField.Name("X-Original-URI")!] = path
        request.headerFields[HTTPField.Name("X-Original-Method")!] = "POST"
        if let token { request.headerFields[.authorization] = "Bearer \(token)" }
        return request
    }

    static func send(_ request: HTTPTypes.HTTPRequest, to channel: EmbeddedChannel) throws {
        try channel.writeInbound(HTTPRequestPart.head(request))
        try channel.writeInbound(HTTPRequestPart.end(nil))
    }

    /// The answered response's head, after checking that its end follows.
    static func answer(_ channel: EmbeddedChannel) throws -> HTTPResponse? {
        guard case .head(let head) = try channel.readOutbound(as: HTTPResponsePart.self) else { return nil }
        var part = try channel.readOutbound(as: HTTPResponsePart.self)
        if case .body = part { part = try channel.readOutbound(as: HTTPResponsePart.self) }
        guard case .end = part else { return nil }
        return head
    }

    static func passedOn(_ channel: EmbeddedChannel) throws -> Bool {
        guard case .head = try channel.readInbound(as: HTTPRequestPart.self),
            case .end = try channel.readInbound(as: HTTPRequestPart.self)
        else { return false }
        return true
    }

    @Test func anAPITokenIsAnsweredOnTheEventLoop() throws {
        let channel = try Self.channel()
        try Self.send(Self.check("/rest/deploy/web", token: GatewayEndpointTests.token), to: channel)
        let head = try #require(try Self.answer(channel))
        #expect(head.status == .ok)
        #expect(head.headerFields[HTTPField.Name("X-Auth-User")!] == "ci-bot")
        #expect(head.headerFields[.contentLength] == "0")
        #expect(head.headerFields[HTTPField.Name("X-Gatehouse-Decision")!]?.count == 16)
        let date = try #require(head.headerFields[.date])
        #expect(date.wholeMatch(of: /[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT/) != nil, "\(date)")
        #expect(try channel.readInbound(as: HTTPRequestPart.self) == nil)
        #expect(channel.isActive)
    }

    /// `Connection: close` is honoured as Hummingbird honours it: the answer says so, then the
    /// connection closes.
    @Test func connectionCloseClosesAfterTheAnswer() throws {
        let channel = try Self.channel()
        var request = Self.check("/rest/deploy/web", token: GatewayEndpointTests.token)
        request.headerFields[.connection] = "Close"
        try Self.send(request, to: channel)
        #expect(try Self.answer(channel)?.headerFields[.connection] == "close")
        #expect(!channel.isActive)
    }

    @Test func aRefusalCarriesItsBodyAndChallenge() throws {
        let channel = try Self.channel()
        try Self.send(Self.check("/rest/things"), to: channel)
        guard case .head(let head) = try channel.readOutbound(as: HTTPResponsePart.self),
            case .body(let body) = try channel.readOutbound(as: HTTPResponsePart.self)
        else {
            Issue.record("no head and body")
            return
        }
        #expect(head.status.code == 401)
        #expect(head.headerFields[.wwwAuthenticate]?.hasPrefix("Bearer realm=\"serve-tests\"") == true)
        #expect(head.headerFields[.contentLength] == String(body.readableBytes))
        #expect(String(buffer: body).contains("\"code\" : \"credentials.missing\""))
    }

    /// A token that needs verification (here a JWS), a HEAD request and every other endpoint go
    /// to the router.
    @Test func whatNeedsIOIsPassedOn() throws {
        let channel = try Self.channel()
        try Self.send(Self.check("/rest/deploy/web", token: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"), to: channel)
        #expect(try Self.passedOn(channel))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        _ = try channel.readOutbound(as: HTTPResponsePart.self)
        try Self.send(Self.check("/rest/deploy/web", method: .head, token: GatewayEndpointTests.token), to: channel)
        #expect(try Self.passedOn(channel))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        _ = try channel.readOutbound(as: HTTPResponsePart.self)
        try Self.send(HTTPTypes.HTTPRequest(method: .get, scheme: nil, authority: nil, path: "/healthz"), to: channel)
        #expect(try Self.passedOn(channel))
    }

    /// While a passed-on request is unanswered, a request that could be answered at once waits its
    /// turn behind it; once the router has answered, the fast path resumes.
    @Test func answersKeepRequestOrder() throws {
        let channel = try Self.channel()
        try Self.send(Self.check("/rest/deploy/web", token: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"), to: channel)
        try Self.send(Self.check("/rest/deploy/web", token: GatewayEndpointTests.token), to: channel)
        #expect(try Self.passedOn(channel))
        #expect(try Self.passedOn(channel))
        #expect(try channel.readOutbound(as: HTTPResponsePart.self) == nil)
        for _ in 0..<2 { try channel.writeOutbound(HTTPResponsePart.end(nil)) }
        while try channel.readOutbound(as: HTTPResponsePart.self) != nil {}
        try Self.send(Self.check("/rest/deploy/web", token: GatewayEndpointTests.token), to: channel)
        #expect(try Self.answer(channel)?.status == .ok)
    }
}
