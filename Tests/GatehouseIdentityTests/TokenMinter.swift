import Crypto
import Foundation
import Gatehouse
import _CryptoExtras

@testable import GatehouseIdentity

/// Keys made for the tests and tokens signed with them. Header and payload are written as raw
/// JSON text, so a test can send exactly the bytes an attacker would (duplicate keys included).
enum TokenMinter {
    static let rsa = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    static let p256 = P256.Signing.PrivateKey()
    static let p384 = P384.Signing.PrivateKey()
    static let ed25519 = Curve25519.Signing.PrivateKey()
    /// A key the provider does not publish.
    static let attacker = P256.Signing.PrivateKey()

    static let issuer = "https://idp.example.com"
    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// The provider's published key set: one key per supported family, each with a `kid`.
    static var jwks: String {
        let primitives = try! rsa.publicKey.getKeyPrimitives()
        let keys: [[String: String]] = [
            [
                "kty": "RSA", "kid": "rsa", "use": "sig", "n": b64(primitives.modulus),
                "e": b64(primitives.publicExponent),
            ],
            ec(p256.publicKey.rawRepresentation, kid: "p256", curve: "P-256"),
            ec(p384.publicKey.rawRepresentation, kid: "p384", curve: "P-384"),
            ["kty": "OKP", "kid": "ed", "crv": "Ed25519", "x": b64(ed25519.publicKey.rawRepresentation)],
        ]
        return String(decoding: try! JSONSerialization.data(withJSONObject: ["keys": keys]), as: UTF8.self)
    }

    /// How to sign.
    enum Signer {
        case rs256, ps256, es256, es384, edDSA, attacker, none
    }

    /// `base64url(header).base64url(payload).base64url(signature)`.
    static func token(header: String, payload: String, signer: Signer) -> String {
        let input = b64(Data(header.utf8)) + "." + b64(Data(payload.utf8))
        return input + "." + b64(sign(Data(input.utf8), signer))
    }

    static func sign(_ input: Data, _ signer: Signer) -> Data {
        switch signer {
        case .rs256: return try! rsa.signature(for: input, padding: .insecurePKCS1v1_5).rawRepresentation
        case .ps256: return try! rsa.signature(for: input, padding: .PSS).rawRepresentation
        case .es256: return try! p256.signature(for: input).rawRepresentation
        case .es384: return try! p384.signature(for: input).rawRepresentation
        case .edDSA: return try! ed25519.signature(for: input)
        case .attacker: return try! attacker.signature(for: input).rawRepresentation
        case .none: return Data()
        }
    }

    /// A payload that passes every claim check, with `extra` members appended.
    static func claims(_ extra: String = "", exp: String = "1800000600", omit: Set<String> = []) -> String {
        var members = [
            "iss": "\"\(issuer)\"", "aud": "\"api\"", "sub": "\"u-1\"", "preferred_username": "\"alice\"", "exp": exp,
            "iat": "1800000000",
        ]
        for name in omit { members[name] = nil }
        let body = members.sorted { $0.key < $1.key }.map { "\"\($0.key)\":\($0.value)" }.joined(separator: ",")
        return "{" + body + (extra.isEmpty ? "" : "," + extra) + "}"
    }

    static func b64(_ data: Data) -> String { Base64URL.encode(Array(data)) }

    private static func ec(_ raw: Data, kid: String, curve: String) -> [String: String] {
        let half = raw.count / 2
        return ["kty": "EC", "kid": kid, "crv": curve, "x": b64(raw.prefix(half)), "y": b64(raw.suffix(half))]
    }
}
