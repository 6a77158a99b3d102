import Foundation
import Gatehouse

/// An OAuth 2.0 grant at a provider's token endpoint (RFC 6749): client credentials (§4.4), or a
/// refresh token (§6). A confidential client authenticates with Basic; a public client (no
/// secret) names itself with `client_id` in the form.
public enum TokenGrant: Sendable {
    case clientCredentials(scope: String?)
    /// The refresh token, never shown in an error.
    case refreshToken(String, scope: String?)

    var form: [(String, String)] {
        switch self {
        case .clientCredentials(let scope):
            return [("grant_type", "client_credentials")] + (scope.map { [("scope", $0)] } ?? [])
        case .refreshToken(let token, let scope):
            return [("grant_type", "refresh_token"), ("refresh_token", token)] + (scope.map { [("scope", $0)] } ?? [])
        }
    }

    /// What the request carries that must never be shown.
    var secrets: [String] {
        if case .refreshToken(let token, _) = self { return [token] }
        return []
    }
}

/// What a token endpoint answered: the access token, and every member of its response (refresh
/// and ID tokens, expiry, scope).
public struct TokenResponse: Sendable {
    public let accessToken: String
    public let fields: [String: JSONValue]
}

/// The token endpoint of a provider.
public enum ClientCredentials {
    /// An access token for `clientID` from `provider`'s token endpoint, by the client-credentials grant.
    public static func fetch(
        provider: Provider, clientID: String, secret: SecretReference, scope: String?,
        fetcher: any HTTPFetching = NetworkFetcher()
    ) async -> Result<String, ProviderUnavailable> {
        await request(
            .clientCredentials(scope: scope), provider: provider, clientID: clientID, secret: secret,
            fetcher: fetcher
        ).map(\.accessToken)
    }

    /// `grant` at `provider`'s token endpoint, for `clientID`, authenticated with `secret` when
    /// there is one. A refusal says the provider's `error` and `error_description` as it gave
    /// them (never a secret the request carried).
    public static func request(
        _ grant: TokenGrant, provider: Provider, clientID: String, secret: SecretReference?,
        fetcher: any HTTPFetching = NetworkFetcher()
    ) async -> Result<TokenResponse, ProviderUnavailable> {
        let directory = ProviderDirectory(providers: [provider], fetcher: fetcher)
        do {
            let endpoints = try await directory.endpoints(for: provider).get()
            guard let url = endpoints.token else { throw ProviderUnavailable(reason: "no token endpoint is known") }
            var form = grant.form
            var headers = [("Accept", "application/json")]
            var secrets = grant.secrets
            if let secret {
                let value = try Secrets.read(secret)
                secrets.append(value)
                headers.append(("Authorization", Secrets.basicAuthorization(clientID: clientID, secret: value)))
            } else {
                form.append(("client_id", clientID))
            }
            let answer = try await fetcher.post(url, form: form, headers: headers, timeout: .seconds(10))
            let body = try? StrictJSON.object(answer.body)
            guard answer.status == 200, let body, let token = body["access_token"]?.stringValue else {
                throw ProviderUnavailable(reason: refusal(answer.status, body, hiding: secrets))
            }
            return .success(TokenResponse(accessToken: token, fields: body))
        } catch let failure as ProviderUnavailable {
            return .failure(failure)
        } catch {
            return .failure(
                ProviderUnavailable(reason: "the token endpoint cannot be reached (\(ProviderState.describe(error)))"))
        }
    }

    /// "the token endpoint answered 400: invalid_grant (description)", with any of `secrets`
    /// replaced by `…`, control characters by `?`, cut to 300 characters.
    static func refusal(_ status: Int, _ body: [String: JSONValue]?, hiding secrets: [String]) -> String {
        var text = "the token endpoint answered \(status)"
        if let error = body?["error"]?.stringValue { text += ": \(error)" }
        if let description = body?["error_description"]?.stringValue { text += " (\(description))" }
        for secret in secrets where !secret.isEmpty { text = text.replacingOccurrences(of: secret, with: "…") }
        return String(
            text.unicodeScalars.prefix(300).map { $0.value >= 0x20 && $0.value != 0x7F ? Character($0) : "?" })
    }
}
