import Foundation
import Gatehouse
import Testing

@testable import GatehouseIdentity

/// Project Wycheproof, read in place from `../shared/vectors/wycheproof/`: every `invalid` case is
/// rejected, every `valid` case for a supported algorithm is accepted, `acceptable` cases
/// (PKCS#1 DigestInfo without NULL) are rejected, as a strict verifier should, and so are the
/// `valid` cases whose key has a public exponent other than 65537, which Gatehouse refuses to
/// load (the README's recommendation). Counts are printed.
@Suite struct WycheproofTests {
    static let primitives: [(String, SignatureAlgorithm)] = [
        ("rsa_signature_2048_sha256_test.json", .rs256), ("rsa_signature_3072_sha256_test.json", .rs256),
        ("rsa_signature_4096_sha256_test.json", .rs256), ("rsa_signature_2048_sha384_test.json", .rs384),
        ("rsa_signature_3072_sha384_test.json", .rs384), ("rsa_signature_4096_sha384_test.json", .rs384),
        ("rsa_signature_2048_sha512_test.json", .rs512), ("rsa_signature_3072_sha512_test.json", .rs512),
        ("rsa_signature_4096_sha512_test.json", .rs512), ("rsa_pss_2048_sha256_mgf1_32_test.json", .ps256),
        ("rsa_pss_3072_sha256_mgf1_32_test.json", .ps256), ("rsa_pss_4096_sha256_mgf1_32_test.json", .ps256),
        ("ecdsa_secp256r1_sha256_p1363_test.json", .es256), ("ecdsa_secp384r1_sha384_p1363_test.json", .es384),
        ("ed25519_test.json", .edDSA),
    ]

    @Test(arguments: primitives)
    func signaturePrimitive(_ file: String, _ algorithm: SignatureAlgorithm) async throws {
        let document = try Support.json("wycheproof/\(file)")
        var accepted = 0, rejected = 0
        var wrong: [String] = []
        for group in document["testGroups"] as? [[String: Any]] ?? [] {
            let keys = try await Support.keySet(["keys": [Self.jwk(group, algorithm)]], allowed: [algorithm])
            for test in group["tests"] as? [[String: Any]] ?? [] {
                let signature = Support.bytes(hex: test["sig"] as! String)
                let message = Support.bytes(hex: test["msg"] as! String)
                let ok =
                    keys.keys.first.flatMap { try? $0.verifiers[algorithm]?.verify(signature, signs: message) } ?? false
                ok ? (accepted += 1) : (rejected += 1)
                // Keys with a public exponent other than 65537 are refused (README: `SmallPublicKey`).
                let smallExponent = (test["flags"] as? [String] ?? []).contains("SmallPublicKey")
                if ok != (test["result"] as? String == "valid" && !smallExponent) {
                    wrong.append("tcId \(test["tcId"]!) (\(test["result"]!), \(test["comment"]!))")
                }
            }
        }
        print(
            "wycheproof \(file) [\(algorithm.rawValue)]: \(accepted + rejected) cases, \(accepted) accepted, \(rejected) rejected"
        )
        #expect(wrong.isEmpty, "\(file): \(wrong.prefix(10))")
    }

    /// The group's JWK, or one built from the raw public key for groups that have none.
    static func jwk(_ group: [String: Any], _ algorithm: SignatureAlgorithm) -> [String: Any] {
        if let jwk = group["publicKeyJwk"] as? [String: Any] ?? group["keyJwk"] as? [String: Any] { return jwk }
        let key = group["publicKey"] as? [String: Any] ?? [:]
        let width = algorithm == .es384 ? 48 : 32
        func coordinate(_ name: String) -> String {
            var bytes = Support.bytes(hex: key[name] as? String ?? "")
            while bytes.count > width, bytes.first == 0 { bytes.removeFirst() }
            return Base64URL.encode(Array(repeating: 0, count: max(0, width - bytes.count)) + bytes)
        }
        return [
            "kty": "EC", "crv": algorithm == .es384 ? "P-384" : "P-256", "x": coordinate("wx"), "y": coordinate("wy"),
        ]
    }
}

/// Algorithms outside the supported list (PS384, PS512, ES512, Ed448) and JWE: their keys never
/// load as signing keys and their tokens never verify, valid signature or not.
@Suite struct WycheproofExtrasTests {
    @Test(arguments: [
        "ecdsa_secp521r1_sha512_p1363_test.json", "ed448_test.json", "rsa_pss_2048_sha384_mgf1_48_test.json",
        "rsa_pss_4096_sha384_mgf1_48_test.json", "rsa_pss_4096_sha512_mgf1_64_test.json",
    ])
    func unsupportedAlgorithmsAreRefused(_ file: String) async throws {
        let document = try Support.json("wycheproof/extras/\(file)")
        var groups = 0, cases = 0
        for group in document["testGroups"] as? [[String: Any]] ?? [] {
            let jwk = group["publicKeyJwk"] as? [String: Any] ?? [:]
            let keys = try await Support.keySet(["keys": [jwk]], allowed: SignatureAlgorithm.allCases)
            #expect(keys.keys.isEmpty, "\(file): a key of an unsupported algorithm loaded")
            groups += 1
            cases += (group["tests"] as? [Any])?.count ?? 0
        }
        print("wycheproof extras \(file): \(groups) keys refused, so all \(cases) cases are rejected")
    }

    @Test func encryptedTokensAreRefused() throws {
        let document = try Support.json("wycheproof/extras/json_web_encryption_test.json")
        var count = 0
        for group in document["testGroups"] as? [[String: Any]] ?? [] {
            for test in group["tests"] as? [[String: Any]] ?? [] {
                guard let token = test["jwe"] as? String else { continue }
                count += 1
                guard case .failure(let rejection) = CompactJWS.parse(token) else {
                    Issue.record("JWE tcId \(test["tcId"]!) parsed as a JWS")
                    continue
                }
                #expect(rejection.code == .tokenMalformed)
            }
        }
        print("wycheproof extras json_web_encryption_test.json: \(count) JWE cases rejected")
        #expect(count > 100)
    }
}
