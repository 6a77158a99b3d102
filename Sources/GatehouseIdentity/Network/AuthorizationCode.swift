import Crypto
import Foundation
import Gatehouse

/// The authorization-code grant for a person at a terminal (RFC 6749 §4.1, as RFC 8252 has
/// native apps use it): PKCE with S256 (RFC 7636), a random `state` and OpenID Connect `nonce`,
/// a loopback redirect on 127.0.0.1 at a port the system picks (or a fixed one, for a provider
/// that registers exact redirect URIs), and RFC 9207's `iss` checked on the way back.
public struct AuthorizationCode: Sendable {
    /// The page the person signs in at.
    public let url: String
    let redirect: LoopbackRedirect
    /// The token endpoint the code is exchanged at, found with the authorization endpoint.
    let token: String
    let client: TokenEndpoint.Client
    let verifier: String
    let state: String
    let nonce: String
    /// The provider's issuer, which an `iss` in the redirect must equal (RFC 9207).
    let issuer: String
    /// Whether the provider says it always sends `iss`: then a redirect without it is refused.
    let issuerRequired: Bool
    let fetcher: any HTTPFetching

    /// A sign-in for `clientID` at `provider`'s authorization endpoint, asking for `scope`
    /// (`openid` by default), with its loopback listener open on `port` (0: the system picks).
    public static func begin(
        provider: Provider, clientID: String, secret: SecretReference?, scope: String?, port: UInt16 = 0,
        fetcher: any HTTPFetching = NetworkFetcher()
    ) async -> Result<AuthorizationCode, ProviderUnavailable> {
        await TokenEndpoint.attempt {
            let client = try TokenEndpoint.Client(id: clientID, secret: secret, hiding: [])
            let endpoints = try await TokenEndpoint.endpoints(of: provider, needing: \.authorization, fetcher)
            let endpoint = try TokenEndpoint.url(endpoints, \.authorization, "authorization")
            let token = try TokenEndpoint.url(endpoints, \.token, "token")
            let redirect = try LoopbackRedirect(port: port)
            let verifier = random(32), state = random(16), nonce = random(16)
            let challenge = Base64URL.encode(Array(SHA256.hash(data: Data(verifier.utf8))))
            var components = URLComponents(string: endpoint)
            let present = components?.queryItems ?? []
            components?.queryItems =
                present
                + [
                    ("response_type", "code"), ("client_id", clientID), ("redirect_uri", redirect.uri),
                    ("scope", scope ?? "openid"), ("state", state), ("nonce", nonce), ("code_challenge", challenge),
                    ("code_challenge_method", "S256"),
                ].map { URLQueryItem(name: $0.0, value: $0.1) }
            guard let url = components?.url?.absoluteString else {
                throw ProviderUnavailable(reason: "the authorization endpoint is not a URL")
            }
            return AuthorizationCode(
                url: url, redirect: redirect, token: token, client: client, verifier: verifier, state: state,
                nonce: nonce, issuer: provider.issuer, issuerRequired: endpoints.namesIssuerInResponse,
                fetcher: fetcher)
        }
    }

    /// Waits (at most `timeout`) for the browser to come back, checks `state` and `iss`
    /// (RFC 9207: when present it must be the provider's issuer, and it must be present when the
    /// provider says it sends it; a mix-up attack gives another issuer's), exchanges the code
    /// with the PKCE verifier, and checks the ID token's `nonce` when there is an ID token. The
    /// provider's `error` and `error_description` are shown as it gave them.
    public func finish(timeout: Duration = .seconds(300)) async -> Result<TokenResponse, ProviderUnavailable> {
        let query: [String: String]
        do {
            query = try await redirect.wait(timeout: timeout)
        } catch {
            return .failure(error)
        }
        guard query["state"] == state else {
            return .failure(ProviderUnavailable(reason: "the redirect's state is not the one sent: refused"))
        }
        switch query["iss"] {
        case let said? where !said.isExactly(issuer):
            return .failure(
                ProviderUnavailable(
                    reason:
                        "the redirect names the issuer `\(StrictJSON.printable(said))`, not the provider's `\(issuer)`: refused"
                ))
        case nil where issuerRequired:
            return .failure(
                ProviderUnavailable(
                    reason: "the redirect names no issuer, though the provider says it always does (RFC 9207): refused")
            )
        default: break
        }
        guard let code = query["code"] else {
            var body: [String: JSONValue] = [:]
            for name in ["error", "error_description"] { body[name] = query[name].map(JSONValue.string) }
            return .failure(
                ProviderUnavailable(
                    reason: TokenEndpoint.refusal("the authorization endpoint", 302, body, hiding: [])))
        }
        let grant = TokenGrant.authorizationCode(code, redirectURI: redirect.uri, verifier: verifier)
        var exchanging = client
        exchanging.hidden += grant.secrets
        let result = await TokenEndpoint.attempt { try await exchanging.exchange(grant, at: token, fetcher) }
        if case .success(let response) = result, let idToken = response.fields["id_token"]?.stringValue,
            Self.nonce(of: idToken) != nonce
        {
            return .failure(ProviderUnavailable(reason: "the ID token's nonce is not the one sent: refused"))
        }
        return result
    }

    /// The `nonce` claim of a compact JWS's payload (its signature is not checked here: the token
    /// came straight from the token endpoint).
    static func nonce(of token: String) -> String? {
        try? CompactJWS.parse(token).get().payload().get()["nonce"]?.stringValue
    }

    static func random(_ count: Int) -> String {
        var generator = SystemRandomNumberGenerator()
        return Base64URL.encode((0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) })
    }
}
