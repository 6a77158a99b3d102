import Crypto
import Foundation
import Gatehouse
import GatehouseIdentity
import _CryptoExtras

/// Signs tokens for test cases with a private key from a fixture JWKS (`identity: { signed: … }`),
/// and publishes the same set's public keys, so a case's token goes through real verification:
/// the signature, `iss`, `aud`, `exp`, the provider's algorithms and its claim mapping.
///
/// Supported keys: RSA (`RS256`, `PS256`), EC P-256 (`ES256`), Ed25519 (`EdDSA`), each with its
/// private members (`d`, for RSA also `n` and `e`). A fixture key is a test key: never trust it in
/// a real policy.
public struct FixtureSigner: Sendable {
    /// Why a fixture key set cannot be used, in one line.
    public struct Problem: Error, Sendable, CustomStringConvertible {
        public let description: String
    }

    private struct Key: Sendable {
        let kid: String
        let algorithm: String
        let sign: @Sendable (Data) throws -> Data
    }

    private let keys: [Key]
    /// The set's public keys, as a provider would publish them.
    public let publicJWKS: String

    /// Reads the private JWK set at `path`.
    public init(path: String) throws(Problem) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw Problem(description: "\(path) cannot be read")
        }
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
            let members = object["keys"] as? [[String: Any]]
        else { throw Problem(description: "\(path) is not a JWK set (`{\"keys\": [...]}`)") }
        var keys: [Key] = []
        var published: [[String: Any]] = []
        for member in members {
            let jwk = member.compactMapValues { $0 as? String }
            guard let kid = jwk["kid"] else { throw Problem(description: "\(path): a key has no `kid`") }
            keys.append(try Self.key(jwk, kid: kid, in: path))
            published.append(jwk.filter { ["kty", "kid", "use", "alg", "n", "e", "crv", "x", "y"].contains($0.key) })
        }
        self.keys = keys
        let json = try? JSONSerialization.data(withJSONObject: ["keys": published], options: [.sortedKeys])
        publicJWKS = String(decoding: json ?? Data(), as: UTF8.self)
    }

    /// The kids in the set, in file order.
    public var kids: [String] { keys.map(\.kid) }

    /// A compact JWS of `claims`, signed with the key `kid` (the first key when nil).
    public func token(claims: [String: JSONValue], kid: String?) throws(Problem) -> String {
        guard let key = kid.map({ kid in keys.first { $0.kid == kid } }) ?? keys.first else {
            throw Problem(description: "the key set has no key `\(kid ?? "")`; it has \(kids.joined(separator: ", "))")
        }
        let header = JSONValue.object(["alg": .string(key.algorithm), "kid": .string(key.kid), "typ": .string("JWT")])
        let input = Self.base64URL(Self.json(header)) + "." + Self.base64URL(Self.json(.object(claims)))
        do {
            return input + "." + Self.base64URL(try key.sign(Data(input.utf8)))
        } catch {
            throw Problem(description: "key `\(key.kid)` cannot sign: \(error)")
        }
    }

    private static func key(_ jwk: [String: String], kid: String, in path: String) throws(Problem) -> Key {
        func bytes(_ name: String) throws(Problem) -> Data {
            guard let text = jwk[name], let data = Data(base64URL: text) else {
                throw Problem(description: "\(path): key `\(kid)` has no valid `\(name)`")
            }
            return data
        }
        do {
            switch (jwk["kty"], jwk["crv"]) {
            case ("RSA", _):
                let key = try _RSA.Signing.PrivateKey._createFromNumbers(
                    n: try bytes("n"), e: try bytes("e"), d: try bytes("d"))
                let algorithm = jwk["alg"] ?? "RS256"
                guard ["RS256", "PS256"].contains(algorithm) else {
                    throw Problem(description: "\(path): key `\(kid)`: RSA fixture keys sign RS256 or PS256")
                }
                let padding: _RSA.Signing.Padding = algorithm == "PS256" ? .PSS : .insecurePKCS1v1_5
                return Key(kid: kid, algorithm: algorithm) {
                    try key.signature(for: $0, padding: padding).rawRepresentation
                }
            case ("EC", "P-256"):
                let key = try P256.Signing.PrivateKey(rawRepresentation: try bytes("d"))
                return Key(kid: kid, algorithm: "ES256") { try key.signature(for: $0).rawRepresentation }
            case ("OKP", "Ed25519"):
                let key = try Curve25519.Signing.PrivateKey(rawRepresentation: try bytes("d"))
                return Key(kid: kid, algorithm: "EdDSA") { try key.signature(for: $0) }
            default:
                throw Problem(
                    description: "\(path): key `\(kid)` is not an RSA, EC P-256 or Ed25519 key with its private part")
            }
        } catch let problem as Problem {
            throw problem
        } catch {
            throw Problem(description: "\(path): key `\(kid)` cannot be read: \(error)")
        }
    }

    private static func json(_ value: JSONValue) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return (try? encoder.encode(value)) ?? Data()
    }

    private static func base64URL(_ data: Data) -> String {
        data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }
}

extension Data {
    fileprivate init?(base64URL text: String) {
        var base64 = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        base64 += String(repeating: "=", count: (4 - base64.count % 4) % 4)
        self.init(base64Encoded: base64)
    }
}
