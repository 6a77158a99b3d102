import Foundation
import Gatehouse

/// Verifies a provider's JWTs against its signing keys: the algorithm is the policy's and the
/// key's, never the token's choice; keys come only from the provider's key set; `iss`, `aud`,
/// `exp`, `nbf` and `iat` are checked here with the provider's leeway.
struct JWTVerifier: Sendable {
    let provider: Provider
    let keys: SigningKeySet

    /// `typ` values accepted when present (RFC 7519 §5.1, RFC 9068 §2.1), compared case-insensitively.
    static let acceptedTypes: Set<String> = ["jwt", "at+jwt", "application/jwt", "application/at+jwt"]

    /// The verified claims of `token` at `now`, or the first reason to refuse it.
    func verify(_ token: CompactJWS, now: Date) -> Result<[String: JSONValue], Rejection> {
        token.payload().flatMap { verify(token, claims: $0, now: now) }
    }

    /// The same, for a token whose payload was already read (to choose the provider).
    func verify(_ token: CompactJWS, claims: [String: JSONValue], now: Date) -> Result<[String: JSONValue], Rejection> {
        verifySignature(token).flatMap { checkClaims(claims, now: now).map { claims } }
    }

    /// Checks the header and the signature only: the algorithm, the key and the bytes.
    func verifySignature(_ token: CompactJWS) -> Result<Void, Rejection> {
        let algorithm: SignatureAlgorithm
        switch checkHeader(token.header) {
        case .success(let chosen): algorithm = chosen
        case .failure(let rejection): return .failure(rejection)
        }
        let kid = token.header["kid"]?.stringValue
        let candidates = keys.candidates(kid: kid, algorithm: algorithm)
        guard candidates.count == 1, let key = candidates.first else {
            let reason =
                kid == nil
                ? "the token has no `kid` and `\(provider.id)` has \(candidates.count) keys for \(algorithm.rawValue)"
                : "no key of `\(provider.id)` has the token's `kid`"
            return .failure(Rejection(code: .tokenUnknownKey, reason: reason))
        }
        guard let verifier = key.verifiers[algorithm] else {
            return .failure(
                Rejection(
                    code: .tokenKeyMismatch,
                    reason: "the token's key does not verify \(algorithm.rawValue) (its type or `alg` differs)"))
        }
        let valid = (try? verifier.verify(token.signature, signs: token.signingInput)) ?? false
        guard valid else {
            return .failure(Rejection(code: .tokenSignature, reason: "the token's signature does not verify"))
        }
        return .success(())
    }

    private func checkHeader(_ header: [String: JSONValue]) -> Result<SignatureAlgorithm, Rejection> {
        guard let name = header["alg"]?.stringValue, let algorithm = SignatureAlgorithm(rawValue: name),
            provider.algorithms.contains(algorithm)
        else {
            let allowed = provider.algorithms.map(\.rawValue).joined(separator: ", ")
            return .failure(
                Rejection(
                    code: .tokenAlgorithm,
                    reason: "the token's `alg` is not one `\(provider.id)` accepts (\(allowed))"))
        }
        if header["crit"] != nil {
            return .failure(
                Rejection(code: .tokenCritical, reason: "the token has a `crit` header; no extension is supported"))
        }
        if let type = header["typ"], !(type.stringValue.map { Self.acceptedTypes.contains($0.lowercased()) } ?? false) {
            return .failure(Rejection(code: .tokenType, reason: "the token's `typ` is not a JWT type"))
        }
        if let kid = header["kid"], kid.stringValue == nil {
            return .failure(Rejection(code: .tokenMalformed, reason: "the token's `kid` is not a string"))
        }
        return .success(algorithm)
    }

    func checkClaims(_ claims: [String: JSONValue], now: Date) -> Result<Void, Rejection> {
        let leeway = Double(provider.leeway.components.seconds)
        let time = now.timeIntervalSince1970
        guard claims["iss"]?.stringValue?.isExactly(provider.issuer) == true else {
            return .failure(Rejection(code: .tokenIssuer, reason: "the token's `iss` is not `\(provider.issuer)`"))
        }
        let expected = provider.audiences
        let audienceFits: Bool
        switch claims["aud"] {
        case .string(let audience)?: audienceFits = expected.isEmpty || expected.containsExactly(audience)
        case .array(let items)? where items.allSatisfy({ $0.stringValue != nil }):
            audienceFits = expected.isEmpty || items.contains { $0.stringValue.map(expected.containsExactly) ?? false }
        case nil: audienceFits = expected.isEmpty
        default:
            return .failure(
                Rejection(code: .tokenMalformed, reason: "the token's `aud` is not a string or a list of strings"))
        }
        guard audienceFits else {
            return .failure(
                Rejection(
                    code: .tokenAudience,
                    reason: "the token's `aud` is none of \(expected.map { "`\($0)`" }.joined(separator: ", "))"))
        }
        guard let exp = claims["exp"] else {
            return .failure(Rejection(code: .tokenNoExpiry, reason: "the token has no `exp`"))
        }
        let expiry: Double
        let notBefore: Double?
        let issued: Double?
        do throws(Rejection) {
            expiry = try Self.numericDate("exp", exp)
            notBefore = try claims["nbf"].map { value throws(Rejection) in try Self.numericDate("nbf", value) }
            issued = try claims["iat"].map { value throws(Rejection) in try Self.numericDate("iat", value) }
        } catch {
            return .failure(error)
        }
        if let notBefore, notBefore > expiry {
            return .failure(Rejection(code: .tokenMalformed, reason: "the token's `nbf` is after its `exp`"))
        }
        if time >= expiry + leeway {
            return .failure(Rejection(code: .tokenExpired, reason: "the token expired at \(Self.instant(expiry))"))
        }
        if let notBefore, time + leeway < notBefore {
            return .failure(
                Rejection(
                    code: .tokenNotYetValid, reason: "the token is not valid before \(Self.instant(notBefore))"))
        }
        if let issued, time + leeway < issued {
            return .failure(Rejection(code: .tokenIssuedInFuture, reason: "the token's `iat` is in the future"))
        }
        return .success(())
    }

    /// The seconds of the NumericDate claim `name`, or why it is not one: a NumericDate is a JSON
    /// number, and one past the year 9999 is no date anyone issues.
    private static func numericDate(_ name: String, _ value: JSONValue) throws(Rejection) -> Double {
        guard case .number(let seconds) = value, abs(seconds) <= latestDate else {
            throw Rejection(code: .tokenMalformed, reason: "the token's `\(name)` is not a valid NumericDate")
        }
        return seconds
    }

    /// 9999-12-31T23:59:59Z.
    static let latestDate = 253_402_300_799.0

    private static func instant(_ seconds: Double) -> String {
        RFC3339.format(Date(timeIntervalSince1970: seconds.rounded(.down)))
    }
}
