import Foundation
import Gatehouse
import GatehouseGRPCAPI
import SwiftProtobuf
import Testing

@testable import GatehouseIdentity
@testable import GatehouseServer

/// What only the gRPC door has: the original request read from the attributes alone (never a
/// header), the limits on what a `CheckRequest` may carry, the peer, the dynamic metadata, and
/// failing closed. The answers it shares with the HTTP doors are ParityTests'.
@Suite struct EnvoyGRPCTests {
    static func decisions(_ yaml: String = GatewayEndpointTests.yaml) throws -> Decisions {
        let loaded = try ActivePolicy.load(SourceFile(name: "grpc.yaml", text: yaml)).get()
        return Decisions(
            policy: ActivePolicy(loaded), ledger: Ledger(log: nil, metrics: ServerMetrics()), clock: { Date() })
    }

    /// A check request for `method` and `path` with `headers`, as Envoy sends them.
    static func request(_ method: String, _ path: String, _ headers: [String: String] = [:])
        -> Envoy_Service_Auth_V3_CheckRequest
    {
        var request = Envoy_Service_Auth_V3_CheckRequest()
        request.attributes.request.http.method = method
        request.attributes.request.http.path = path
        request.attributes.request.http.host = "api.example.com"
        request.attributes.request.http.headers = headers
        return request
    }

    static let bearer = ["authorization": "Bearer " + GatewayEndpointTests.token]

    /// The decision's code, as the response's metadata names it, and the HTTP status sent.
    static func outcome(_ response: Envoy_Service_Auth_V3_CheckResponse) -> (String?, Int) {
        let code = response.dynamicMetadata.fields["code"]?.stringValue
        switch response.httpResponse {
        case .okResponse?: return (code, 200)
        case .deniedResponse(let denied)?: return (code, denied.status.code.rawValue)
        default: return (code, 0)
        }
    }

    /// The OK response, when the answer is one.
    static func ok(_ response: Envoy_Service_Auth_V3_CheckResponse) -> Envoy_Service_Auth_V3_OkHttpResponse? {
        if case .okResponse(let ok)? = response.httpResponse { return ok }
        return nil
    }

    /// The denied response, when the answer is one.
    static func denied(_ response: Envoy_Service_Auth_V3_CheckResponse) -> Envoy_Service_Auth_V3_DeniedHttpResponse? {
        if case .deniedResponse(let denied)? = response.httpResponse { return denied }
        return nil
    }

    struct Case: Sendable, CustomStringConvertible {
        let name: String
        let request: Envoy_Service_Auth_V3_CheckRequest
        let code: String
        let status: Int
        var description: String { name }
    }

    static let hostile: [Case] = {
        var none = Envoy_Service_Auth_V3_CheckRequest()
        none.attributes.contextExtensions["x"] = "y"
        var fragment = request("GET", "/rest/things", bearer)
        fragment.attributes.request.http.fragment = "top"
        var raw = request("GET", "/rest/things")
        var notUTF8 = Envoy_Config_Core_V3_HeaderValue()
        (notUTF8.key, notUTF8.rawValue) = ("authorization", Data([0x42, 0xff, 0xfe]))
        raw.attributes.request.http.headerMap.headers = [notUTF8]
        let many = Dictionary(uniqueKeysWithValues: (0...100).map { ("x-field-\($0)", "v") })
        return [
            Case(name: "no attributes", request: none, code: "request.missing-original", status: 400),
            Case(
                name: "no method", request: request("", "/rest/things", bearer), code: "request.missing-original",
                status: 400),
            Case(name: "no path", request: request("GET", "", bearer), code: "request.missing-original", status: 400),
            Case(name: "a fragment Envoy split off", request: fragment, code: "request.invalid-target", status: 400),
            Case(
                name: "a pseudo-header naming another path changes nothing",
                request: request("GET", "/rest/admin/x", bearer.merging([":path": "/status"]) { $1 }),
                code: "require.scope", status: 403),
            Case(
                name: "nginx's X-Original-URI changes nothing",
                request: request("GET", "/rest/admin/x", bearer.merging(["x-original-uri": "/status"]) { $1 }),
                code: "require.scope", status: 403),
            Case(
                name: "a method override header is refused",
                request: request("GET", "/rest/things", bearer.merging(["x-http-method-override": "POST"]) { $1 }),
                code: "request.override-header", status: 400),
            Case(name: "a raw header that is not UTF-8", request: raw, code: "request.malformed", status: 400),
            Case(
                name: "a header over 32 KiB",
                request: request("GET", "/rest/things", ["x-big": String(repeating: "a", count: 33 * 1024)]),
                code: "request.malformed", status: 400),
            Case(
                name: "more than 100 header fields", request: request("GET", "/rest/things", many),
                code: "request.malformed", status: 400),
            Case(
                name: "dot segments in the path", request: request("GET", "/rest/./admin", bearer),
                code: "request.invalid-target", status: 400),
        ]
    }()

    @Test(arguments: hostile)
    func hostileCheckRequestsAreRefused(_ testCase: Case) async throws {
        let response = await EnvoyGRPC.response(to: testCase.request, try Self.decisions())
        let (code, status) = Self.outcome(response)
        #expect(code == testCase.code)
        #expect(status == testCase.status)
        #expect(response.status.code == 7, "PERMISSION_DENIED, never OK")
    }

    /// The headers by name, with `header_map` keeping their order.
    @Test func headerMapKeepsOrderAndDropsPseudoHeaders() throws {
        var request = Self.request("GET", "/rest/things")
        request.attributes.request.http.headerMap.headers = [(":authority", "a"), ("b", "1"), ("a", "2")].map {
            var header = Envoy_Config_Core_V3_HeaderValue()
            (header.key, header.value) = ($0.0, $0.1)
            return header
        }
        let original = try EnvoyGRPC.original(of: request).get()
        #expect(original.headers.map { "\($0.name)=\($0.value)" } == ["b=1", "a=2"])
        #expect(original.host == "api.example.com")
    }

    @Test func thePeerReachesTheEngine() throws {
        var request = Self.request("GET", "/rest/things")
        request.attributes.source.address.socketAddress.address = "10.0.0.7"
        request.attributes.source.address.socketAddress.portValue = 51234
        request.attributes.source.certificate = "-----BEGIN%20CERTIFICATE-----"
        let original = try EnvoyGRPC.original(of: request).get()
        #expect(
            original.peer == APIRequest.Peer(address: "10.0.0.7:51234", certificate: "-----BEGIN%20CERTIFICATE-----"))
        #expect(try EnvoyGRPC.original(of: Self.request("GET", "/")).get().peer == nil)
    }

    @Test func anAllowSetsTheIdentityAndItsMetadata() async throws {
        let response = await EnvoyGRPC.response(
            to: Self.request("POST", "/rest/deploy/web", Self.bearer.merging(["x-auth-user": "forged"]) { $1 }),
            try Self.decisions())
        let ok = try #require(Self.ok(response))
        #expect(ok.headers.first { $0.header.key == "X-Auth-User" }?.header.value == "ci-bot")
        #expect(
            ok.headersToRemove == [
                "x-auth-subject", "x-auth-provider", "x-auth-groups", "x-auth-scopes", "x-auth-rule",
            ])
        let fields = response.dynamicMetadata.fields
        #expect(fields["username"]?.stringValue == "ci-bot")
        #expect(fields["rule"]?.stringValue == "deploy")
        #expect(fields["scopes"]?.listValue.values.map(\.stringValue) == ["deploy"])
        #expect(fields["groups"]?.listValue.values == [])
        #expect(fields["revision"]?.stringValue.hasPrefix("sha256:") == true)
        #expect(
            fields["decision_id"]?.stringValue
                == ok.headers.first { $0.header.key == "X-Gatehouse-Decision" }?.header.value)
        #expect(fields["provider"] == nil, "an API token has no provider")
    }

    @Test func anAllowWithoutAnIdentityRemovesTheClientsCopies() async throws {
        let response = await EnvoyGRPC.response(
            to: Self.request("GET", "/status", ["x-auth-user": "forged", "x-auth-scheme": "basic"]),
            try Self.decisions())
        let ok = try #require(Self.ok(response))
        #expect(
            ok.headersToRemove == [
                "x-auth-scheme", "x-auth-user", "x-auth-subject", "x-auth-provider", "x-auth-groups", "x-auth-scopes",
                "x-auth-rule",
            ])
        #expect(ok.headers.map(\.header.key) == ["X-Gatehouse-Decision", "X-Gatehouse-Revision"])
        #expect(response.dynamicMetadata.fields["username"] == nil)
    }

    @Test func a401IsUnauthenticatedWithTheChallenge() async throws {
        let response = await EnvoyGRPC.response(to: Self.request("GET", "/rest/things"), try Self.decisions())
        let denied = try #require(Self.denied(response))
        #expect(response.status.code == 16)
        #expect(response.status.message == "credentials.missing")
        #expect(denied.status.code == .unauthorized)
        #expect(
            denied.headers.first { $0.header.key == "WWW-Authenticate" }?.header.value == "Bearer realm=\"serve-tests\""
        )
        let body = try JSONSerialization.jsonObject(with: Data(denied.body.utf8)) as? [String: String]
        #expect(body?["code"] == "credentials.missing")
    }

    /// No policy in force: 503, a denial, never OK.
    @Test func noPolicyIsADenial() async throws {
        let decisions = Decisions(
            policy: ActivePolicy(nil), ledger: Ledger(log: nil, metrics: ServerMetrics()), clock: { Date() })
        let response = await EnvoyGRPC.response(to: Self.request("GET", "/status"), decisions)
        #expect(Self.outcome(response) == ("policy.unavailable", 503))
        #expect(response.status.code == 7)
    }

    /// A provider that cannot be reached: 503, a denial, never OK (fail closed).
    @Test func anUnreachableProviderIsADenial() async throws {
        let yaml = """
            version: 1
            name: unreachable
            providers:
              idp:
                kind: oidc
                issuer: http://127.0.0.1:9
                audiences: [api]
                verify: jwt
                algorithms: [RS256]
            schemes: [bearer]
            rules:
              - id: rest
                match: { path: /rest/** }
                require: authenticated
            """
        let header = Base64URL.encode(Array(#"{"alg":"RS256","typ":"JWT","kid":"k1"}"#.utf8))
        let claims = Base64URL.encode(
            Array(#"{"iss":"http://127.0.0.1:9","aud":"api","sub":"u","exp":4102444800}"#.utf8))
        let token = "\(header).\(claims).c2lnbmF0dXJl"
        let response = await EnvoyGRPC.response(
            to: Self.request("GET", "/rest/things", ["authorization": "Bearer " + token]), try Self.decisions(yaml))
        #expect(Self.outcome(response) == ("provider.unavailable", 503))
        #expect(response.status.code == 7)
        #expect(Self.ok(response) == nil)
    }
}
