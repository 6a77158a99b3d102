import Gatehouse
import JWTKit

/// One public key from a provider's key set, bound to the algorithms it may verify: its own `alg`
/// when the JWK has one, else every algorithm of its type and curve that the policy allows. The
/// token never chooses beyond that.
public struct SigningKey: Sendable {
    /// The key's `kid`, if it has one.
    public let kid: String?
    /// `RSA`, `EC` or `OKP`.
    let keyType: String
    /// A jwt-kit verifier for each algorithm this key may verify.
    let verifiers: [SignatureAlgorithm: any JWTAlgorithm]

    /// Whether this key may verify `algorithm`.
    func supports(_ algorithm: SignatureAlgorithm) -> Bool { verifiers[algorithm] != nil }
}

/// A provider's usable signing keys, loaded key by key: a key that is not for signatures, of a type
/// or curve Gatehouse does not verify, or malformed is skipped with a note, never failing the set.
public struct SigningKeySet: Sendable {
    /// The usable keys.
    public let keys: [SigningKey]
    /// Why each skipped key was skipped, for `whoami` and logs.
    public let skipped: [String]

    /// The keys that could verify a token with `kid` (nil: the token has none) and `algorithm`.
    func candidates(kid: String?, algorithm: SignatureAlgorithm) -> [SigningKey] {
        guard let kid else { return keys.filter { $0.supports(algorithm) } }
        return keys.filter { $0.kid == kid }
    }

    /// Loads the keys of a JWKS document, keeping only algorithms in `allowed`.
    public static func load(jwks bytes: [UInt8], allowed: [SignatureAlgorithm]) async throws(JWKSError) -> SigningKeySet
    {
        let document: [String: JSONValue]
        do {
            document = try StrictJSON.object(bytes)
        } catch {
            throw JWKSError(reason: "the key set is not valid JSON: \(error.reason)")
        }
        guard case .array(let entries)? = document["keys"] else {
            throw JWKSError(reason: "the key set has no `keys` array")
        }
        var keys: [SigningKey] = []
        var skipped: [String] = []
        for (position, entry) in entries.enumerated() {
            guard case .object(let jwk) = entry else {
                skipped.append("key \(position): not an object")
                continue
            }
            switch await load(jwk, allowed: allowed) {
            case .success(let key): keys.append(key)
            case .failure(let reason):
                let name = jwk["kid"]?.stringValue.map { "`\(StrictJSON.printable($0))`" } ?? "\(position)"
                skipped.append("key \(name): \(reason.reason)")
            }
        }
        return SigningKeySet(keys: keys, skipped: skipped)
    }

    private static func load(_ jwk: [String: JSONValue], allowed: [SignatureAlgorithm]) async -> Result<
        SigningKey, JWKSError
    > {
        if let use = jwk["use"], use != .string("sig") { return .failure(JWKSError(reason: "not a signing key")) }
        if let operations = jwk["key_ops"], !(Self.strings(operations)?.contains("verify") ?? false) {
            return .failure(JWKSError(reason: "its `key_ops` do not include `verify`"))
        }
        let keyType = jwk["kty"]?.stringValue ?? ""
        let curve = jwk["crv"]?.stringValue
        var algorithms = SignatureAlgorithm.allCases.filter { Self.fits($0, keyType: keyType, curve: curve) }
        if let declared = jwk["alg"] {
            guard let name = declared.stringValue, let algorithm = SignatureAlgorithm(rawValue: name) else {
                return .failure(
                    JWKSError(reason: "algorithm \(declared.scalarText.map { "`\($0)`" } ?? "") is not verified here"))
            }
            guard algorithms.contains(algorithm) else {
                return .failure(JWKSError(reason: "its `alg` does not fit its key type"))
            }
            algorithms = [algorithm]
        }
        algorithms = algorithms.filter(allowed.contains)
        guard !algorithms.isEmpty else {
            return .failure(JWKSError(reason: "no algorithm the policy allows fits a `\(keyType)` key"))
        }
        if keyType == "RSA", let problem = RSAKeyCheck.problem(jwk) { return .failure(JWKSError(reason: problem)) }
        var verifiers: [SignatureAlgorithm: any JWTAlgorithm] = [:]
        for algorithm in algorithms {
            do {
                verifiers[algorithm] = try await verifier(jwk, algorithm)
            } catch {
                return .failure(JWKSError(reason: "its key material is malformed"))
            }
        }
        return .success(SigningKey(kid: jwk["kid"]?.stringValue, keyType: keyType, verifiers: verifiers))
    }

    private static func strings(_ value: JSONValue) -> [String]? {
        guard case .array(let items) = value else { return nil }
        return items.compactMap(\.stringValue)
    }

    /// Whether `algorithm` can be used with a key of this type and curve (RFC 7518 §3, RFC 8037).
    static func fits(_ algorithm: SignatureAlgorithm, keyType: String, curve: String?) -> Bool {
        switch algorithm {
        case .rs256, .rs384, .rs512, .ps256: return keyType == "RSA"
        case .es256: return keyType == "EC" && curve == "P-256"
        case .es384: return keyType == "EC" && curve == "P-384"
        case .edDSA: return keyType == "OKP" && curve == "Ed25519"
        }
    }

    /// A jwt-kit verifier for one key and one algorithm, read through a single-key collection so
    /// that no default key and no token header take part.
    private static func verifier(_ jwk: [String: JSONValue], _ algorithm: SignatureAlgorithm) async throws
        -> any JWTAlgorithm
    {
        let collection = JWTKeyCollection()
        let kid = JWKIdentifier(string: "key")
        let string = { (name: String) throws -> String in
            guard let value = jwk[name]?.stringValue, Base64URL.decode(Substring(value)) != nil else {
                throw JWKSError(reason: "`\(name)` is missing or not base64url")
            }
            return value
        }
        switch algorithm {
        case .rs256, .rs384, .rs512:
            let key = try Insecure.RSA.PublicKey(modulus: try string("n"), exponent: try string("e"))
            let digest: DigestAlgorithm = algorithm == .rs256 ? .sha256 : algorithm == .rs384 ? .sha384 : .sha512
            await collection.add(rsa: key, digestAlgorithm: digest, kid: kid)
        case .ps256:
            let key = try Insecure.RSA.PublicKey(modulus: try string("n"), exponent: try string("e"))
            await collection.add(pss: key, digestAlgorithm: .sha256, kid: kid)
        case .es256:
            await collection.add(ecdsa: try ES256PublicKey(parameters: (try string("x"), try string("y"))), kid: kid)
        case .es384:
            await collection.add(ecdsa: try ES384PublicKey(parameters: (try string("x"), try string("y"))), kid: kid)
        case .edDSA:
            await collection.add(eddsa: try EdDSA.PublicKey(x: try string("x"), curve: .ed25519), kid: kid)
        }
        return try await collection.getKey(for: kid)
    }
}

/// Why a key set (or one key of it) cannot be used.
public struct JWKSError: Error, Sendable {
    /// One line.
    public let reason: String
}
