import Foundation
import Gatehouse
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import NIOHTTP1
import NIOHTTPTypes
import Synchronization
import Testing

@testable import GatehouseIdentity
@testable import GatehouseServer

/// The event-loop fast path, in the pipeline `serve` builds, fed bytes: which check requests it
/// answers itself, that answers on a connection stay in request order, and that it keeps the
/// connection's state (idle timeout, graceful shutdown, `Connection: close`).
@Suite struct ImmediateDecisionsTests {
    static func channel(
        log: DecisionLog? = nil, metrics: ServerMetrics = ServerMetrics(), handoff: Handoff = Handoff()
    ) throws -> EmbeddedChannel {
        let loaded = try ActivePolicy.load(SourceFile(name: "serve.yaml", text: GatewayEndpointTests.yaml)).get()
        let decisions = Decisions(
            policy: ActivePolicy(loaded), ledger: Ledger(log: log, metrics: metrics), clock: { Date() })
        let channel = EmbeddedChannel()
        try GatehouseHTTP1Channel.configure(
            channel.pipeline.syncOperations, on: channel.eventLoop, decisions: decisions, handoff: handoff,
            configuration: DecisionServer.http1)
        try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
        return channel
    }

    static func check(
        _ path: String, method: String = "GET", token: String? = nil, version: String = "HTTP/1.1",
        extra: String = ""
    ) -> String {
        "\(method) /v1/auth/nginx \(version)\r\nHost: gatehouse\r\nX-Original-URI: \(path)\r\n"
            + "X-Original-Method: POST\r\n\(token.map { "Authorization: Bearer \($0)\r\n" } ?? "")\(extra)\r\n"
    }

    static func send(_ text: String, to channel: EmbeddedChannel) throws {
        try channel.writeInbound(ByteBuffer(string: text))
    }

    /// A response as written: status, fields (names lowercased), body.
    struct Answer {
        let status: Int
        let fields: [String: String]
        let body: String
    }

    /// Every complete response written so far, parsed from the bytes; the answer at index
    /// `bodiless` (a HEAD's) has no body whatever its Content-Length.
    static func answers(_ channel: EmbeddedChannel, bodiless: Int? = nil) throws -> [Answer] {
        var text = ""
        while let data = try channel.readOutbound(as: IOData.self) {
            guard case .byteBuffer(let buffer) = data else { throw CancellationError() }
            text += String(buffer: buffer)
        }
        var answers: [Answer] = []
        while let end = text.range(of: "\r\n\r\n") {
            let lines = text[..<end.lowerBound].components(separatedBy: "\r\n")
            var fields: [String: String] = [:]
            for line in lines.dropFirst() {
                let (name, value) = line.split(separator: ":", maxSplits: 1).map(String.init).pair
                fields[name.lowercased()] = value.trimmingCharacters(in: .whitespaces)
            }
            let length = answers.count == bodiless ? 0 : Int(fields["content-length"] ?? "0") ?? 0
            let body = text[end.upperBound...].prefix(length)
            answers.append(
                Answer(status: Int(lines[0].split(separator: " ")[1]) ?? 0, fields: fields, body: String(body)))
            text = String(text[end.upperBound...].dropFirst(length))
        }
        #expect(text.isEmpty, "an incomplete response: \(text)")
        return answers
    }

    /// The requests passed on to Hummingbird, by path.
    static func passedOn(_ channel: EmbeddedChannel) throws -> [String] {
        var paths: [String] = []
        while let part = try channel.readInbound(as: HTTPRequestPart.self) {
            if case .head(let head) = part { paths.append(head.path ?? "") }
        }
        return paths
    }

    /// The router's answer to one passed-on request.
    static func answerFromRouter(_ channel: EmbeddedChannel) throws {
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "0"])))
        try channel.writeOutbound(HTTPResponsePart.end(nil))
    }

    @Test func anAPITokenIsAnsweredOnTheEventLoop() throws {
        let channel = try Self.channel()
        try Self.send(Self.check("/rest/deploy/web", token: GatewayEndpointTests.token), to: channel)
        let answer = try #require(try Self.answers(channel).only)
        #expect(answer.status == 200)
        #expect(answer.fields["x-auth-user"] == "ci-bot")
        #expect(answer.fields["x-auth-scheme"] == "api_token")
        #expect(answer.fields["content-length"] == "0")
        #expect(answer.fields["server"] == "gatehouse")
        #expect(answer.fields["connection"] == nil)
        #expect(answer.fields["x-gatehouse-decision"]?.count == 16)
        let date = try #require(answer.fields["date"])
        #expect(date.wholeMatch(of: /[A-Z][a-z]{2}, \d{2} [A-Z][a-z]{2} \d{4} \d{2}:\d{2}:\d{2} GMT/) != nil, "\(date)")
        #expect(try Self.passedOn(channel).isEmpty)
        #expect(channel.isActive)
    }

    /// The identity headers are always sent, empty when unknown, so a client's copy never survives.
    @Test func anAllowedRequestWithoutIdentitySendsEmptyHeaders() throws {
        let channel = try Self.channel()
        try Self.send(Self.check("/status"), to: channel)
        let answer = try #require(try Self.answers(channel).only)
        #expect(answer.status == 200)
        #expect(answer.fields["x-auth-user"] == "")
    }

    /// `Connection: close`, or HTTP/1.0 without keep-alive: the answer says so, then the
    /// connection closes. HTTP/1.0 asking for keep-alive stays open.
    @Test(arguments: [
        ("HTTP/1.1", "Connection: Close\r\n", true), ("HTTP/1.0", "", true),
        ("HTTP/1.1", "Connection: te, close\r\n", true), ("HTTP/1.0", "Connection: keep-alive\r\n", false),
    ])
    func aRequestToCloseClosesAfterTheAnswer(version: String, field: String, closes: Bool) throws {
        let channel = try Self.channel()
        try Self.send(
            Self.check("/rest/deploy/web", token: GatewayEndpointTests.token, version: version, extra: field),
            to: channel)
        #expect(try Self.answers(channel).only?.fields["connection"] == (closes ? "close" : nil))
        #expect(channel.isActive == !closes)
    }

    @Test func aRefusalCarriesItsBodyAndChallenge() throws {
        let channel = try Self.channel()
        try Self.send(Self.check("/rest/things"), to: channel)
        let answer = try #require(try Self.answers(channel).only)
        #expect(answer.status == 401)
        #expect(answer.fields["www-authenticate"]?.hasPrefix("Bearer realm=\"serve-tests\"") == true)
        #expect(answer.fields["content-type"] == "application/json")
        #expect(answer.fields["content-length"] == String(answer.body.utf8.count))
        #expect(answer.body.contains("\"code\" : \"credentials.missing\""))
    }

    /// Which Host is the check request's authority, and which headers are its own, are read as
    /// HTTPTypes reads them: a second Host is an ordinary field. A missing original is a refusal.
    @Test func theGatewaysOwnHeadersAreReadAsHummingbirdReadsThem() throws {
        let channel = try Self.channel()
        try Self.send("GET /v1/auth/nginx HTTP/1.1\r\nHost: gatehouse\r\nX-Original-Method: GET\r\n\r\n", to: channel)
        let answer = try #require(try Self.answers(channel).only)
        #expect(answer.status == 403)
        #expect(answer.body.contains("request.missing-original"))
        try Self.send(
            "GET /v1/auth/nginx HTTP/1.1\r\nhost: a\r\nx-original-uri: /status\r\nX-ORIGINAL-METHOD: GET\r\n\r\n",
            to: channel)
        #expect(try Self.answers(channel).only?.status == 200)
    }

    /// A token that needs verification (here a JWS), a HEAD request and every other endpoint go to
    /// the router (an absolute-form check request is refused: ServerHardeningTests).
    @Test func whatNeedsIOIsPassedOn() throws {
        let channel = try Self.channel()
        try Self.send(Self.check("/rest/deploy/web", token: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"), to: channel)
        #expect(try Self.passedOn(channel) == ["/v1/auth/nginx"])
        try Self.answerFromRouter(channel)
        try Self.send(Self.check("/rest/deploy/web", method: "HEAD", token: GatewayEndpointTests.token), to: channel)
        #expect(try Self.passedOn(channel) == ["/v1/auth/nginx"])
        try Self.answerFromRouter(channel)
        try Self.send("GET /healthz HTTP/1.1\r\nHost: gatehouse\r\n\r\n", to: channel)
        #expect(try Self.passedOn(channel) == ["/healthz"])
        try Self.answerFromRouter(channel)
        #expect(try Self.answers(channel).map(\.status) == [200, 200, 200])
    }

    /// NIO's encoder pairs each answer with its request to frame answers to HEAD without a body;
    /// answers from the fast path go through it too, so a HEAD answered by the router after them
    /// is still framed as one (writing past the encoder left it one request behind, and growing).
    @Test func aHEADAfterFastAnswersIsFramedWithoutABody() throws {
        let channel = try Self.channel()
        try Self.send(Self.check("/status") + Self.check("/status"), to: channel)
        try Self.send("HEAD /healthz HTTP/1.1\r\nHost: gatehouse\r\n\r\n", to: channel)
        #expect(try Self.passedOn(channel) == ["/healthz"])
        try channel.writeOutbound(HTTPResponsePart.head(HTTPResponse(status: .ok, headerFields: [.contentLength: "3"])))
        // The encoder knows it is answering the HEAD: it refuses a body.
        #expect(throws: NIOHTTPResponseEncoderError.responseBodyNotAllowed) {
            try channel.writeOutbound(HTTPResponsePart.body(ByteBuffer(string: "ok\n")))
        }
        try channel.writeOutbound(HTTPResponsePart.end(nil))
        try Self.send(Self.check("/status"), to: channel)
        let answers = try Self.answers(channel, bodiless: 2)
        #expect(answers.map(\.status) == [200, 200, 200, 200])
        #expect(answers.map(\.body) == ["", "", "", ""])
    }

    /// While a passed-on request is unanswered, a request that could be answered at once waits its
    /// turn behind it; once the router has answered, the fast path resumes.
    @Test func answersKeepRequestOrder() throws {
        let channel = try Self.channel()
        try Self.send(
            Self.check("/rest/deploy/web", token: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln")
                + Self.check("/rest/deploy/web", token: GatewayEndpointTests.token), to: channel)
        #expect(try Self.passedOn(channel).count == 2)
        #expect(try Self.answers(channel).isEmpty)
        for _ in 0..<2 { try Self.answerFromRouter(channel) }
        #expect(try Self.answers(channel).count == 2)
        try Self.send(Self.check("/rest/deploy/web", token: GatewayEndpointTests.token), to: channel)
        #expect(try Self.answers(channel).only?.fields["x-auth-user"] == "ci-bot")
        #expect(try Self.passedOn(channel).isEmpty)
    }

    /// A connection that reads nothing for the idle timeout (60 s) closes; requests keep it open, and so
    /// does a request the router is still deciding.
    @Test func anIdleConnectionCloses() throws {
        let channel = try Self.channel()
        let loop = channel.embeddedEventLoop
        loop.advanceTime(by: .seconds(50))
        try Self.send(Self.check("/status"), to: channel)
        loop.advanceTime(by: .seconds(50))
        #expect(channel.isActive)
        try Self.send(Self.check("/rest/deploy/web", token: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"), to: channel)
        loop.advanceTime(by: .seconds(120))
        #expect(channel.isActive, "closed while the router was deciding")
        try Self.answerFromRouter(channel)
        loop.advanceTime(by: .seconds(59))
        #expect(channel.isActive)
        loop.advanceTime(by: .seconds(2))
        #expect(!channel.isActive)
    }

    /// A connection the fast path closes (HTTP/1.0, answered at once) leaves nothing behind once
    /// its event loop has run the close's own tasks: its handler, pipeline and channel are freed.
    /// (The gateway fuzzer's leak check reported this input: an `EmbeddedEventLoop` runs queued
    /// tasks only when told, so its harness now runs them; a real event loop always does.)
    @Test func aClosedConnectionIsFreed() throws {
        weak var weakChannel: EmbeddedChannel?
        try {
            let channel = try Self.channel()
            weakChannel = channel
            try Self.send(
                "GET /v1/auth/forward HTTP/1.0\r\nHost: gatehouse\r\nX-Forwarded-Method: GET\r\n\r\n", to: channel)
            _ = try Self.answers(channel)
            #expect(!channel.isActive)
            channel.embeddedEventLoop.run()
            _ = try? channel.finish()
        }()
        #expect(weakChannel == nil, "the channel outlived its connection")
    }

    /// A request whose head arrives and whose end never does is not kept open forever.
    @Test func aStalledRequestTimesOut() throws {
        let channel = try Self.channel()
        try Self.send("GET /v1/auth/nginx HTTP/1.1\r\nHost: gatehouse\r\nContent-Length: 10\r\n\r\n", to: channel)
        channel.embeddedEventLoop.advanceTime(by: .seconds(61))
        #expect(!channel.isActive)
    }

    /// Graceful shutdown closes an idle connection at once, and a busy one after its answer.
    @Test func quiescingClosesOnceAnswered() throws {
        let idle = try Self.channel()
        idle.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(!idle.isActive)

        let busy = try Self.channel()
        try Self.send(Self.check("/rest/deploy/web", token: "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"), to: busy)
        busy.pipeline.fireUserInboundEventTriggered(ChannelShouldQuiesceEvent())
        #expect(busy.isActive)
        try Self.answerFromRouter(busy)
        #expect(try Self.answers(busy).only?.status == 200)
        #expect(!busy.isActive)
    }
}

extension Array {
    /// The one element, if there is exactly one.
    fileprivate var only: Element? { count == 1 ? first : nil }
}

extension Array where Element == String {
    /// The first two elements (the second empty when missing).
    fileprivate var pair: (String, String) { (self[0], count > 1 ? self[1] : "") }
}

/// A check that must wait is begun on the event loop and handed to the router with what was
/// computed; the router finishes it without beginning it again.
@Suite struct HandoffTests {
    static let jws = "eyJhbGciOiJFUzI1NiJ9.e30.c2ln"

    @Test func theFastPathHandsItsPendingChecksOverInOrder() throws {
        let handoff = Handoff()
        let channel = try ImmediateDecisionsTests.channel(handoff: handoff)
        try ImmediateDecisionsTests.send(
            ImmediateDecisionsTests.check("/rest/deploy/web", token: Self.jws), to: channel)
        try ImmediateDecisionsTests.answerFromRouter(channel)
        try ImmediateDecisionsTests.send("GET /healthz HTTP/1.1\r\nHost: gatehouse\r\n\r\n", to: channel)
        guard case .pending(let pending)? = handoff.take() else {
            Issue.record("the check that waits was not handed over")
            return
        }
        #expect(pending.target == "/v1/auth/nginx")
        #expect(pending.asked.method == "POST")
        #expect(pending.pending.credential.digest == VerifiedTokenCache.key(Self.jws))
        #expect(handoff.take() == nil, "the request the fast path did not begin has an empty entry")
        #expect(try ImmediateDecisionsTests.passedOn(channel) == ["/v1/auth/nginx", "/healthz"])
    }

    /// Begun under one policy, finished under the same one even after a reload: the router takes
    /// the pending check as it is (a new begin would decide under the new policy's realm).
    @Test func theRouterFinishesAHandedOffCheckAsBegun() async throws {
        let policy = ActivePolicy(
            try ActivePolicy.load(SourceFile(name: "serve.yaml", text: GatewayEndpointTests.yaml)).get())
        let decisions = Decisions(policy: policy, ledger: Ledger(log: nil, metrics: ServerMetrics()), clock: { Date() })
        let headers = [
            ("X-Original-URI", "/rest/deploy/web"), ("X-Original-Method", "POST"),
            ("Authorization", "Bearer \(Self.jws)"),
        ]
        let check = CheckRequest(
            method: "GET", target: "/v1/auth/nginx", authority: nil, headers: headers.map { (name: $0.0, value: $0.1) })
        guard case .pending(let pending) = decisions.begin(check, .nginx) else {
            Issue.record("a token that needs verification was decided at once")
            return
        }
        let renamed = GatewayEndpointTests.yaml.replacingOccurrences(of: "name: serve-tests", with: "name: reloaded")
        policy.replace(with: try ActivePolicy.load(SourceFile(name: "serve.yaml", text: renamed)).get())
        let app = Application(router: DecisionServer.router(decisions, ServerSetup(policy: policy)))
        let (handed, fresh) = try await app.test(.router) { client in
            let handed = try await HandedOff.$current.withValue(.pending(pending)) {
                try await client.execute(
                    uri: "/v1/auth/nginx", method: .get, headers: GatewayEndpointTests.headers(headers))
            }
            let fresh = try await client.execute(
                uri: "/v1/auth/nginx", method: .get, headers: GatewayEndpointTests.headers(headers))
            return (handed, fresh)
        }
        #expect(handed.status.code == 401)
        #expect(handed.headers[.wwwAuthenticate]?.hasPrefix(#"Bearer realm="serve-tests""#) == true)
        #expect(fresh.headers[.wwwAuthenticate]?.hasPrefix(#"Bearer realm="reloaded""#) == true)
    }
}

extension HandoffTests {
    /// In the server `serve` runs, a check that waits (Basic's bcrypt) is begun once, on the event
    /// loop, and finished by the router: the decision's clock is read once per request, where a
    /// router that began it again would read it twice.
    @Test func aWaitingCheckIsBegunOnceInTheServer() async throws {
        let reads = Atomic<Int>(0)
        let app = DecisionServer.application(
            policy: try ParityTests.policy(), address: .hostname("127.0.0.1", port: 0),
            clock: {
                reads.add(1, ordering: .relaxed)
                return Date()
            })
        try await app.test(.live) { client in
            for (path, authorization, user) in [
                ("/legacy/import", "Basic bGVnYWN5OmxlZ2FjeS1wYXNz", "legacy"), ("/status", "", ""),
                ("/legacy/x", "Basic bGVnYWN5OmxlZ2FjeS1wYXNz", "legacy"),
            ] {
                let response = try await client.execute(
                    uri: "/v1/auth/nginx", method: .get,
                    headers: GatewayEndpointTests.headers(
                        [("X-Original-URI", path), ("X-Original-Method", "GET")]
                            + (authorization.isEmpty ? [] : [("Authorization", authorization)])))
                #expect(response.status == .ok)
                #expect(response.headers[HTTPField.Name("X-Auth-User")!] == user)
            }
        }
        #expect(reads.load(ordering: .relaxed) == 3)
    }
}
