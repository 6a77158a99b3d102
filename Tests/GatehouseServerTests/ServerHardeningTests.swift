import Foundation
import Gatehouse
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import Testing

@testable import GatehouseServer

/// The hardening classes (issue 11) as `serve` meets them: raw bytes through the pipeline it
/// builds, on the fast path and, for the same request as HEAD (which the fast path passes on), on
/// the router path of a running server. Each failed on the code before its fix.
@Suite struct ServerHardeningTests {
    /// A check request for nginx with `fields` (raw header lines, CRLF added).
    static func check(_ fields: [String], method: String = "GET", target: String = "/v1/auth/nginx") -> String {
        "\(method) \(target) HTTP/1.1\r\nHost: gatehouse\r\n" + fields.map { $0 + "\r\n" }.joined() + "\r\n"
    }

    /// Status and code of each answer the fast path gave.
    static func fastPath(_ requests: [String]) throws -> [String] {
        let channel = try ImmediateDecisionsTests.channel()
        for request in requests { try channel.writeInbound(ByteBuffer(bytes: Array(request.utf8))) }
        return try ImmediateDecisionsTests.answers(channel).map { answer in
            let code = (try? JSONSerialization.jsonObject(with: Data(answer.body.utf8)) as? [String: String])?["code"]
            return "\(answer.status) \(code ?? "-")"
        }
    }

    /// The bytes of `request` as HEAD (the fast path passes it on), sent to a running server: the
    /// router's status.
    static func routerStatus(_ request: [UInt8]) async throws -> Int {
        let app = DecisionServer.application(
            policy: ActivePolicy(
                try ActivePolicy.load(SourceFile(name: "serve.yaml", text: GatewayEndpointTests.yaml)).get()),
            address: .hostname("127.0.0.1", port: 0))
        return try await app.test(.live) { client in
            let answer = try await RawHTTP.exchange(port: try #require(client.port), request)
            return Int(answer.split(separator: " ")[1]) ?? 0
        }
    }

    /// Bytes that are not UTF-8 in the original target are repaired to U+FFFD by the HTTP decoder;
    /// the repaired target is not ASCII, and refused on both paths (nginx is sent 403).
    @Test func invalidUTF8InTheOriginalTargetIsRefused() async throws {
        var request = Array(Self.check(["X-Original-URI: /status?x=", "X-Original-Method: GET"]).utf8)
        let at = request.firstIndex(of: UInt8(ascii: "=")).map { $0 + 1 } ?? 0
        request.insert(contentsOf: [0xFF, 0xC3, 0x28], at: at)
        let channel = try ImmediateDecisionsTests.channel()
        try channel.writeInbound(ByteBuffer(bytes: request))
        let answer = try #require(try ImmediateDecisionsTests.answers(channel).first)
        #expect(answer.status == 403)
        #expect(answer.body.contains("request.invalid-target"))
        let head = Array("HEAD".utf8) + request.dropFirst(3)
        #expect(try await Self.routerStatus(head) == 403)
        #expect(
            try await Self.routerStatus(
                Array(Self.check(["X-Original-URI: /status", "X-Original-Method: GET"], method: "HEAD").utf8)) == 200)
    }

    /// Whitespace around the original-request headers is read the same way on both paths.
    @Test func whitespaceAroundOriginalHeadersIsReadAlike() async throws {
        let request = Self.check(["X-Original-URI: /status \t", "X-Original-Method: GET\t"])
        #expect(try Self.fastPath([request]) == ["200 -"])
        let head = Self.check(["X-Original-URI: /status \t", "X-Original-Method: GET\t"], method: "HEAD")
        #expect(try await Self.routerStatus(Array(head.utf8)) == 200)
    }

    @Test func duplicateOriginalHeadersLowercaseMethodsAndOverridesAreRefused() throws {
        #expect(
            try Self.fastPath([
                Self.check(["X-Original-URI: /status", "X-Original-URI: /rest/admin", "X-Original-Method: GET"]),
                Self.check(["X-Original-URI: /status", "X-Original-Method: delete"]),
                Self.check(["X-Original-URI: /status", "X-Original-Method: GET", "X-HTTP-Method-Override: DELETE"]),
                Self.check(["X-Original-URI: /status", "X-Original-Method: GET", "X-Original-URL: /rest/admin"]),
            ]) == [
                "403 request.duplicate-header", "403 request.invalid-method", "403 request.override-header",
                "403 request.override-header",
            ])
    }

    /// A check request in absolute form is refused on the fast path, also behind a request the
    /// router is answering, and as HEAD; Hummingbird would decide it by its path without the
    /// fragment the origin form is refused for.
    @Test func absoluteFormCheckRequestsAreRefused() throws {
        let absolute = "GET http://gatehouse/v1/auth/envoy/status#x HTTP/1.1\r\nHost: gatehouse\r\n\r\n"
        #expect(try Self.fastPath([absolute]) == ["400 request.invalid-target"])
        let handoff = Handoff()
        let channel = try ImmediateDecisionsTests.channel(handoff: handoff)
        try ImmediateDecisionsTests.send(
            ImmediateDecisionsTests.check("/rest/deploy/web", token: HandoffTests.jws) + absolute
                + "HEAD http://gatehouse/v1/auth/nginx HTTP/1.1\r\nHost: gatehouse\r\n\r\n", to: channel)
        #expect(try ImmediateDecisionsTests.passedOn(channel).count == 3)
        guard case .pending? = handoff.take() else {
            Issue.record("the waiting check was not handed over")
            return
        }
        for _ in 0..<2 {
            guard case .answered(let answer)? = handoff.take() else {
                Issue.record("an absolute-form check request went to the router undecided")
                return
            }
            #expect(answer.decision.code == .requestInvalidTarget)
        }
    }

    /// Decision ids say nothing of the count behind them: consecutive ids are not consecutive
    /// counts through SplitMix64's finalizer (which the ids were before), and never repeat.
    @Test func decisionIDsCannotBeInvertedToACount() {
        func unmix(_ id: String) -> UInt64 {
            var value = UInt64(id, radix: 16)!
            value ^= value >> 31 ^ value >> 62
            value = value &* 0x3196_42b2_d24d_8ec3
            value ^= value >> 27 ^ value >> 54
            value = value &* 0x96de_1b17_3f11_9089
            value ^= value >> 30 ^ value >> 60
            return value
        }
        let ids = (0..<1000).map { _ in DecisionID.next() }
        #expect(Set(ids).count == ids.count)
        let steps = zip(ids, ids.dropFirst()).map { unmix($1) &- unmix($0) }
        #expect(steps.filter { $0 == 1 }.count < 3, "ids are a readable count: \(steps.prefix(5))")
    }
}

/// One HTTP/1.1 exchange over a plain socket, with bytes no HTTP client library would send. The
/// socket blocks, so it runs on a dispatch thread, never on a thread of the task pool the server
/// answers on; it gives up after 5 s.
enum RawHTTP {
    static func exchange(port: Int, _ request: [UInt8]) async throws -> String {
        try await withCheckedThrowingContinuation { continuation in
            DispatchQueue.global().async {
                continuation.resume(with: Result { try blockingExchange(port: port, request) })
            }
        }
    }

    private static func blockingExchange(port: Int, _ request: [UInt8]) throws -> String {
        let descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(descriptor) }
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(descriptor, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard connected == 0 else { throw CancellationError() }
        _ = request.withUnsafeBytes { write(descriptor, $0.baseAddress, $0.count) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !String(decoding: received, as: UTF8.self).contains("\r\n\r\n") {
            let count = read(descriptor, &buffer, buffer.count)
            guard count > 0 else { break }
            received += buffer.prefix(count)
        }
        return String(decoding: received, as: UTF8.self)
    }
}
