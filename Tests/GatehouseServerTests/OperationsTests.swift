import Foundation
import Gatehouse
import GatehouseTesting
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Synchronization
import Testing

@testable import GatehouseIdentity
@testable import GatehouseServer

@Suite struct OperationsTests {
    static func temporary(_ name: String) -> String {
        NSTemporaryDirectory() + "gatehouse-\(getpid())-\(UUID().uuidString.prefix(8))-\(name)"
    }

    @Test func aBrokenPolicyNeverReplacesAGoodOne() throws {
        let path = Self.temporary("policy.yaml")
        try GatewayEndpointTests.yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let active = ActivePolicy(try ActivePolicy.load(path, files: LocalFiles()).get())
        let reports = Mutex<[String]>([])
        let reloader = PolicyReloader(path: path, active: active) { line in reports.withLock { $0.append(line) } }
        let first = active.loaded?.sha256
        #expect(!reloader.reload())  // unchanged file: nothing to do

        try (GatewayEndpointTests.yaml + "\n  - id: extra\n    match: { path: /extra }\n    allow: anyone\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        #expect(reloader.reload())
        let second = active.loaded?.sha256
        #expect(second != first)

        try "version: 1\nrules: [oops\n".write(toFile: path, atomically: true, encoding: .utf8)
        #expect(!reloader.reload())
        #expect(active.loaded?.sha256 == second)
        #expect(reloader.current == PolicyReloader.Counts(succeeded: 1, failed: 1))
        #expect(reports.withLock { $0.last?.hasPrefix("reload failed, keeping the running policy") } == true)
        let decision = try #require(active.loaded).evaluator.decide(
            APIRequest(method: "GET", target: "/extra"), identity: nil, now: .now)
        #expect(decision.rule == "extra")
    }

    /// A SIGHUP and the watcher can see the same change at once: it is loaded and counted once.
    @Test func concurrentReloadsOfOneChangeSwapOnce() async throws {
        let path = Self.temporary("policy.yaml")
        try GatewayEndpointTests.yaml.write(toFile: path, atomically: true, encoding: .utf8)
        let active = ActivePolicy(try ActivePolicy.load(path, files: LocalFiles()).get())
        let reloader = PolicyReloader(path: path, active: active) { _ in }
        try (GatewayEndpointTests.yaml + "\n  - id: extra\n    match: { path: /extra }\n    allow: anyone\n")
            .write(toFile: path, atomically: true, encoding: .utf8)
        let swaps = await withTaskGroup(of: Bool.self) { group in
            for _ in 0..<8 { group.addTask { reloader.reload() } }
            return await group.reduce(0) { $0 + ($1 ? 1 : 0) }
        }
        #expect(swaps == 1)
        #expect(reloader.current == PolicyReloader.Counts(succeeded: 1, failed: 0))
    }

    @Test func decisionsAreLoggedWithoutTheToken() async throws {
        let path = Self.temporary("decisions.jsonl")
        let log = try DecisionLog(path: path)
        let loaded = try ActivePolicy.load(SourceFile(name: "serve.yaml", text: GatewayEndpointTests.yaml)).get()
        let app = Application(router: DecisionServer.router(policy: ActivePolicy(loaded), log: log))
        let id = try await app.test(.router) { client in
            let response = try await client.execute(
                uri: "/v1/auth/forward", method: .get,
                headers: GatewayEndpointTests.headers([
                    ("X-Forwarded-Uri", "/rest/deploy/web"), ("X-Forwarded-Method", "POST"),
                    ("Authorization", "Bearer \(GatewayEndpointTests.token)"),
                ]))
            return response.headers[HTTPField.Name("X-Gatehouse-Decision")!]
        }
        let text = try String(contentsOfFile: path, encoding: .utf8)
        #expect(!text.contains(GatewayEndpointTests.token))
        let lines = text.split(separator: "\n")
        #expect(lines.count == 1)
        let entry = try JSONSerialization.jsonObject(with: Data(lines[0].utf8)) as? [String: Any]
        #expect(entry?["decision_id"] as? String == id)
        #expect(entry?["gateway"] as? String == "forward")
        #expect(entry?["policy"] as? String == String(loaded.sha256.prefix(12)))
        #expect(entry?["path"] as? String == "/rest/deploy/web")
        #expect(entry?["rule"] as? String == "deploy")
        #expect(entry?["code"] as? String == "rule.allow")
        #expect(entry?["username"] as? String == "ci-bot")
        #expect(entry?["token"] as? String == String(Digest.sha256Hex(GatewayEndpointTests.token).prefix(12)))
        #expect(entry?["latency_us"] is Int)
        // `gatehouse diff --requests` reads the line back as the same request and caller.
        let replayed = try TrafficFile.parse(String(lines[0]), name: "log").first
        #expect(replayed?.request?.method == "POST")
        #expect(replayed?.request?.target == "/rest/deploy/web")
        #expect(replayed?.identity?.username == "ci-bot")
        #expect(replayed?.identity?.scheme == .apiToken)
        #expect(replayed?.identity?.scopes == (entry?["scopes"] as? [String]))
    }
}

extension OperationsTests {
    /// The log's lines are written by hand, not by JSONEncoder: every string survives a JSON parser.
    @Test func logLinesAreJSONWhateverTheStrings() throws {
        let awkward = "a\"b\\c/d\u{01}\n\té😀"
        var line = JSONLine()
        line.add("path", awkward)
        line.add("rule", nil as String?)
        line.add("scopes", ["a", "b\"c"])
        line.add("status", 403)
        let text = line.finished()
        #expect(text.hasSuffix("}\n"))
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(object?["path"] as? String == awkward)
        #expect(object?["status"] as? Int == 403)
        #expect(object?["scopes"] as? [String] == ["a", "b\"c"])
        #expect(object?.keys.sorted() == ["path", "scopes", "status"])
    }

    @Test func metricsCountDecisionsByResultCodeAndRule() async throws {
        let loaded = try ActivePolicy.load(SourceFile(name: "serve.yaml", text: GatewayEndpointTests.yaml)).get()
        let metrics = ServerMetrics()
        let app = Application(router: DecisionServer.router(policy: ActivePolicy(loaded), metrics: metrics))
        let text = try await app.test(.router) { client in
            for _ in 0..<2 {
                _ = try await client.execute(
                    uri: "/v1/auth/nginx", method: .get,
                    headers: GatewayEndpointTests.headers([("X-Original-URI", "/rest/x"), ("X-Original-Method", "GET")])
                )
            }
            let response = try await client.execute(uri: "/metrics", method: .get)
            return String(buffer: response.body)
        }
        #expect(
            text.contains(
                #"gatehouse_decisions_total{result="deny",code="credentials.missing",rule="rest",gateway="nginx"} 2"#))
        #expect(text.contains(#"gatehouse_decision_duration_seconds_count{gateway="nginx"} 2"#))
        metrics.reloaded(succeeded: false)
        #expect(metrics.render().contains(#"gatehouse_policy_reloads_total{result="failed"} 1"#))
        metrics.events.cacheHit("token")
        metrics.events.keysFetched("okta", false)
        #expect(metrics.render().contains(#"gatehouse_cache_hits_total{cache="token"} 1"#))
        #expect(metrics.render().contains(#"gatehouse_jwks_fetches_total{provider="okta",result="failed"} 1"#))
    }
}

extension OperationsTests {
    /// Over the network, oversized headers are refused by the HTTP layer before any decision.
    @Test func oversizedHeadersAreRefused() async throws {
        let loaded = try ActivePolicy.load(SourceFile(name: "serve.yaml", text: GatewayEndpointTests.yaml)).get()
        let app = Application(
            router: DecisionServer.router(policy: ActivePolicy(loaded)),
            server: .http1(configuration: DecisionServer.http1),
            configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let publicRequest = [("X-Original-URI", "/status"), ("X-Original-Method", "GET")]
            let ok = try await client.execute(
                uri: "/v1/auth/nginx", method: .get, headers: GatewayEndpointTests.headers(publicRequest))
            #expect(ok.status == .ok)
            // The same allowed request with one 40 KiB header (the HTTP layer's default would take 80 KiB).
            let huge = GatewayEndpointTests.headers(
                publicRequest + [("X-Padding", String(repeating: "a", count: 40 * 1024))])
            let refused = try? await client.execute(uri: "/v1/auth/nginx", method: .get, headers: huge)
            #expect(refused.map { $0.status != .ok } ?? true)
        }
    }
}

extension OperationsTests {
    /// `/readyz` is 503 while a provider cannot be used, and names it and why.
    @Test func readinessNamesProvidersThatCannotBeUsed() async throws {
        let yaml = """
            version: 1
            providers:
              gone:
                kind: oidc
                issuer: http://127.0.0.1:9
                audiences: [api]
            rules: []
            """
        let loaded = try ActivePolicy.load(SourceFile(name: "gone.yaml", text: yaml)).get()
        let app = Application(router: DecisionServer.router(policy: ActivePolicy(loaded)))
        try await app.test(.router) { client in
            let response = try await client.execute(uri: "/readyz", method: .get)
            #expect(response.status == .serviceUnavailable)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            #expect(body?["status"] as? String == "not ready")
            let reason = (body?["providers"] as? [String: String])?["gone"]
            #expect(reason?.hasPrefix("discovery cannot be reached") == true)
        }
    }
}
