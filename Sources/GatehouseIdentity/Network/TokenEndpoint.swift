import Foundation
import Gatehouse

/// An OAuth 2.0 grant at a provider's token endpoint (RFC 6749): client credentials (§4.4), or a
/// refresh token (§6). A confidential client authenticates with Basic; a public client (no
/// secret) names itself with `client_id` in the form.
public enum TokenGrant: Sendable {
    case clientCredentials(scope: String?)
    /// The refresh token, never shown in an error.
    case refreshToken(String, scope: String?)
    /// The code the provider sent back, with the redirect URI it was sent to and the PKCE verifier.
    case authorizationCode(String, redirectURI: String, verifier: String)

    var form: [(String, String)] {
        switch self {
        case .clientCredentials(let scope):
            return [("grant_type", "client_credentials")] + (scope.map { [("scope", $0)] } ?? [])
        case .refreshToken(let token, let scope):
            return [("grant_type", "refresh_token"), ("refresh_token", token)] + (scope.map { [("scope", $0)] } ?? [])
        case .authorizationCode(let code, let redirectURI, let verifier):
            return [
                ("grant_type", "authorization_code"), ("code", code), ("redirect_uri", redirectURI),
                ("code_verifier", verifier),
            ]
        }
    }

    /// What the request carries that must never be shown.
    var secrets: [String] {
        switch self {
        case .clientCredentials: []
        case .refreshToken(let token, _): [token]
        case .authorizationCode(let code, _, let verifier): [code, verifier]
        }
    }
}

/// What a token endpoint answered: the access token, and every member of its response (refresh
/// and ID tokens, expiry, scope).
public struct TokenResponse: Sendable {
    public let accessToken: String
    public let fields: [String: JSONValue]
}

/// The token endpoint of a provider.
public enum TokenEndpoint {
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
        await attempt {
            let client = try Client(id: clientID, secret: secret, hiding: grant.secrets)
            let endpoints = try await endpoints(of: provider, needing: \.token, fetcher)
            return try await client.exchange(grant, at: try url(endpoints, \.token, "token"), fetcher)
        }
    }

    /// RFC 8628's device authorization grant: a code for the person to enter at the provider's
    /// verification page (handed to `show`), then the token endpoint polled at the interval the
    /// provider gives (5 s more after each `slow_down`) until the person approves, denies, or the
    /// code expires. `sleep` waits between polls.
    public static func device(
        provider: Provider, clientID: String, secret: SecretReference?, scope: String?,
        fetcher: any HTTPFetching = NetworkFetcher(), show: @Sendable (DeviceCode) -> Void,
        sleep: @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) }
    ) async -> Result<TokenResponse, ProviderUnavailable> {
        await attempt {
            var client = try Client(id: clientID, secret: secret, hiding: [])
            let endpoints = try await endpoints(of: provider, needing: \.deviceAuthorization, fetcher)
            let device = try url(endpoints, \.deviceAuthorization, "device authorization")
            let token = try url(endpoints, \.token, "token")
            let (status, body) = try await client.post(scope.map { [("scope", $0)] } ?? [], to: device, fetcher)
            guard status == 200, let body, let code = DeviceCode(body) else {
                throw ProviderUnavailable(reason: client.refusal("the device authorization endpoint", status, body))
            }
            client.hidden.append(code.deviceCode)
            show(code)
            let form = [
                ("grant_type", "urn:ietf:params:oauth:grant-type:device_code"), ("device_code", code.deviceCode),
            ]
            var interval = code.interval
            let deadline = ContinuousClock.now + .seconds(code.expiresIn)
            while ContinuousClock.now < deadline {
                try await sleep(.seconds(interval))
                let (status, body) = try await client.post(form, to: token, fetcher)
                if status == 200, let body, let access = body["access_token"]?.stringValue {
                    return TokenResponse(accessToken: access, fields: body)
                }
                switch body?["error"]?.stringValue {
                case "authorization_pending": continue
                case "slow_down": interval += 5
                default: throw ProviderUnavailable(reason: client.refusal("the token endpoint", status, body))
                }
            }
            throw ProviderUnavailable(reason: "the device code expired before it was approved")
        }
    }

    /// What a device authorization endpoint answered (RFC 8628 §3.2).
    public struct DeviceCode: Sendable {
        public let userCode: String
        public let verificationURI: String
        public let verificationURIComplete: String?
        /// Never shown: it is the credential the token endpoint is asked with.
        let deviceCode: String
        let interval: Int
        let expiresIn: Int

        init?(_ body: [String: JSONValue]) {
            guard let device = body["device_code"]?.stringValue, let user = body["user_code"]?.stringValue,
                let uri = body["verification_uri"]?.stringValue
            else { return nil }
            (deviceCode, userCode, verificationURI) = (device, user, uri)
            verificationURIComplete = body["verification_uri_complete"]?.stringValue
            interval = Self.seconds(body["interval"], default: 5, within: 1...60)
            expiresIn = Self.seconds(body["expires_in"], default: 600, within: 1...3600)
        }

        private static func seconds(_ value: JSONValue?, default fallback: Int, within range: ClosedRange<Int>) -> Int {
            guard case .number(let number)? = value, number.isFinite else { return fallback }
            return min(max(Int(number), range.lowerBound), range.upperBound)
        }
    }

    /// How the client names itself: Basic with its secret (a confidential client), else
    /// `client_id` in the form (a public client); and what must never be shown.
    struct Client: Sendable {
        let id: String
        let authorization: String?
        var hidden: [String]

        init(id: String, secret: SecretReference?, hiding: [String]) throws(ProviderUnavailable) {
            self.id = id
            hidden = hiding
            if let secret {
                let value = try Secrets.read(secret)
                hidden.append(value)
                authorization = Secrets.basicAuthorization(clientID: id, secret: value)
            } else {
                authorization = nil
            }
        }

        /// `form` posted to `url`: the status and the JSON object answered, if it is one.
        func post(_ form: [(String, String)], to url: String, _ fetcher: any HTTPFetching) async throws
            -> (Int, [String: JSONValue]?)
        {
            var headers = [("Accept", "application/json")]
            if let authorization { headers.append(("Authorization", authorization)) }
            let answer = try await fetcher.post(
                url, form: authorization == nil ? form + [("client_id", id)] : form, headers: headers,
                timeout: .seconds(10))
            return (answer.status, try? StrictJSON.object(answer.body))
        }

        /// `grant` at the token endpoint `url`: the token response, or the provider's refusal.
        func exchange(_ grant: TokenGrant, at url: String, _ fetcher: any HTTPFetching) async throws
            -> TokenResponse
        {
            let (status, body) = try await post(grant.form, to: url, fetcher)
            guard status == 200, let body, let token = body["access_token"]?.stringValue else {
                throw ProviderUnavailable(reason: refusal("the token endpoint", status, body))
            }
            return TokenResponse(accessToken: token, fields: body)
        }

        func refusal(_ what: String, _ status: Int, _ body: [String: JSONValue]?) -> String {
            TokenEndpoint.refusal(what, status, body, hiding: hidden)
        }
    }

    /// `provider`'s endpoints, discovered (once) when the policy does not name the one at `path`.
    static func endpoints(
        of provider: Provider, needing path: any KeyPath<ProviderEndpoints, String?> & Sendable,
        _ fetcher: any HTTPFetching
    ) async throws -> ProviderEndpoints {
        try await ProviderDirectory(providers: [provider], fetcher: fetcher).endpoints(for: provider, needing: path)
            .get()
    }

    /// The endpoint at `path` of `endpoints`, or why there is none.
    static func url(_ endpoints: ProviderEndpoints, _ path: KeyPath<ProviderEndpoints, String?>, _ what: String)
        throws(ProviderUnavailable) -> String
    {
        guard let url = endpoints[keyPath: path] else {
            throw ProviderUnavailable(reason: "no \(what) endpoint is known")
        }
        return url
    }

    /// `body`'s result, or its failure as a ``ProviderUnavailable``.
    static func attempt<T>(_ body: () async throws -> T) async -> Result<T, ProviderUnavailable> {
        do {
            return .success(try await body())
        } catch let failure as ProviderUnavailable {
            return .failure(failure)
        } catch {
            return .failure(
                ProviderUnavailable(reason: "the provider cannot be reached (\(ProviderState.describe(error)))"))
        }
    }

    /// "the token endpoint answered 400: invalid_grant (description)", with any of `secrets`
    /// replaced by `…`, control characters by `?`, cut to 300 characters.
    static func refusal(_ what: String, _ status: Int, _ body: [String: JSONValue]?, hiding secrets: [String]) -> String
    {
        var text = "\(what) answered \(status)"
        if let error = body?["error"]?.stringValue { text += ": \(error)" }
        if let description = body?["error_description"]?.stringValue { text += " (\(description))" }
        for secret in secrets where !secret.isEmpty { text = text.replacingOccurrences(of: secret, with: "…") }
        return String(
            text.unicodeScalars.prefix(300).map { $0.value >= 0x20 && $0.value != 0x7F ? Character($0) : "?" })
    }
}
