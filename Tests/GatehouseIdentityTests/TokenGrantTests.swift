import Foundation
import Gatehouse
import Synchronization
import Testing

@testable import GatehouseIdentity

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// The token endpoint's grants in-process: what each sends, and that a refusal says what the
/// provider said without the refresh token or the client secret (the real exchanges with nanoidp
/// are IdentityProviderCLITests').
/// A provider in-process: its discovery names a device endpoint, which hands out one device code,
/// and an authorization endpoint (saying, when `namesIssuer`, that its redirects carry `iss`);
/// its token endpoint answers the scripted statuses and bodies in turn (the last one again once
/// the script is used up); every POST is recorded.
final class FakeTokenProvider: HTTPFetching {
    let script: Mutex<[(Int, String)]>
    let posts = Mutex<[(form: [(String, String)], headers: [(String, String)])]>([])
    let namesIssuer: Bool

    init(_ script: [(Int, String)], namesIssuer: Bool = false) {
        self.script = Mutex(script)
        self.namesIssuer = namesIssuer
    }

    func get(_ url: String, headers: [(String, String)], timeout: Duration) async throws -> HTTPAnswer {
        let document = """
            {"issuer": "https://idp.example.com", "token_endpoint": "https://idp.example.com/token",
             "device_authorization_endpoint": "https://idp.example.com/device", "jwks_uri": "https://idp.example.com/jwks",
             "authorization_endpoint": "https://idp.example.com/authorize",
             "authorization_response_iss_parameter_supported": \(namesIssuer)}
            """
        return HTTPAnswer(status: 200, maxAge: nil, body: Array(document.utf8))
    }

    func post(_ url: String, form: [(String, String)], headers: [(String, String)], timeout: Duration)
        async throws -> HTTPAnswer
    {
        posts.withLock { $0.append((form, headers)) }
        if url.hasSuffix("/device") {
            let body =
                #"{"device_code":"dev-secret-1","user_code":"ABCD-EFGH","verification_uri":"https://idp.example.com/activate","interval":5,"expires_in":600}"#
            return HTTPAnswer(status: 200, maxAge: nil, body: Array(body.utf8))
        }
        let (status, body) = script.withLock { $0.count > 1 ? $0.removeFirst() : $0.first ?? (500, "{}") }
        return HTTPAnswer(status: status, maxAge: nil, body: Array(body.utf8))
    }
}

@Suite struct TokenGrantTests {
    static let provider: Provider = {
        let yaml = """
            version: 1
            name: grants
            providers:
              idp:
                kind: oidc
                issuer: https://idp.example.com
                token_endpoint: https://idp.example.com/token
                jwks_uri: https://idp.example.com/jwks
            rules:
              - id: api
                match: { path: /api/** }
                require: authenticated
            """
        return try! Support.compile(yaml, name: "grants.yaml").provider("idp")!
    }()

    @Test func aPublicClientRefreshesWithItsIDInTheForm() async throws {
        let recorder = FakeTokenProvider([
            (200, #"{"access_token":"new-access","refresh_token":"next","expires_in":300}"#)
        ])
        let response = try await TokenEndpoint.request(
            .refreshToken("old-refresh", scope: "openid"), provider: Self.provider, clientID: "cli", secret: nil,
            fetcher: recorder
        ).get()
        #expect(response.accessToken == "new-access")
        #expect(response.fields["refresh_token"]?.stringValue == "next")
        let post = try #require(recorder.posts.withLock { $0.first })
        #expect(
            post.form.map { "\($0.0)=\($0.1)" } == [
                "grant_type=refresh_token", "refresh_token=old-refresh", "scope=openid", "client_id=cli",
            ])
        #expect(!post.headers.contains { $0.0 == "Authorization" })
    }

    @Test func aConfidentialClientAuthenticatesWithBasic() async throws {
        setenv("GATEHOUSE_GRANT_SECRET", "s3cret", 1)
        let recorder = FakeTokenProvider([(200, #"{"access_token":"a"}"#)])
        _ = try await TokenEndpoint.request(
            .refreshToken("r", scope: nil), provider: Self.provider, clientID: "app",
            secret: .environment("GATEHOUSE_GRANT_SECRET"), fetcher: recorder
        ).get()
        let post = try #require(recorder.posts.withLock { $0.first })
        #expect(
            post.headers.contains { $0 == ("Authorization", "Basic " + Data("app:s3cret".utf8).base64EncodedString()) })
        #expect(!post.form.contains { $0.0 == "client_id" })
    }

    /// The provider's error and description, as given; a secret it echoes is not shown.
    @Test func aRefusalSaysWhatTheProviderSaidButNoSecret() async throws {
        setenv("GATEHOUSE_GRANT_SECRET", "s3cret", 1)
        let recorder = FakeTokenProvider([
            (
                400,
                #"{"error":"invalid_grant","error_description":"refresh token old-refresh-123 expired (client secret s3cret)"}"#
            )
        ])
        let failure = await TokenEndpoint.request(
            .refreshToken("old-refresh-123", scope: nil), provider: Self.provider, clientID: "app",
            secret: .environment("GATEHOUSE_GRANT_SECRET"), fetcher: recorder)
        #expect(throws: ProviderUnavailable.self) { try failure.get() }
        guard case .failure(let unavailable) = failure else { return }
        #expect(
            unavailable.reason
                == "the token endpoint answered 400: invalid_grant (refresh token … expired (client secret …))")
    }
}

/// RFC 8628's device grant in-process: the code shown, the polling at the provider's interval
/// (5 s more after `slow_down`), and each way it ends.
@Suite struct DeviceGrantTests {
    /// The grant tests' provider: discovery names its device endpoint.
    static let provider = TokenGrantTests.provider

    static func run(_ script: [(Int, String)]) async -> (Result<TokenResponse, ProviderUnavailable>, [Int], [String]) {
        let fetcher = FakeTokenProvider(script)
        let slept = Mutex<[Int]>([])
        let shown = Mutex<[String]>([])
        let result = await TokenEndpoint.device(
            provider: provider, clientID: "cli", secret: nil, scope: "openid", fetcher: fetcher,
            show: { code in shown.withLock { $0.append("\(code.verificationURI) \(code.userCode)") } },
            sleep: { duration in slept.withLock { $0.append(Int(duration.components.seconds)) } })
        return (result, slept.withLock { $0 }, shown.withLock { $0 })
    }

    @Test func pendingThenSlowDownThenTheToken() async throws {
        let (result, slept, shown) = await Self.run([
            (400, #"{"error":"authorization_pending"}"#), (400, #"{"error":"slow_down"}"#),
            (200, #"{"access_token":"person-token","refresh_token":"r","id_token":"i"}"#),
        ])
        #expect(try result.get().accessToken == "person-token")
        #expect(slept == [5, 5, 10])
        #expect(shown == ["https://idp.example.com/activate ABCD-EFGH"])
    }

    @Test(arguments: [
        ("expired_token", "the token endpoint answered 400: expired_token"),
        ("access_denied", "the token endpoint answered 400: access_denied"),
    ])
    func endsWithWhatTheProviderSaid(_ error: String, _ reason: String) async throws {
        let (result, _, _) = await Self.run([
            (400, #"{"error":"\#(error)","error_description":"dev-secret-1 is done"}"#)
        ])
        guard case .failure(let failure) = result else {
            Issue.record("a token after \(error)")
            return
        }
        #expect(failure.reason == reason + " (… is done)", "the device code is never shown")
    }
}

/// The pieces of the authorization-code grant that need no provider.
@Suite struct AuthorizationCodeTests {
    @Test func theIDTokensNonceIsRead() {
        let payload = Data(#"{"iss":"x","nonce":"n-123"}"#.utf8)
        let token = "e30." + Base64URL.encode(payload) + ".sig"
        #expect(AuthorizationCode.nonce(of: token) == "n-123")
        #expect(AuthorizationCode.nonce(of: "e30.e30.sig") == nil)
        #expect(AuthorizationCode.nonce(of: "not a token") == nil)
    }

    @Test func randomValuesAreURLSafeAndFresh() {
        let values = (0..<50).map { _ in AuthorizationCode.random(32) }
        #expect(Set(values).count == 50)
        #expect(
            values.allSatisfy { $0.count == 43 && $0.allSatisfy { $0.isLetter || $0.isNumber || "-_".contains($0) } })
    }

    /// RFC 9207: an `iss` in the redirect must be the provider's (another one is a mix-up attack:
    /// the code was issued elsewhere), and must be there when the provider says it always sends it;
    /// a refused redirect's code is never exchanged.
    @Test(arguments: [
        ("&iss=https%3A%2F%2Fidp.example.com", true, nil),
        ("", false, nil),
        (
            "&iss=https%3A%2F%2Fevil.example.com", false,
            "the redirect names the issuer `https://evil.example.com`, not the provider's `https://idp.example.com`: refused"
        ),
        ("", true, "the redirect names no issuer, though the provider says it always does (RFC 9207): refused"),
    ])
    func theRedirectsIssuerIsChecked(suffix: String, advertised: Bool, refusal: String?) async throws {
        let provider = FakeTokenProvider(
            [(200, #"{"access_token":"at-1","token_type":"Bearer"}"#)], namesIssuer: advertised)
        let flow = try await AuthorizationCode.begin(
            provider: TokenGrantTests.provider, clientID: "cli", secret: nil, scope: nil, fetcher: provider
        ).get()
        let state = try #require(URLComponents(string: flow.url)?.queryItems?.first { $0.name == "state" }?.value)
        async let result = flow.finish(timeout: .seconds(10))
        _ = try await URLSession.shared.data(from: URL(string: flow.redirect.uri + "?code=c1&state=\(state)" + suffix)!)
        switch await result {
        case .success(let response):
            #expect(refusal == nil)
            #expect(response.accessToken == "at-1")
        case .failure(let failure):
            #expect(failure.reason == refusal)
            #expect(provider.posts.withLock { $0.isEmpty })
        }
    }

    /// `--redirect-port`: the listener takes the port asked for, for providers that register
    /// exact redirect URIs.
    @Test func theLoopbackTakesAGivenPort() throws {
        let picked = try LoopbackRedirect()
        let port = UInt16(picked.port)
        _ = consume picked
        let fixed = try LoopbackRedirect(port: port)
        #expect(fixed.uri == "http://127.0.0.1:\(port)/callback")
        #expect(throws: ProviderUnavailable.self) { try LoopbackRedirect(port: port) }
    }

    /// The loopback listener answers only `/callback`; anything else is 404 and the wait goes on.
    @Test func theLoopbackTakesOnlyTheCallback() async throws {
        let redirect = try LoopbackRedirect()
        #expect(redirect.uri == "http://127.0.0.1:\(redirect.port)/callback")
        async let query = redirect.wait(timeout: .seconds(10))
        let other = try await URLSession.shared.data(
            from: URL(string: "http://127.0.0.1:\(redirect.port)/favicon.ico")!)
        #expect((other.1 as? HTTPURLResponse)?.statusCode == 404)
        let callback = try await URLSession.shared.data(
            from: URL(string: "http://127.0.0.1:\(redirect.port)/callback?code=c%2F1&state=s")!)
        #expect((callback.1 as? HTTPURLResponse)?.statusCode == 200)
        #expect(try await query == ["code": "c/1", "state": "s"])
    }
}
