import Crypto
import Foundation
import Gatehouse
import _CryptoExtras

/// A key that signs bundles (`bundle sign --key`) or the upstream assertion (`assertion.keys`),
/// from a PEM private key: Ed25519 signs with EdDSA, P-256 with ES256. Its `kid` is the key's JWK
/// thumbprint (RFC 7638) unless given.
public struct BundleSigningKey: Sendable {
    enum Key: Sendable {
        case ed25519(Curve25519.Signing.PrivateKey)
        case p256(P256.Signing.PrivateKey)
    }

    let key: Key
    /// The key's id, written in each signature's header.
    public let kid: String

    /// Reads a PEM private key (PKCS #8 for Ed25519; PKCS #8 or SEC 1 for P-256).
    public init(pem: String, kid: String? = nil) throws(BundleError) {
        if let key = try? Curve25519.Signing.PrivateKey(pemRepresentation: pem) {
            self.key = .ed25519(key)
        } else if let key = try? P256.Signing.PrivateKey(pemRepresentation: pem) {
            self.key = .p256(key)
        } else {
            throw .badKey("the signing key is not an Ed25519 or P-256 private key in PEM")
        }
        self.kid = kid ?? BundlePublicKey(key: key.publicKey).thumbprint
    }

    /// The public half.
    public var publicKey: BundlePublicKey { BundlePublicKey(key: key.publicKey) }

    /// A detached JWS (RFC 7515 appendix F) over `payload`: `header..signature`.
    func sign(_ payload: [UInt8]) throws(BundleError) -> String {
        let header = #"{"alg":"\#(publicKey.algorithm)","kid":"\#(kid)","typ":"gatehouse-bundle+jws"}"#
        let input = Array((Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(payload)).utf8)
        return Base64URL.encode(Array(header.utf8)) + ".." + Base64URL.encode(try signature(for: input))
    }

    /// The JWS signature of `input` (the encoded header, a dot and the encoded payload): Ed25519's
    /// 64 bytes, or ES256's `r || s`.
    public func signature(for input: [UInt8]) throws(BundleError) -> [UInt8] {
        do {
            switch key {
            case .ed25519(let key): return Array(try key.signature(for: input))
            case .p256(let key): return Array(try key.signature(for: input).rawRepresentation)
            }
        } catch {
            throw .badKey("the key cannot sign (\(error))")
        }
    }
}

extension BundleSigningKey.Key {
    var publicKey: BundlePublicKey.Key {
        switch self {
        case .ed25519(let key): .ed25519(key.publicKey)
        case .p256(let key): .p256(key.publicKey)
        }
    }
}

/// A key that verifies bundles (`--bundle-public-key`, `bundle verify --public-key`): a PEM
/// public key (SubjectPublicKeyInfo), Ed25519 or P-256.
public struct BundlePublicKey: Sendable {
    enum Key: Sendable {
        case ed25519(Curve25519.Signing.PublicKey)
        case p256(P256.Signing.PublicKey)
    }

    let key: Key

    init(key: Key) { self.key = key }

    /// Reads a PEM public key.
    public init(pem: String) throws(BundleError) {
        if let key = try? Curve25519.Signing.PublicKey(pemRepresentation: pem) {
            self.key = .ed25519(key)
        } else if let key = try? P256.Signing.PublicKey(pemRepresentation: pem) {
            self.key = .p256(key)
        } else {
            throw .badKey("the public key is not an Ed25519 or P-256 public key in PEM")
        }
    }

    /// The JWS algorithm the key verifies.
    public var algorithm: String {
        switch key {
        case .ed25519: "EdDSA"
        case .p256: "ES256"
        }
    }

    /// The JWK's required members (RFC 7517, RFC 8037): `kty`, `crv`, `x` and for P-256 `y`.
    public var jwkMembers: [String: String] {
        switch key {
        case .ed25519(let key):
            return ["kty": "OKP", "crv": "Ed25519", "x": Base64URL.encode(Array(key.rawRepresentation))]
        case .p256(let key):
            let point = Array(key.x963Representation.dropFirst())
            return [
                "kty": "EC", "crv": "P-256", "x": Base64URL.encode(Array(point.prefix(32))),
                "y": Base64URL.encode(Array(point.suffix(32))),
            ]
        }
    }

    /// The JWK thumbprint (RFC 7638): base64url SHA-256 of the key's required members, sorted.
    public var thumbprint: String {
        let members = jwkMembers.sorted { $0.key < $1.key }.map { #""\#($0.key)":"\#($0.value)""# }
        return Base64URL.encode(Array(SHA256.hash(data: Array(("{" + members.joined(separator: ",") + "}").utf8))))
    }

    /// Whether `signature` (the raw bytes) signs `input` under this key with `algorithm`.
    func verifies(_ signature: [UInt8], of input: [UInt8], algorithm: String) -> Bool {
        guard algorithm == self.algorithm else { return false }
        switch key {
        case .ed25519(let key): return key.isValidSignature(signature, for: input)
        case .p256(let key):
            guard let parsed = try? P256.Signing.ECDSASignature(rawRepresentation: signature) else { return false }
            return key.isValidSignature(parsed, for: input)
        }
    }
}
