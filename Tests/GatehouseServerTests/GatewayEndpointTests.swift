import Foundation
import Gatehouse
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseIdentity
@testable import GatehouseServer

/// The gateway endpoints in-process: each reads only its own convention, answers in statuses its
/// gateway understands, and always sets the identity headers on allow.
@Suite struct GatewayEndpointTests {
    /// `printf %s ci-token-123 | sha256sum`
    static let token = "ci-token-123"
    static let yaml = """
        version: 1
        name: serve-tests
        api_tokens:
          - id: ci
            sha256: \(Digest.hex("ci-token-123"))
            username: ci-bot
            scopes: [deploy]
        schemes: [api_token]
        upstream_headers:
          X-Auth-User: username
          X-Auth-Scheme: scheme
        rules:
          - id: public
            match: { path: /status }
            allow: anyone
          - id: deploy
            match: { path: /rest/deploy/**, methods: [POST] }
            require: { scopes: [deploy] }
          - id: admin
            match: { path: /rest/admin/** }
            require: { scopes: [admin] }
          - id: rest
            match: { path: /rest/** }
            require: authenticated
        """

    static func app() throws -> some ApplicationProtocol {
        let source = SourceFile(name: "serve.yaml", text: yaml)
        let loaded = try ActivePolicy.load(source).get()
        return Application(router: DecisionServer.router(policy: ActivePolicy(loaded)))
    }

    static func headers(_ pairs: [(String, String)]) -> HTTPFields {
        var fields = HTTPFields()
        for (name, value) in pairs { fields.append(HTTPField(name: HTTPField.Name(name)!, value: value)) }
        return fields
    }

    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let uri: String
        let method: HTTPTypes.HTTPRequest.Method
        let headers: [(String, String)]
        let status: Int
        let user: String?
        var description: String { name }
    }

    static let bearer = ("Authorization", "Bearer ci-token-123")
    static let cases: [Case] = [
        Case(
            name: "nginx allows", uri: "/v1/auth/nginx", method: .get,
            headers: [("X-Original-URI", "/rest/deploy/web?x=1"), ("X-Original-Method", "POST"), bearer], status: 200,
            user: "ci-bot"),
        Case(
            name: "nginx: a client's X-Auth-User never survives", uri: "/v1/auth/nginx", method: .get,
            headers: [("X-Original-URI", "/status"), ("X-Original-Method", "GET"), ("X-Auth-User", "admin")],
            status: 200, user: ""),
        Case(
            name: "nginx: no token", uri: "/v1/auth/nginx", method: .get,
            headers: [("X-Original-URI", "/rest/x"), ("X-Original-Method", "GET")], status: 401, user: nil),
        Case(
            name: "nginx: Basic is off", uri: "/v1/auth/nginx", method: .get,
            headers: [("X-Original-URI", "/rest/x"), ("X-Original-Method", "GET"), ("Authorization", "Basic YTpi")],
            status: 401, user: nil),
        Case(
            name: "nginx: missing scope", uri: "/v1/auth/nginx", method: .get,
            headers: [("X-Original-URI", "/rest/admin/x"), ("X-Original-Method", "GET"), bearer], status: 403, user: nil
        ),
        Case(
            name: "nginx: a non-canonical target is refused (400 becomes 403 for nginx)", uri: "/v1/auth/nginx",
            method: .get,
            headers: [("X-Original-URI", "/rest/../admin"), ("X-Original-Method", "GET"), bearer], status: 403,
            user: nil),
        Case(
            name: "nginx: the forward convention's headers are ignored", uri: "/v1/auth/nginx", method: .get,
            headers: [("X-Forwarded-Uri", "/status"), ("X-Forwarded-Method", "GET")], status: 403, user: nil),
        Case(
            name: "envoy allows", uri: "/v1/auth/envoy/rest/deploy/web?x=1", method: .post, headers: [bearer],
            status: 200, user: "ci-bot"),
        Case(name: "envoy: no token", uri: "/v1/auth/envoy/rest/x", method: .get, headers: [], status: 401, user: nil),
        Case(
            name: "envoy: the method is the check request's own", uri: "/v1/auth/envoy/rest/deploy/web", method: .get,
            headers: [bearer, ("X-Original-Method", "POST")], status: 200, user: "ci-bot"),
        Case(
            name: "envoy: nginx-style headers change nothing", uri: "/v1/auth/envoy/rest/admin/x", method: .get,
            headers: [bearer, ("X-Original-URI", "/status")], status: 403, user: nil),
        Case(
            name: "envoy: a non-canonical target stays 400", uri: "/v1/auth/envoy/rest/a%2Fb", method: .get,
            headers: [bearer],
            status: 400, user: nil),
        Case(
            name: "forward allows", uri: "/v1/auth/forward", method: .get,
            headers: [
                ("X-Forwarded-Uri", "/rest/deploy/web"), ("X-Forwarded-Method", "POST"), ("X-Forwarded-Host", "api"),
                bearer,
            ],
            status: 200, user: "ci-bot"),
        Case(
            name: "forward: no original request is a refusal, not a guess", uri: "/v1/auth/forward", method: .get,
            headers: [bearer], status: 400, user: nil),
        Case(
            name: "forward: nginx-style headers are ignored", uri: "/v1/auth/forward", method: .get,
            headers: [("X-Original-URI", "/status"), ("X-Original-Method", "GET")], status: 400, user: nil),
    ]

    /// Which paths are a gateway's endpoint: the prefix and nothing more than a query, except
    /// Envoy's, which carries the original path after it.
    @Test(
        arguments: [
            ("/v1/auth/nginx", GatewayConvention.nginx), ("/v1/auth/nginx?x=1", .nginx), ("/v1/auth/nginx/x", nil),
            ("/v1/auth/nginxx", nil), ("/v1/auth/forward", .forward), ("/v1/auth/forward/", nil),
            ("/v1/auth/envoy", .envoy), ("/v1/auth/envoy/rest/a?b", .envoy), ("/v1/auth/envoy?q", .envoy),
            ("/v1/auth/envoyx", nil), ("/v1/auth/", nil), ("/healthz", nil), ("/V1/auth/nginx", nil),
        ] as [(String, GatewayConvention?)])
    func endpointPaths(path: String, convention: GatewayConvention?) {
        #expect(GatewayConvention.serving(path) == convention)
    }

    @Test(arguments: cases)
    func endpoint(_ testCase: Case) async throws {
        try await Self.app().test(.router) { client in
            let response = try await client.execute(
                uri: testCase.uri, method: testCase.method, headers: Self.headers(testCase.headers))
            #expect(response.status.code == testCase.status)
            #expect(response.headers[HTTPField.Name("X-Gatehouse-Decision")!]?.count == 16)
            #expect(response.headers[HTTPField.Name("X-Auth-User")!] == testCase.user)
            if testCase.status == 401 {
                #expect(response.headers[.wwwAuthenticate]?.hasPrefix("Bearer realm=\"serve-tests\"") == true)
            }
            if testCase.status != 200 {
                let body = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
                #expect(body?["code"] is String)
                #expect(!String(buffer: response.body).contains(Self.token))
            }
        }
    }

    @Test func decideTakesARequestDocument() async throws {
        try await Self.app().test(.router) { client in
            let body = #"{"method":"POST","path":"/rest/deploy/web","headers":{"Authorization":"Bearer ci-token-123"}}"#
            let response = try await client.execute(uri: "/v1/decide", method: .post, body: ByteBuffer(string: body))
            let decision = try JSONSerialization.jsonObject(with: Data(buffer: response.body)) as? [String: Any]
            #expect(decision?["code"] as? String == "rule.allow")
            #expect((decision?["identity"] as? [String: Any])?["username"] as? String == "ci-bot")
            let simulated = #"{"method":"GET","path":"/rest/x","identity":{"api_token":"ci"}}"#
            let refused = try await client.execute(
                uri: "/v1/decide", method: .post, body: ByteBuffer(string: simulated))
            #expect(refused.status == .badRequest)
        }
    }

    @Test func healthAndReadiness() async throws {
        try await Self.app().test(.router) { client in
            #expect(try await client.execute(uri: "/healthz", method: .get).status == .ok)
            let ready = try await client.execute(uri: "/readyz", method: .get)
            let body = try JSONSerialization.jsonObject(with: Data(buffer: ready.body)) as? [String: Any]
            #expect(body?["status"] as? String == "ready")
            #expect((body?["policy_sha256"] as? String)?.count == 64)
            #expect((body?["providers"] as? [String: String]) == [:])
        }
    }
}

extension Digest {
    static func hex(_ text: String) -> String { sha256Hex(text) }
}
