import Foundation
import Gatehouse
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import NIOEmbedded
import Testing

@testable import GatehouseIdentity
@testable import GatehouseServer

/// Every answer, by every door, goes through the ledger: it has an id, a decision-log line that
/// names it and the status actually sent, and a metric. The lines are kept in
/// `GATEHOUSE_DECISIONS_DIR` (when set) for `Tests/schemas/validate.py` to validate against
/// `schemas/decision-log.schema.json`.
@Suite struct LedgerTests {
    static func logPath(_ name: String) -> String {
        if let folder = ProcessInfo.processInfo.environment["GATEHOUSE_DECISIONS_DIR"] {
            try? FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            return folder + "/\(name).jsonl"
        }
        return OperationsTests.temporary("\(name).jsonl")
    }

    static func lines(_ path: String) throws -> [[String: Any]] {
        try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
    }

    /// The router's doors: a missing original request (logged with the status nginx is sent and
    /// the engine's), a decision, and `/v1/decide` with a document and with a broken one.
    @Test func everyRouterAnswerIsLoggedAndCounted() async throws {
        let path = Self.logPath("ledger-router")
        try? FileManager.default.removeItem(atPath: path)
        let log = try DecisionLog(path: path)
        let metrics = ServerMetrics()
        let policy = ActivePolicy(
            try ActivePolicy.load(SourceFile(name: "serve.yaml", text: GatewayEndpointTests.yaml)).get())
        let app = Application(router: DecisionServer.router(policy: policy, log: log, metrics: metrics))
        let ids = try await app.test(.router) { client in
            var ids: [String?] = []
            let missing = try await client.execute(
                uri: "/v1/auth/nginx", method: .get,
                headers: GatewayEndpointTests.headers([("X-Original-Method", "GET")]))
            ids.append(missing.headers[HTTPField.Name("X-Gatehouse-Decision")!])
            let envoy = try await client.execute(
                uri: "/v1/auth/envoy/rest/deploy/web", method: .post,
                headers: GatewayEndpointTests.headers([("Authorization", "Bearer \(GatewayEndpointTests.token)")]))
            ids.append(envoy.headers[HTTPField.Name("X-Gatehouse-Decision")!])
            let document = #"{"method":"GET","path":"/rest/x","headers":{"Authorization":"Bearer ci-token-123"}}"#
            let decided = try await client.execute(
                uri: "/v1/decide", method: .post, body: ByteBuffer(string: document))
            let body = try JSONSerialization.jsonObject(with: Data(buffer: decided.body)) as? [String: Any]
            #expect(body?["decision_id"] as? String == decided.headers[HTTPField.Name("X-Gatehouse-Decision")!])
            ids.append(decided.headers[HTTPField.Name("X-Gatehouse-Decision")!])
            let broken = try await client.execute(uri: "/v1/decide", method: .post, body: ByteBuffer(string: "{"))
            #expect(broken.status == .badRequest)
            ids.append(broken.headers[HTTPField.Name("X-Gatehouse-Decision")!])
            return ids
        }
        let lines = try Self.lines(path)
        #expect(lines.map { $0["decision_id"] as? String } == ids)
        #expect(lines.map { $0["gateway"] as? String } == ["nginx", "envoy", "decide", "decide"])
        #expect(
            lines.map { $0["code"] as? String } == [
                "request.missing-original", "rule.allow", "rule.allow", "request.malformed",
            ])
        #expect(lines.map { $0["status"] as? Int } == [403, 200, 200, 400])
        #expect(lines.map { $0["engine_status"] as? Int } == [400, nil, nil, nil])
        #expect(lines[0]["method"] == nil && lines[0]["path"] == nil)
        #expect(lines[2]["username"] as? String == "ci-bot")
        let exposition = metrics.render()
        for expected in [
            #"gatehouse_decisions_total{result="deny",code="request.missing-original",rule="",gateway="nginx"} 1"#,
            #"gatehouse_decisions_total{result="allow",code="rule.allow",rule="deploy",gateway="envoy"} 1"#,
            #"gatehouse_decisions_total{result="allow",code="rule.allow",rule="rest",gateway="decide"} 1"#,
            #"gatehouse_decisions_total{result="deny",code="request.malformed",rule="",gateway="decide"} 1"#,
        ] {
            #expect(exposition.contains(expected), "\(expected)")
        }
    }

    /// The fast path answers through the same ledger: a missing original request answered on the
    /// event loop is logged and counted too.
    @Test func fastPathAnswersAreLoggedAndCounted() throws {
        let path = Self.logPath("ledger-fast-path")
        try? FileManager.default.removeItem(atPath: path)
        let metrics = ServerMetrics()
        let channel = try ImmediateDecisionsTests.channel(log: try DecisionLog(path: path), metrics: metrics)
        try ImmediateDecisionsTests.send(
            "GET /v1/auth/forward HTTP/1.1\r\nHost: gatehouse\r\nX-Forwarded-Method: GET\r\n\r\n", to: channel)
        try ImmediateDecisionsTests.send(ImmediateDecisionsTests.check("/status"), to: channel)
        let answers = try ImmediateDecisionsTests.answers(channel)
        #expect(answers.map(\.status) == [400, 200])
        let lines = try Self.lines(path)
        #expect(lines.map { $0["decision_id"] as? String } == answers.map { $0.fields["x-gatehouse-decision"] })
        #expect(lines.map { $0["code"] as? String } == ["request.missing-original", "rule.allow"])
        #expect(lines.map { $0["gateway"] as? String } == ["forward", "nginx"])
        #expect(
            metrics.render().contains(
                #"gatehouse_decisions_total{result="deny",code="request.missing-original",rule="",gateway="forward"} 1"#
            ))
    }

    /// Basic credentials are logged by the username they claim, never by a digest of the
    /// username and password (which could be guessed at hash speed); a bearer token by its digest.
    @Test func basicCredentialsAreLoggedByUsernameOnly() async throws {
        let path = Self.logPath("ledger-basic")
        try? FileManager.default.removeItem(atPath: path)
        let log = try DecisionLog(path: path)
        let app = Application(router: DecisionServer.router(policy: try ParityTests.policy(), log: log))
        let credentials = ["legacy:legacy-pass", "legacy:wrong"]
        try await app.test(.router) { client in
            for pair in credentials {
                _ = try await client.execute(
                    uri: "/v1/auth/nginx", method: .get,
                    headers: GatewayEndpointTests.headers([
                        ("X-Original-URI", "/legacy/import"), ("X-Original-Method", "PUT"),
                        ("Authorization", "Basic " + Data(pair.utf8).base64EncodedString()),
                    ]))
            }
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        let lines = try Self.lines(path)
        #expect(lines.map { $0["basic_user"] as? String } == ["legacy", "legacy"])
        #expect(lines.map { $0["token"] as? String } == [nil, nil])
        #expect(lines.map { $0["code"] as? String } == ["rule.allow", "credentials.invalid"])
        for pair in credentials {
            let base64 = Data(pair.utf8).base64EncodedString()
            for secret in [base64, String(Digest.hex(base64).prefix(12)), String(Digest.hex(pair).prefix(12)), "pass"] {
                #expect(!text.contains(secret), "the log holds \(secret)")
            }
        }
    }
}
