import Crypto
import Foundation
import Gatehouse
import Testing
import _CryptoExtras

@testable import GatehouseIdentity

/// One test per entry of `../shared/vectors/jwt-attacks.md` (J01–J26), each sending the hostile
/// tokens the entry describes through the same verifier a request uses, and asserting the exact
/// outcome: the rejection code, or the username when the entry says ACCEPT.
@Suite struct AttackCatalogueTests {
    typealias M = TokenMinter

    /// The outcome of `token`: `verified:USERNAME`, the rejection code, or `unavailable`.
    static func outcome(
        _ token: String, policy: CompiledPolicy? = nil, jwks: String = M.jwks, now: Date = M.now
    ) async throws -> String {
        let policy = try policy ?? Support.policy()
        let verifier = TokenVerifier(keys: SavedKeySet(json: jwks))
        switch await verifier.verify(.bearer(token), policy: policy, schemes: [.bearer, .apiToken], now: now) {
        case .verified(let identity): return "verified:\(identity.username)"
        case .rejected(let rejection): return rejection.code.rawValue
        case .unavailable: return "unavailable"
        }
    }

    static func signed(_ header: String, _ payload: String = M.claims(), _ signer: M.Signer = .rs256) -> String {
        M.token(header: header, payload: payload, signer: signer)
    }

    /// The outcomes of several tokens, for one `#expect` per entry.
    static func outcomes(_ tokens: [String], policy: CompiledPolicy? = nil, jwks: String = M.jwks) async throws
        -> [String]
    {
        var results: [String] = []
        for token in tokens { results.append(try await outcome(token, policy: policy, jwks: jwks)) }
        return results
    }

    @Test func validTokensOfEveryFamilyAreAccepted() async throws {
        let tokens = [
            Self.signed(#"{"alg":"RS256","kid":"rsa","typ":"JWT"}"#, M.claims(), .rs256),
            Self.signed(#"{"alg":"PS256","kid":"rsa"}"#, M.claims(), .ps256),
            Self.signed(#"{"alg":"ES256","kid":"p256"}"#, M.claims(), .es256),
            Self.signed(#"{"alg":"ES384","kid":"p384"}"#, M.claims(), .es384),
            Self.signed(#"{"alg":"EdDSA","kid":"ed","typ":"at+jwt"}"#, M.claims(), .edDSA),
        ]
        #expect(try await Self.outcomes(tokens) == Array(repeating: "verified:alice", count: 5))
    }

    @Test func j01AlgNone() async throws {
        let tokens = [
            Self.signed(#"{"alg":"none"}"#, M.claims(), .none),
            Self.signed(#"{"alg":"none","kid":"rsa","typ":"JWT"}"#, M.claims(), .rs256),
        ]
        #expect(try await Self.outcomes(tokens) == ["token.algorithm", "token.algorithm"])
    }

    @Test func j02AlgSpellings() async throws {
        let spellings = [
            #""None""#, #""NONE""#, #""nOnE""#, #""none ""#, #""hs256""#, #""RS256\u0000""#, #""""#, "null",
            #"["RS256"]"#, "256", #""rs256""#,
        ]
        var tokens = spellings.map { Self.signed(#"{"alg":\#($0),"kid":"rsa"}"#) }
        tokens.append(Self.signed(#"{"kid":"rsa"}"#))
        #expect(try await Self.outcomes(tokens) == Array(repeating: "token.algorithm", count: spellings.count + 1))
    }

    @Test func j03HmacWithThePublicKey() async throws {
        let modulus = try M.rsa.publicKey.getKeyPrimitives().modulus
        let input = M.b64(Data(#"{"alg":"HS256","kid":"rsa"}"#.utf8)) + "." + M.b64(Data(M.claims().utf8))
        var tokens: [String] = []
        for secret in [modulus, Data(M.rsa.publicKey.pemRepresentation.utf8), Data(M.jwks.utf8)] {
            let mac = HMAC<SHA256>.authenticationCode(for: Data(input.utf8), using: SymmetricKey(data: secret))
            tokens.append(input + "." + M.b64(Data(mac)))
        }
        #expect(try await Self.outcomes(tokens) == Array(repeating: "token.algorithm", count: 3))
    }

    @Test func j04AlgorithmKeyMismatch() async throws {
        let tokens = [
            Self.signed(#"{"alg":"RS256","kid":"p256"}"#, M.claims(), .rs256),
            Self.signed(#"{"alg":"ES256","kid":"p384"}"#, M.claims(), .es256),
            Self.signed(#"{"alg":"ES384","kid":"p256"}"#, M.claims(), .es384),
            Self.signed(#"{"alg":"EdDSA","kid":"p256"}"#, M.claims(), .edDSA),
        ]
        #expect(try await Self.outcomes(tokens) == Array(repeating: "token.key-mismatch", count: 4))
        // A key whose JWK says RS256 does not verify PS256, though the bytes would.
        let pinned = M.jwks.replacingOccurrences(of: #""kid":"rsa""#, with: #""kid":"rsa","alg":"RS256""#)
        #expect(
            try await Self.outcome(Self.signed(#"{"alg":"PS256","kid":"rsa"}"#, M.claims(), .ps256), jwks: pinned)
                == "token.key-mismatch")
    }

    @Test func j05KidInjection() async throws {
        let kids = [
            #""../../../../../../dev/null""#, #""/proc/self/environ""#, #""key1' UNION SELECT 'x'--""#,
            #""http://attacker/key""#, #""| id""#, "\"" + String(repeating: "k", count: 10_000) + "\"", #""rsa\u0000""#,
        ]
        let tokens = kids.map { Self.signed(#"{"alg":"RS256","kid":\#($0)}"#) }
        #expect(try await Self.outcomes(tokens) == Array(repeating: "token.unknown-key", count: kids.count))
        #expect(try await Self.outcome(Self.signed(#"{"alg":"RS256","kid":5}"#)) == "token.malformed")
        // Without `kid`, the one key that fits the algorithm is used; with two such keys, none is.
        #expect(try await Self.outcome(Self.signed(#"{"alg":"RS256"}"#)) == "verified:alice")
        let twoRSA = M.jwks.replacingOccurrences(
            of: #"{"keys":["#,
            with: #"{"keys":[{"kty":"RSA","kid":"other","n":"\#(try Self.otherModulus())","e":"AQAB"},"#)
        #expect(try await Self.outcome(Self.signed(#"{"alg":"RS256"}"#), jwks: twoRSA) == "token.unknown-key")
    }

    @Test func j06JkuIsNeverFetched() async throws {
        let tokens = [
            #""https://attacker.example/jwks.json""#, #""file:///etc/passwd""#, #""http://169.254.169.254/latest""#,
        ].map { Self.signed(#"{"alg":"ES256","kid":"p256","jku":\#($0)}"#, M.claims(), .attacker) }
        #expect(try await Self.outcomes(tokens) == Array(repeating: "token.signature", count: 3))
    }

    @Test func j07X5uAndX5cAreIgnored() async throws {
        let tokens = [
            Self.signed(
                #"{"alg":"ES256","kid":"p256","x5u":"https://attacker.example/cert.pem"}"#, M.claims(), .attacker),
            Self.signed(
                #"{"alg":"ES256","kid":"p256","x5c":["MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA"]}"#, M.claims(),
                .attacker),
        ]
        #expect(try await Self.outcomes(tokens) == ["token.signature", "token.signature"])
    }

    @Test func j08EmbeddedJwk() async throws {
        let raw = M.attacker.publicKey.rawRepresentation
        let jwk = #"{"kty":"EC","crv":"P-256","x":"\#(M.b64(raw.prefix(32)))","y":"\#(M.b64(raw.suffix(32)))"}"#
        let token = Self.signed(#"{"alg":"ES256","kid":"p256","jwk":\#(jwk)}"#, M.claims(), .attacker)
        #expect(try await Self.outcome(token) == "token.signature")
    }

    @Test func j09Crit() async throws {
        let crits = [
            #""crit":["exp-ext"],"exp-ext":1"#, #""crit":["b64"],"b64":false"#, #""crit":[]"#, #""crit":["alg"]"#,
            #""crit":"b64""#, #""crit":["missing"]"#,
        ]
        let tokens = crits.map { Self.signed(#"{"alg":"RS256","kid":"rsa",\#($0)}"#) }
        #expect(try await Self.outcomes(tokens) == Array(repeating: "token.critical", count: crits.count))
    }

    @Test func j10PsychicSignatures() async throws {
        let input256 = M.b64(Data(#"{"alg":"ES256","kid":"p256"}"#.utf8)) + "." + M.b64(Data(M.claims().utf8))
        let input384 = M.b64(Data(#"{"alg":"ES384","kid":"p384"}"#.utf8)) + "." + M.b64(Data(M.claims().utf8))
        let tokens = [
            input256 + "." + M.b64(Data(count: 64)), input384 + "." + M.b64(Data(count: 96)),
            input256 + "." + M.b64(Data(count: 31) + Data([1]) + Data(count: 31) + Data([1])),
        ]
        #expect(try await Self.outcomes(tokens) == Array(repeating: "token.signature", count: 3))
    }

    @Test func j11EcdsaEncodings() async throws {
        let input = M.b64(Data(#"{"alg":"ES256","kid":"p256"}"#.utf8)) + "." + M.b64(Data(M.claims().utf8))
        let signature = try M.p256.signature(for: Data(input.utf8))
        let raw = signature.rawRepresentation
        let tokens = [
            input + "." + M.b64(signature.derRepresentation), input + "." + M.b64(raw.prefix(63)),
            input + "." + M.b64(raw + Data([0])), input + "." + M.b64(Data([0]) + raw + Data([0])),
        ]
        #expect(try await Self.outcomes(tokens) == Array(repeating: "token.signature", count: 4))
        #expect(try await Self.outcome(input + "." + M.b64(raw)) == "verified:alice")
    }

    @Test func j12EmptyOrMissingSignature() async throws {
        let input = M.b64(Data(#"{"alg":"RS256","kid":"rsa"}"#.utf8)) + "." + M.b64(Data(M.claims().utf8))
        #expect(try await Self.outcomes([input + ".", input]) == ["token.signature", "token.malformed"])
    }

    @Test func j13MalleableSignatures() async throws {
        // The primitive-level cases (BER DigestInfo, missing NULL, S >= L…) are Wycheproof's, run by
        // WycheproofTests; here, a valid RSA signature with a byte added or flipped.
        let token = Self.signed(#"{"alg":"RS256","kid":"rsa"}"#)
        let parts = token.split(separator: ".")
        var signature = Base64URL.decode(parts[2])!
        let longer = parts[0] + "." + parts[1] + "." + M.b64(Data([0] + signature))
        signature[signature.count - 1] ^= 1
        let flipped = parts[0] + "." + parts[1] + "." + M.b64(Data(signature))
        #expect(try await Self.outcomes([String(longer), String(flipped)]) == ["token.signature", "token.signature"])
    }

    @Test func j14WrongStructure() async throws {
        let valid = Self.signed(#"{"alg":"RS256","kid":"rsa"}"#)
        let parts = valid.split(separator: ".").map(String.init)
        let tokens = [
            parts[0] + "." + parts[1] + "." + parts[2] + ".x", "a.b.c.d.e", "." + parts[1] + "." + parts[2],
            parts[0] + ".." + parts[2], #"{"payload":"x","signatures":[]}"#, "..",
        ]
        let results = try await Self.outcomes(tokens)
        #expect(
            results == [
                "token.malformed", "token.malformed", "token.malformed", "token.malformed", "token.unknown",
                "token.malformed",
            ])
        #expect(try await Self.outcomes(["", "opaque"]) == ["token.unknown", "token.unknown"])
    }

    @Test func j15Base64urlStrictness() async throws {
        let valid = Self.signed(#"{"alg":"RS256","kid":"rsa"}"#)
        let parts = valid.split(separator: ".").map(String.init)
        let variants = [
            parts[0] + "=." + parts[1] + "." + parts[2], parts[0] + "." + parts[1] + "." + parts[2] + "==",
            parts[0].replacingOccurrences(of: "-", with: "+") + "+." + parts[1] + "." + parts[2],
            parts[0] + "." + parts[1] + "." + parts[2].replacingOccurrences(of: "_", with: "/") + "/",
            parts[0] + " ." + parts[1] + "." + parts[2], parts[0] + "." + parts[1] + "\n." + parts[2],
            parts[0] + "#." + parts[1] + "." + parts[2], parts[0] + "." + parts[1] + "?." + parts[2],
            parts[0] + "." + parts[1] + "." + parts[2] + "AAA",  // a length of 1 modulo 4
        ]
        let results = try await Self.outcomes(variants)
        #expect(results == Array(repeating: "token.malformed", count: variants.count))
        // Non-zero unused bits: `AB` and `AA` decode to the same byte; only `AA` is canonical.
        #expect(Base64URL.decode("AB") == nil && Base64URL.decode("AA") == [0])
    }

    /// The encoder (the signed assertion's, and every token the tests mint): RFC 4648's vectors
    /// without padding, the two url-safe characters, and a round trip through the strict decoder
    /// at every length up to 100, from an array, a slice and a non-contiguous collection.
    @Test func base64URLEncodes() {
        let vectors = [
            "": "", "f": "Zg", "fo": "Zm8", "foo": "Zm9v", "foob": "Zm9vYg", "fooba": "Zm9vYmE", "foobar": "Zm9vYmFy",
        ]
        for (text, encoded) in vectors { #expect(Base64URL.encode(Array(text.utf8)) == encoded) }
        #expect(Base64URL.encode([0xfb, 0xff]) == "-_8")
        var generator = SystemRandomNumberGenerator()
        for count in 0...100 {
            let bytes = (0..<count).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64URL.encode(bytes)
            #expect(Base64URL.decode(Substring(encoded)) == bytes)
            #expect(Base64URL.encode(bytes[...]) == encoded && Base64URL.encode(bytes.lazy.map { $0 }) == encoded)
        }
    }

    /// The decoder reads four characters at a time and checks the alphabet once at the end: every
    /// byte outside the alphabet, at every position of texts of 2 to 8 characters (whole groups and
    /// both partial ones), is refused; so is every last character with unused bits set.
    @Test func base64URLDecodesStrictly() {
        let alphabet = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        var accepted = 0
        for length in [2, 3, 4, 6, 7, 8] {
            for position in 0..<length {
                for byte in UInt8.min...UInt8.max where !alphabet.contains(byte) {
                    var text = Array(repeating: UInt8(ascii: "A"), count: length)
                    text[position] = byte
                    if Base64URL.decode(text[...]) != nil { accepted += 1 }
                }
            }
        }
        #expect(accepted == 0)
        // `A` plus each last character: only those whose unused bits (4 of them after one
        // character, 2 after two) are zero decode, to the byte(s) their used bits give.
        let characters = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".utf8)
        for (value, last) in characters.enumerated() {
            let two = Base64URL.decode([UInt8(ascii: "A"), last][...])
            #expect(two == (value & 0x0F == 0 ? [UInt8(value >> 4)] : nil))
            let three = Base64URL.decode([UInt8(ascii: "A"), UInt8(ascii: "A"), last][...])
            #expect(three == (value & 0x03 == 0 ? [0, UInt8(value >> 2)] : nil))
        }
    }

    @Test func j16Expiry() async throws {
        let now = 1_800_000_000, leeway = 30
        func token(_ exp: String) -> String { Self.signed(#"{"alg":"RS256","kid":"rsa"}"#, M.claims(exp: exp)) }
        let tokens = [
            "\(now - leeway - 1)", "\(now - leeway + 1)", "\(now + 600).5", "-1", "0", "1e300", #""1800000600""#,
            "true", "null", "[1800000600]",
        ].map(token)
        let results = try await Self.outcomes(tokens)
        #expect(
            results == [
                "token.expired", "verified:alice", "verified:alice", "token.expired", "token.expired",
                "token.malformed",
                "token.malformed", "token.malformed", "token.malformed", "token.malformed",
            ])
        #expect(
            try await Self.outcome(Self.signed(#"{"alg":"RS256","kid":"rsa"}"#, M.claims(omit: ["exp"])))
                == "token.no-expiry")
        let noLeeway = try Support.policy(algorithms: [.rs256], leeway: "0s")
        #expect(try await Self.outcome(token("\(now)"), policy: noLeeway) == "token.expired")
        // 1e400 overflows a double: the JSON reader refuses it, the token is malformed.
        #expect(try await Self.outcome(token("1e400")) == "token.malformed")
    }

    @Test func j17NotBefore() async throws {
        let now = 1_800_000_000
        func token(_ nbf: String) -> String {
            Self.signed(#"{"alg":"RS256","kid":"rsa"}"#, M.claims(#""nbf":\#(nbf)"#))
        }
        let results = try await Self.outcomes([
            token("\(now + 31)"), token("\(now)"), token("\(now + 29).9"), token(#""1800000000""#), token("1900000000"),
        ])
        #expect(
            results == [
                "token.not-yet-valid", "verified:alice", "verified:alice", "token.malformed", "token.malformed",
            ])
    }

    @Test func j18IssuedAt() async throws {
        func token(_ iat: String) -> String {
            Self.signed(#"{"alg":"RS256","kid":"rsa"}"#, M.claims(omit: ["iat"]).dropLast() + #","iat":\#(iat)}"#)
        }
        #expect(
            try await Self.outcomes([token("1800000031"), token("1800000029"), token(#""1800000000""#)])
                == ["token.issued-in-future", "verified:alice", "token.malformed"])
    }

    @Test func j19Audience() async throws {
        func token(_ aud: String?) -> String {
            let claims = M.claims(omit: ["aud"]).dropLast() + (aud.map { #","aud":\#($0)}"# } ?? "}")
            return Self.signed(#"{"alg":"RS256","kid":"rsa"}"#, String(claims))
        }
        let accepted = [#""api""#, #"["api"]"#, #"["b","api"]"#].map(token)
        #expect(try await Self.outcomes(accepted) == Array(repeating: "verified:alice", count: 3))
        let wrong = [#""b""#, #"["b"]"#, "[]", #""""#, nil, #""API""#, #""api ""#, #""api/""#, #""xapi""#].map(token)
        #expect(try await Self.outcomes(wrong) == Array(repeating: "token.audience", count: wrong.count))
        let malformed = [#"[1,"api"]"#, #"[["api"]]"#, #"{"api":1}"#, "null"].map(token)
        #expect(try await Self.outcomes(malformed) == Array(repeating: "token.malformed", count: malformed.count))
    }

    @Test func j20Issuer() async throws {
        let issuers = [
            #""https://idp.example.com/""#, #""HTTPS://IDP.EXAMPLE.COM""#, #""https://idp.example.com.evil""#,
            #""https://evil/https://idp.example.com""#, #""https""#, #"["https://idp.example.com"]"#,
        ]
        var tokens = issuers.map { issuer in
            Self.signed(#"{"alg":"RS256","kid":"rsa"}"#, M.claims(omit: ["iss"]).dropLast() + #","iss":\#(issuer)}"#)
        }
        tokens.append(Self.signed(#"{"alg":"RS256","kid":"rsa"}"#, M.claims(omit: ["iss"])))
        #expect(try await Self.outcomes(tokens) == Array(repeating: "token.issuer", count: tokens.count))
    }

    @Test func j21Type() async throws {
        let types = [
            #""at+JWT""#, #""application/at+jwt""#, #""JWT""#, #""at+jwt ""#, #""logout+jwt""#, "1", #""secevent+jwt""#,
        ]
        let tokens = types.map { Self.signed(#"{"alg":"RS256","kid":"rsa","typ":\#($0)}"#) }
        #expect(
            try await Self.outcomes(tokens) == [
                "verified:alice", "verified:alice", "verified:alice", "token.type", "token.type", "token.type",
                "token.type",
            ])
    }

    @Test func j22DuplicateMembersAndParserDifferentials() async throws {
        let headers = [
            #"{"alg":"RS256","alg":"none","kid":"rsa"}"#, #"{"alg":"none","alg":"RS256","kid":"rsa"}"#,
            #"{"alg":"RS256","\u0061lg":"HS256","kid":"rsa"}"#, "\u{FEFF}" + #"{"alg":"RS256","kid":"rsa"}"#,
            #"{"alg":"RS256","kid":"rsa","x":"\ud800"}"#, "{\"alg\":\"RS256\",\"kid\":\"rs\ta\"}",
            #"{"alg":"RS256","kid":"rsa","n":1e400}"#, #"{"alg":"RS256","kid":"rsa","n":01}"#,
            #"{"alg":"RS256","kid":"rsa"}x"#,
            #"{"alg":"RS256","kid":"rsa","n":"# + String(repeating: "[", count: 40)
                + String(repeating: "]", count: 40) + "}",
        ]
        #expect(
            try await Self.outcomes(headers.map { Self.signed($0) })
                == Array(repeating: "token.malformed", count: headers.count))
        let payloads = [M.claims(#""sub":"u-2""#), M.claims(#""exp":1900000000"#), M.claims(#""aud":"other""#)]
        #expect(
            try await Self.outcomes(payloads.map { Self.signed(#"{"alg":"RS256","kid":"rsa"}"#, $0) })
                == Array(repeating: "token.malformed", count: 3))
    }

    @Test func j23OversizedInput() async throws {
        let policy = try Support.policy()
        let evaluator = Evaluator(policy: policy)
        let verifier = TokenVerifier(keys: SavedKeySet(json: M.jwks))
        for value in [
            "Bearer " + String(repeating: "a", count: 1_000_000), "Bearer " + String(repeating: ".", count: 100_000),
        ] {
            let request = APIRequest(method: "GET", target: "/api/x", headers: [("Authorization", value)])
            let decision = await evaluator.evaluate(request, verifier: verifier, now: M.now)
            #expect(decision.code == .tokenTooLarge)
            #expect(decision.status == 401)
        }
        let bigKid = Self.signed(#"{"alg":"RS256","kid":"\#(String(repeating: "k", count: 20_000))"}"#)
        #expect(try await Self.outcome(bigKid) == "token.too-large")
    }

    @Test func j24HostileKeys() async throws {
        let modulus1024 = M.b64(Data([0xC0] + Array(repeating: 0x11, count: 127)))
        let modulus2048 = try Self.otherModulus()
        let raw = M.p256.publicKey.rawRepresentation
        let jwks = """
            {"keys":[
              {"kty":"RSA","kid":"small","n":"\(modulus1024)","e":"AQAB"},
              {"kty":"RSA","kid":"e1","n":"\(modulus2048)","e":"AQ"},
              {"kty":"RSA","kid":"e3","n":"\(modulus2048)","e":"Aw"},
              {"kty":"EC","kid":"offcurve","crv":"P-256","x":"\(M.b64(raw.prefix(32)))","y":"\(M.b64(Data(repeating: 7, count: 32)))"},
              {"kty":"EC","kid":"shortx","crv":"P-384","x":"\(M.b64(raw.prefix(32)))","y":"\(M.b64(raw.suffix(32)))"},
              {"kty":"oct","kid":"hmac","k":"c2VjcmV0"},
              {"kty":"EC","kid":"enc","use":"enc","crv":"P-256","x":"\(M.b64(raw.prefix(32)))","y":"\(M.b64(raw.suffix(32)))"},
              {"kty":"EC","kid":"ops","key_ops":["sign"],"crv":"P-256","x":"\(M.b64(raw.prefix(32)))","y":"\(M.b64(raw.suffix(32)))"},
              {"kty":"EC","kid":"twin","crv":"P-256","x":"\(M.b64(raw.prefix(32)))","y":"\(M.b64(raw.suffix(32)))"},
              {"kty":"EC","kid":"twin","crv":"P-256","x":"\(M.b64(raw.prefix(32)))","y":"\(M.b64(raw.suffix(32)))"},
              {"kty":"EC","kid":"p256","alg":"ES384","crv":"P-256","x":"\(M.b64(raw.prefix(32)))","y":"\(M.b64(raw.suffix(32)))"}
            ]}
            """
        let keys = try await SigningKeySet.load(jwks: Array(jwks.utf8), allowed: SignatureAlgorithm.allCases)
        #expect(keys.keys.compactMap(\.kid) == ["twin", "twin"])
        #expect(keys.skipped.count == 9)
        let tokens = ["small", "e1", "e3", "offcurve", "shortx", "hmac", "enc", "ops"].map {
            Self.signed(#"{"alg":"ES256","kid":"\#($0)"}"#, M.claims(), .es256)
        }
        #expect(try await Self.outcomes(tokens, jwks: jwks) == Array(repeating: "token.unknown-key", count: 8))
        #expect(
            try await Self.outcome(Self.signed(#"{"alg":"ES256","kid":"twin"}"#, M.claims(), .es256), jwks: jwks)
                == "token.unknown-key")
    }

    @Test func j25UsernameMapping() async throws {
        func token(_ username: String?) -> String {
            let claims =
                M.claims(omit: ["preferred_username"]).dropLast()
                + (username.map { #","preferred_username":\#($0)}"# } ?? "}")
            return Self.signed(#"{"alg":"RS256","kid":"rsa"}"#, String(claims))
        }
        let refused = [nil, "null", "42", #"["alice","admin"]"#, #"{"name":"alice"}"#, #""""#].map(token)
        #expect(try await Self.outcomes(refused) == Array(repeating: "token.no-username", count: refused.count))
        #expect(
            try await Self.outcomes([token(#""alice\r\nX-Auth-User: admin""#), token(#""al\u0000ice""#)])
                == ["token.bad-username", "token.bad-username"])
        // Look-alikes are kept exactly as issued: no normalization can merge two identities.
        #expect(
            try await Self.outcomes([token(#""аdmin""#), token(#""ａｄｍｉｎ""#)]) == ["verified:аdmin", "verified:ａｄｍｉｎ"])
    }

    @Test func j26TransportAmbiguities() async throws {
        let evaluator = Evaluator(policy: try Support.policy())
        let verifier = TokenVerifier(keys: SavedKeySet(json: M.jwks))
        let token = Self.signed(#"{"alg":"RS256","kid":"rsa"}"#)
        func decide(_ target: String, _ headers: [String]) async -> String {
            let request = APIRequest(method: "GET", target: target, headers: headers.map { ("Authorization", $0) })
            let decision = await evaluator.evaluate(request, verifier: verifier, now: M.now)
            return "\(decision.status) \(decision.code)"
        }
        #expect(await decide("/api/x", ["Bearer \(token)", "Bearer \(token)"]) == "400 credentials.ambiguous")
        #expect(await decide("/api/x?access_token=\(token)", ["Bearer \(token)"]) == "400 credentials.ambiguous")
        #expect(await decide("/api/x?access_token=\(token)", []) == "400 credentials.ambiguous")
        #expect(await decide("/api/x", ["bearer \(token)"]) == "200 rule.allow")
        #expect(await decide("/api/x", ["BEARER \(token)"]) == "200 rule.allow")
        // RFC 7235 puts 1*SP between scheme and token: two spaces are allowed, a tab is not.
        #expect(await decide("/api/x", ["Bearer  \(token)"]) == "200 rule.allow")
        #expect(await decide("/api/x", ["Bearer\t\(token)"]) == "401 credentials.malformed")
        #expect(await decide("/api/x", ["Bearer \t\(token)"]) == "401 token.malformed")
        #expect(await decide("/api/x", ["Bearer"]) == "401 token.malformed")
        #expect(await decide("/api/x", ["Basic YWxpY2U6c2VjcmV0"]) == "401 scheme.disabled")
    }

    /// A 2048-bit modulus other than the provider's.
    static func otherModulus() throws -> String {
        M.b64(try TokenMinter.other.publicKey.getKeyPrimitives().modulus)
    }
}

extension TokenMinter {
    static let other = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
}
