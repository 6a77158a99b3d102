import Foundation
import Gatehouse
import Synchronization
import Testing

@testable import GatehouseIdentity

/// The token endpoint's grants in-process: what each sends, and that a refusal says what the
/// provider said without the refresh token or the client secret (the real exchanges with nanoidp
/// are IdentityProviderCLITests').
@Suite struct TokenGrantTests {
    /// Records each POST and answers with a fixed status and body.
    final class Recorder: HTTPFetching {
        let status: Int
        let body: String
        let posts = Mutex<[(form: [(String, String)], headers: [(String, String)])]>([])

        init(status: Int, body: String) {
            self.status = status
            self.body = body
        }

        func get(_ url: String, headers: [(String, String)], timeout: Duration) async throws -> HTTPAnswer {
            HTTPAnswer(status: 404, maxAge: nil, body: [])
        }

        func post(_ url: String, form: [(String, String)], headers: [(String, String)], timeout: Duration)
            async throws -> HTTPAnswer
        {
            posts.withLock { $0.append((form, headers)) }
            return HTTPAnswer(status: status, maxAge: nil, body: Array(body.utf8))
        }
    }

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
        let recorder = Recorder(
            status: 200, body: #"{"access_token":"new-access","refresh_token":"next","expires_in":300}"#)
        let response = try await ClientCredentials.request(
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
        let recorder = Recorder(status: 200, body: #"{"access_token":"a"}"#)
        _ = try await ClientCredentials.request(
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
        let recorder = Recorder(
            status: 400,
            body:
                #"{"error":"invalid_grant","error_description":"refresh token old-refresh-123 expired (client secret s3cret)"}"#
        )
        let failure = await ClientCredentials.request(
            .refreshToken("old-refresh-123", scope: nil), provider: Self.provider, clientID: "app",
            secret: .environment("GATEHOUSE_GRANT_SECRET"), fetcher: recorder)
        #expect(throws: ProviderUnavailable.self) { try failure.get() }
        guard case .failure(let unavailable) = failure else { return }
        #expect(
            unavailable.reason
                == "the token endpoint answered 400: invalid_grant (refresh token … expired (client secret …))")
    }
}
