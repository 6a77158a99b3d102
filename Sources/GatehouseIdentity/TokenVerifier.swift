import Crypto
import Foundation
import Gatehouse

/// Verifies what callers really send: JWTs against the issuing provider's keys or by asking it
/// (userinfo, introspection), static API tokens by their SHA-256, Basic credentials by bcrypt.
/// The engine calls it through ``CredentialVerifier``. A class: the engine takes it as an
/// existential, which holds a reference inline where a struct this size would be boxed on the heap
/// for every decision.
public final class TokenVerifier: CredentialVerifier {
    let keys: any SigningKeySource
    /// Asks providers about tokens (userinfo, introspection); nil when offline.
    public let remote: RemoteVerifier?
    let basic = BasicVerifier()
    let verified: VerifiedTokenCache
    let events: VerificationEvents

    /// Creates a verifier that takes providers' signing keys from `keys` and asks providers about
    /// tokens through `remote` (without one, userinfo and introspection providers cannot verify).
    /// Verified JWTs are remembered (by SHA-256) in a cache of `cacheSize` entries; 0 disables it.
    public init(
        keys: any SigningKeySource, remote: RemoteVerifier? = nil, cacheSize: Int = 10_000,
        events: VerificationEvents = .none
    ) {
        self.keys = keys
        self.remote = remote
        self.verified = VerifiedTokenCache(capacity: cacheSize)
        self.events = events
    }

    /// The verifier a server or a real dry run uses: everything comes from the providers.
    public static func online(
        for policy: Policy, fetcher: any HTTPFetching = NetworkFetcher(), events: VerificationEvents = .none
    ) -> TokenVerifier {
        let directory = ProviderDirectory(providers: policy.providers, fetcher: fetcher, events: events)
        return TokenVerifier(
            keys: directory, remote: RemoteVerifier(directory: directory, events: events), events: events)
    }

    /// A bearer token's SHA-256, hashed where its bytes are: the key of the caches and the API
    /// tokens, computed once per decision.
    public func prepare(_ credential: Credential) -> PreparedCredential {
        guard case .bearer(let token) = credential else { return PreparedCredential(credential, digest: nil) }
        return PreparedCredential(credential, digest: VerifiedTokenCache.key(token))
    }

    public func verify(_ credential: PreparedCredential, policy: CompiledPolicy, accepted: Acceptance, now: Date) async
        -> Verification
    {
        switch credential.credential {
        case .basic(let username, let password):
            return await basic.verify(username: username, password: password, users: policy.policy.basicUsers, now: now)
        case .bearer(let token):
            return await verifyBearer(
                token, digest: credential.digest ?? VerifiedTokenCache.key(token), policy: policy.policy,
                accepted: accepted, now: now)
        }
    }

    /// A bearer token already verified (from the cache) or one of the policy's API tokens, without
    /// waiting; nil for anything that needs keys, a provider or bcrypt.
    public func verifyImmediately(
        _ credential: PreparedCredential, policy: CompiledPolicy, accepted: Acceptance, now: Date
    ) -> Verification? {
        guard case .bearer(let token) = credential.credential, let key = credential.digest else { return nil }
        if let identity = verified.identity(for: key, now: now) {
            events.cacheHit("token")
            return .verified(identity)
        }
        // As in `verifyBearer`: a token that parses as a JWS goes to its provider, never to the API tokens.
        guard case .failure = CompactJWS.parse(token),
            let apiToken = APITokenMatcher.match(digest: key, in: policy.policy.apiTokens)
        else { return nil }
        switch apiToken.identity(at: now) {
        case .success(let identity): return .verified(identity)
        case .failure(let rejection): return .rejected(rejection)
        }
    }

    /// Whether each provider can be used now: its keys (for `jwt`) or its endpoints (for userinfo
    /// and introspection) are at hand, from the cache or fetched. Nil for a ready provider, else why not.
    public func readiness(of providers: [Provider]) async -> [String: String?] {
        var states: [String: String?] = [:]
        for provider in providers {
            if provider.verify == .jwt {
                switch await keys.keys(for: provider, refresh: false) {
                case .success: states[provider.id] = .some(nil)
                case .failure(let failure): states[provider.id] = failure.reason
                }
            } else if let remote {
                switch await remote.directory.endpoints(for: provider) {
                case .success: states[provider.id] = .some(nil)
                case .failure(let failure): states[provider.id] = failure.reason
                }
            } else {
                states[provider.id] = "no network verifier"
            }
        }
        return states
    }

    /// A JWT goes to the provider whose `issuer` equals its `iss`; anything else is looked up as an
    /// API token, then sent to the userinfo and introspection providers the rule accepts, in
    /// policy order (a provider never receives a token meant for another the rule does not accept).
    func verifyBearer(
        _ token: String, digest key: CredentialDigest, policy: Policy, accepted: Acceptance, now: Date
    ) async -> Verification {
        if let identity = verified.identity(for: key, now: now) {
            events.cacheHit("token")
            return .verified(identity)
        }
        let parsed = CompactJWS.parse(token)
        if case .success(let jws) = parsed {
            // The payload is read before the signature only to choose the provider; a payload
            // that is not JSON is refused as such.
            let claims: [String: JSONValue]
            switch jws.payload() {
            case .success(let read): claims = read
            case .failure(let rejection): return .rejected(rejection)
            }
            let issuer = claims["iss"]?.stringValue
            guard let issuer, let provider = policy.providers.first(where: { $0.issuer.isExactly(issuer) }) else {
                return .rejected(
                    Rejection(code: .tokenIssuer, reason: "no provider of this policy issues tokens with this `iss`"))
            }
            return await verify(token, jws: jws, claims: claims, key: key, with: provider, now: now)
        }
        if let apiToken = APITokenMatcher.match(digest: key, in: policy.apiTokens) {
            switch apiToken.identity(at: now) {
            case .success(let identity): return .verified(identity)
            case .failure(let rejection): return .rejected(rejection)
            }
        }
        if case .failure(let rejection) = parsed, token.utf8.contains(UInt8(ascii: ".")) { return .rejected(rejection) }
        let opaqueProviders = policy.providers.filter { $0.verify != .jwt && accepted.accepts(provider: $0.id) }
        guard let remote, !opaqueProviders.isEmpty else {
            return .rejected(
                Rejection(
                    code: .tokenUnknown,
                    reason: "the token is neither a JWT from a provider of this policy nor a known API token"))
        }
        var outcome: Verification = .rejected(Rejection(code: .tokenInvalid, reason: "no provider accepts the token"))
        for provider in opaqueProviders {
            let answer = await remote.verify(token, digest: key, with: provider)
            switch answer {
            case .verified: return answer
            case .unavailable: outcome = answer
            case .rejected: if case .rejected = outcome { outcome = answer }
            }
        }
        return outcome
    }

    /// Verifies a token with one provider, in that provider's mode.
    public func verify(_ token: String, with provider: Provider, now: Date) async -> Verification {
        switch CompactJWS.parse(token) {
        case .success(let jws):
            switch jws.payload() {
            case .success(let claims):
                return await verify(
                    token, jws: jws, claims: claims, key: VerifiedTokenCache.key(token), with: provider, now: now)
            case .failure(let rejection): return .rejected(rejection)
            }
        case .failure(let rejection):
            guard provider.verify != .jwt, let remote else { return .rejected(rejection) }
            return await remote.verify(token, digest: VerifiedTokenCache.key(token), with: provider)
        }
    }

    private func verify(
        _ token: String, jws: CompactJWS, claims: [String: JSONValue], key: CredentialDigest, with provider: Provider,
        now: Date
    ) async -> Verification {
        guard provider.verify == .jwt else {
            guard let remote else {
                return .rejected(
                    Rejection(
                        code: .credentialsUnverified,
                        reason: "`\(provider.id)` verifies by \(provider.verify.rawValue), which needs the network"))
            }
            return await remote.verify(token, digest: key, with: provider)
        }
        if let identity = verified.identity(for: key, now: now), identity.provider == provider.id {
            return .verified(identity)
        }
        var result = await verifyLocally(jws, claims: claims, with: provider, refresh: false, now: now)
        if case .rejected(let rejection) = result, rejection.code == .tokenUnknownKey {
            result = await verifyLocally(jws, claims: claims, with: provider, refresh: true, now: now)
        }
        if case .verified(let identity) = result, case .number(let expiry)? = identity.claims["exp"] {
            let until = Date(timeIntervalSince1970: expiry + Double(provider.leeway.components.seconds))
            verified.remember(identity, for: key, expiry: until, now: now)
        }
        return result
    }

    private func verifyLocally(
        _ jws: CompactJWS, claims: [String: JSONValue], with provider: Provider, refresh: Bool, now: Date
    ) async -> Verification {
        let keySet: SigningKeySet
        switch await keys.keys(for: provider, refresh: refresh) {
        case .success(let loaded): keySet = loaded
        case .failure(let failure): return .unavailable(provider: provider.id, reason: failure.reason)
        }
        let verifier = JWTVerifier(provider: provider, keys: keySet)
        switch verifier.verify(jws, claims: claims, now: now).flatMap(provider.identity(from:)) {
        case .success(let identity): return .verified(identity)
        case .failure(let rejection): return .rejected(rejection)
        }
    }
}

/// Finds the API token whose SHA-256 matches, comparing every entry in constant time.
enum APITokenMatcher {
    /// The token whose stored hash equals `digest`, the SHA-256 of the presented token.
    static func match(digest: CredentialDigest, in tokens: [APIToken]) -> APIToken? {
        let digest = digest.bytes
        var found: APIToken?
        for candidate in tokens {
            let expected = hexBytes(candidate.sha256)
            var difference: UInt8 = expected.count == digest.count ? 0 : 1
            for (a, b) in zip(expected, digest) { difference |= a ^ b }
            if difference == 0 && found == nil { found = candidate }
        }
        return found
    }

    private static func hexBytes(_ hex: String) -> [UInt8] {
        var bytes: [UInt8] = []
        var index = hex.startIndex
        while index < hex.endIndex, let next = hex.index(index, offsetBy: 2, limitedBy: hex.endIndex) {
            bytes.append(UInt8(hex[index..<next], radix: 16) ?? 0)
            index = next
        }
        return bytes
    }
}
