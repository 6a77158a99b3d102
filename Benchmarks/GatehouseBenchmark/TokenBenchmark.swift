import Crypto
import Foundation
import Gatehouse
import GatehouseIdentity
import _CryptoExtras

// Token verification benchmark (`GatehouseBenchmark tokens`): for RS256, ES256 and EdDSA, the
// time of a full uncached verification by Gatehouse (parsing, header checks, key selection,
// signature, claims, username mapping) next to a raw swift-crypto check of the same signature,
// measured in the same run; then a repeated token answered from the cache, and userinfo mode with
// a warm cache.

/// A provider that answers userinfo from memory, so the benchmark measures Gatehouse, not HTTP.
struct MemoryProvider: HTTPFetching {
    func get(_ url: String, headers: [(String, String)], timeout: Duration) async throws -> HTTPAnswer {
        HTTPAnswer(status: 200, maxAge: nil, body: Array(#"{"sub":"u1","preferred_username":"alice"}"#.utf8))
    }
    func post(_ url: String, form: [(String, String)], headers: [(String, String)], timeout: Duration) async throws
        -> HTTPAnswer
    {
        try await get(url, headers: headers, timeout: timeout)
    }
}

func base64url(_ data: Data) -> String {
    data.base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
        .replacingOccurrences(of: "=", with: "")
}

/// Nanoseconds per call of `body`, timed over one batch of `batch` calls.
func timeBatchAsync(_ batch: Int, _ body: () async -> Void) async -> Double {
    let start = ContinuousClock.now
    for _ in 0..<batch { await body() }
    return nanoseconds(ContinuousClock.now - start) / Double(batch)
}

/// The median of `values`.
func median(_ values: [Double]) -> Double { values.sorted()[values.count / 2] }

/// Median nanoseconds per call of `body`, over `rounds` batches of `batch` calls.
func measureAsync(rounds: Int, batch: Int, _ body: () async -> Void) async -> Double {
    _ = await timeBatchAsync(batch, body)
    var samples: [Double] = []
    for _ in 0..<rounds { samples.append(await timeBatchAsync(batch, body)) }
    return median(samples)
}

/// Median nanoseconds per call of `first` and of `second`, and the median of their per-round
/// ratio (`second / first`): each round times a batch of both, in turn, so that a machine whose
/// speed drifts during the run moves both alike and the ratio far less than either.
func measurePairAsync(rounds: Int, batch: Int, _ first: () async -> Void, _ second: () async -> Void) async -> (
    first: Double, second: Double, ratio: Double
) {
    func time(_ body: () async -> Void) async -> Double { await timeBatchAsync(batch, body) }
    _ = await time(first)
    _ = await time(second)
    var samples: [(Double, Double)] = []
    for round in 0..<rounds {
        // Alternate which goes first, so that neither always runs on a warmer cache.
        if round % 2 == 0 {
            let a = await time(first)
            samples.append((a, await time(second)))
        } else {
            let b = await time(second)
            samples.append((await time(first), b))
        }
    }
    return (median(samples.map(\.0)), median(samples.map(\.1)), median(samples.map { $0.1 / $0.0 }))
}

func runTokenBenchmark() async throws {
    let rsa = try _RSA.Signing.PrivateKey(keySize: .bits2048)
    let p256 = P256.Signing.PrivateKey()
    let ed = Curve25519.Signing.PrivateKey()
    let primitives = try rsa.publicKey.getKeyPrimitives()
    let raw = p256.publicKey.rawRepresentation
    let jwks = """
        {"keys":[
          {"kty":"RSA","kid":"rsa","n":"\(base64url(primitives.modulus))","e":"\(base64url(primitives.publicExponent))"},
          {"kty":"EC","kid":"p256","crv":"P-256","x":"\(base64url(raw.prefix(32)))","y":"\(base64url(raw.suffix(32)))"},
          {"kty":"OKP","kid":"ed","crv":"Ed25519","x":"\(base64url(ed.publicKey.rawRepresentation))"}
        ]}
        """
    let yaml = """
        version: 1
        providers:
          idp:
            kind: oidc
            issuer: https://idp.example.com
            audiences: [api]
            algorithms: [RS256, ES256, EdDSA]
            claims: { username: preferred_username, groups: groups }
          info:
            kind: oidc
            issuer: https://info.example.com
            verify: userinfo
            userinfo_endpoint: https://info.example.com/userinfo
            claims: { username: preferred_username }
        rules: []
        """
    let policy = PolicyCompiler.compile(PolicyChecker.check(SourceFile(name: "bench.yaml", text: yaml)).policy!)
    let now = Date()
    let exp = Int(now.timeIntervalSince1970) + 3600
    // A realistic access token payload (Okta-like), so JSON decoding costs what it costs in use.
    let payload = """
        {"ver":1,"jti":"AT.abcdefghijklmnopqrstuvwxyz0123456789","iss":"https://idp.example.com","aud":"api",\
        "iat":\(exp - 3600),"exp":\(exp),"cid":"0oa1b2c3d4e5f6g7h8i9","uid":"00u1a2b3c4d5e6f7g8h9",\
        "scp":["openid","profile","content:read","content:write"],"auth_time":\(exp - 3700),\
        "sub":"alice@example.com","preferred_username":"alice@example.com","groups":["confluence-users","engineering"]}
        """
    func token(_ alg: String, _ kid: String, sign: (Data) throws -> Data) throws -> (String, Data, Data) {
        let input =
            base64url(Data(#"{"alg":"\#(alg)","kid":"\#(kid)","typ":"JWT"}"#.utf8)) + "."
            + base64url(Data(payload.utf8))
        let signature = try sign(Data(input.utf8))
        return (input + "." + base64url(signature), Data(input.utf8), signature)
    }
    let cases: [(String, (String, Data, Data), (Data, Data) -> Bool)] = [
        (
            "RS256",
            try token("RS256", "rsa") { try rsa.signature(for: $0, padding: .insecurePKCS1v1_5).rawRepresentation },
            {
                input, signature in
                rsa.publicKey.isValidSignature(
                    _RSA.Signing.RSASignature(rawRepresentation: signature), for: input, padding: .insecurePKCS1v1_5)
            }
        ),
        (
            "ES256", try token("ES256", "p256") { try p256.signature(for: $0).rawRepresentation },
            { input, signature in
                (try? p256.publicKey.isValidSignature(
                    P256.Signing.ECDSASignature(rawRepresentation: signature), for: input)) ?? false
            }
        ),
        (
            "EdDSA", try token("EdDSA", "ed") { try ed.signature(for: $0) },
            { input, signature in
                ed.publicKey.isValidSignature(signature, for: input)
            }
        ),
    ]
    let uncached = TokenVerifier(keys: SavedKeySet(json: jwks), cacheSize: 0)
    if CommandLine.arguments.contains("profile") {
        // `GatehouseBenchmark tokens profile`: uncached RS256 verifications only, for `perf record`.
        for _ in 0..<100_000 {
            _ = await uncached.verify(.bearer(cases[0].1.0), policy: policy, schemes: [.bearer], now: now)
        }
        return
    }
    print("alg     raw swift-crypto ns   gatehouse uncached ns   ratio (median of rounds timing both in turn)")
    for (name, (value, input, signature), rawCheck) in cases {
        guard case .verified = await uncached.verify(.bearer(value), policy: policy, schemes: [.bearer], now: now),
            rawCheck(input, signature)
        else { fatalError("\(name) did not verify") }
        let (rawTime, full, ratio) = await measurePairAsync(rounds: 61, batch: 50) {
            _ = rawCheck(input, signature)
        } _: {
            _ = await uncached.verify(.bearer(value), policy: policy, schemes: [.bearer], now: now)
        }
        print(
            name.padding(toLength: 8, withPad: " ", startingAt: 0)
                + String(format: "%18.0f   %21.0f   %5.2fx", rawTime, full, ratio))
    }
    // Where an uncached RS256 verification's time goes beyond the signature, each part alone.
    let (token, _, _) = cases[0].1
    guard case .success(let jws) = CompactJWS.parse(token) else { fatalError("the RS256 token does not parse") }
    let split = await measureAsync(rounds: 60, batch: 200) { _ = CompactJWS.parse(token) }
    let payloadJSON = await measureAsync(rounds: 60, batch: 200) { _ = jws.payload() }
    let digest = await measureAsync(rounds: 60, batch: 200) { _ = uncached.prepare(.bearer(token)) }
    print(
        String(
            format: "RS256 parts: split and header %.0f ns, payload JSON %.0f ns, token digest %.0f ns",
            split, payloadJSON, digest))
    let cached = TokenVerifier(keys: SavedKeySet(json: jwks))
    let repeated = cases[0].1.0
    _ = await cached.verify(.bearer(repeated), policy: policy, schemes: [.bearer], now: now)
    let hit = await measureAsync(rounds: 100, batch: 200) {
        _ = await cached.verify(.bearer(repeated), policy: policy, schemes: [.bearer], now: now)
    }
    print(String(format: "repeated RS256 token, answered from the cache: %.0f ns", hit))
    let directory = ProviderDirectory(providers: policy.policy.providers, fetcher: MemoryProvider())
    let online = TokenVerifier(keys: directory, remote: RemoteVerifier(directory: directory))
    guard
        case .verified = await online.verify(
            .bearer("opaque-token-0123456789"), policy: policy, schemes: [.bearer], now: now)
    else { fatalError("userinfo did not verify") }
    let warm = await measureAsync(rounds: 100, batch: 200) {
        _ = await online.verify(.bearer("opaque-token-0123456789"), policy: policy, schemes: [.bearer], now: now)
    }
    print(String(format: "userinfo mode, warm cache: %.0f ns", warm))
}
