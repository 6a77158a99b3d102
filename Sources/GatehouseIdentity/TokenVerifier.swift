import Crypto
import Foundation
import Gatehouse

/// Verifies what callers really send: JWTs against the issuing provider's keys, static API tokens
/// by their SHA-256. The engine calls it through ``CredentialVerifier``.
public struct TokenVerifier: CredentialVerifier {
    let keys: any SigningKeySource

    /// Creates a verifier that takes providers' signing keys from `keys`.
    public init(keys: any SigningKeySource) { self.keys = keys }

    public func verify(_ credential: Credential, policy: CompiledPolicy, schemes: SchemeSet, now: Date) async
        -> Verification
    {
        switch credential {
        case .basic:
            return .rejected(
                Rejection(
                    code: "credentials.unverified", reason: "Basic credentials are not verified by this build yet"))
        case .bearer(let token):
            if case .success(let jws) = CompactJWS.parse(token) {
                return await verifyJWT(jws, policy: policy, now: now)
            }
            if let apiToken = APITokenMatcher.match(token, in: policy.policy.apiTokens) {
                switch apiToken.identity(at: now) {
                case .success(let identity): return .verified(identity)
                case .failure(let rejection): return .rejected(rejection)
                }
            }
            if case .failure(let rejection) = CompactJWS.parse(token), token.contains(".") {
                return .rejected(rejection)
            }
            return .rejected(
                Rejection(
                    code: "token.unknown",
                    reason: "the token is neither a JWT from a provider of this policy nor a known API token"))
        }
    }

    private func verifyJWT(_ jws: CompactJWS, policy: CompiledPolicy, now: Date) async -> Verification {
        // The payload is read before the signature only to choose the provider; a payload that is
        // not JSON is refused as such rather than as "no provider has this issuer".
        let issuer: String?
        switch jws.payload() {
        case .success(let claims): issuer = claims["iss"]?.stringValue
        case .failure(let rejection): return .rejected(rejection)
        }
        guard let provider = policy.policy.providers.first(where: { $0.issuer == issuer && $0.verify == .jwt }) else {
            return .rejected(
                Rejection(code: "token.issuer", reason: "no provider of this policy verifies tokens from this issuer"))
        }
        var result = await verify(jws, with: provider, refresh: false, now: now)
        if case .rejected(let rejection) = result, rejection.code == "token.unknown-key" {
            result = await verify(jws, with: provider, refresh: true, now: now)
        }
        return result
    }

    private func verify(_ jws: CompactJWS, with provider: Provider, refresh: Bool, now: Date) async -> Verification {
        let keySet: SigningKeySet
        switch await keys.keys(for: provider, refresh: refresh) {
        case .success(let loaded): keySet = loaded
        case .failure(let failure): return .unavailable(provider: provider.id, reason: failure.reason)
        }
        switch JWTVerifier(provider: provider, keys: keySet).verify(jws, now: now).flatMap(provider.identity(from:)) {
        case .success(let identity): return .verified(identity)
        case .failure(let rejection): return .rejected(rejection)
        }
    }
}

/// Finds the API token whose SHA-256 matches, comparing every entry in constant time.
enum APITokenMatcher {
    static func match(_ token: String, in tokens: [APIToken]) -> APIToken? {
        let digest = Array(SHA256.hash(data: Array(token.utf8)))
        var found: APIToken?
        for candidate in tokens {
            let expected = hexBytes(candidate.sha256)
            var difference: UInt8 = expected.count == digest.count ? 0 : 1
            for (a, b) in zip(expected, digest) { difference |= a ^ b }
            if difference == 0 && found == nil { found = candidate }
        }
        return found
    }

    /// A short, non-reversible name for a token in logs: the first 12 hex digits of its SHA-256.
    public static func fingerprint(_ token: String) -> String {
        SHA256.hash(data: Array(token.utf8)).prefix(6).map { String(format: "%02x", $0) }.joined()
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
