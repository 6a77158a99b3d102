import Foundation
import Gatehouse
import GatehouseIdentity
import GatehouseTesting

/// What the fuzz targets (`Fuzz/`) feed their inputs to, also run on the seed corpora and every
/// recorded crash by the test command (`FuzzRegressionTests`). Each reads one input as its
/// component would and checks what must hold whatever the input; a broken invariant stops the
/// process, which libFuzzer reports as a crash.
public enum FuzzHarness {
    /// The harnesses by name: the fuzz targets' names without `Fuzz`, and the corpora's folders.
    public static let all: [String: @Sendable ([UInt8]) async -> Void] = [
        "policy": policy, "target": target, "token": token, "gateway": gateway, "testfile": testFile,
        "traffic": traffic,
    ]

    /// The YAML gate, the checker and the compiler: a policy that checks also decides.
    public static func policy(_ input: [UInt8]) {
        let source = SourceFile(name: "fuzz.yaml", text: String(decoding: input, as: UTF8.self))
        let loaded = PolicyLoader.load(source, files: InMemoryFiles([:]))
        _ = DiagnosticRenderer(sources: loaded.sources).render(loaded.diagnostics, as: .text)
        guard let compiled = loaded.compiled else {
            require(loaded.diagnostics.hasErrors, "a policy without errors did not compile")
            return
        }
        let evaluator = Evaluator(policy: compiled)
        for target in ["/", "/a/b?c=d", "/rest/api/content/1"] {
            _ = evaluator.decide(APIRequest(method: "GET", target: target), identity: nil, now: fixedNow)
        }
    }

    /// The request-target parser, and a decision on it: a refused target is never decided as
    /// anything but `request.invalid-target`, and an accepted one is matched by its parsed path.
    public static func target(_ input: [UInt8]) {
        let raw = String(decoding: input, as: UTF8.self)
        let decision = targetEvaluator.decide(
            APIRequest(method: "GET", target: raw), identity: fuzzCaller, now: fixedNow)
        switch RequestTarget.parse(raw) {
        case .failure:
            require(decision.code == .requestInvalidTarget, "a refused target was decided: \(decision.code)")
        case .success(let parsed):
            require(decision.path == parsed.path, "a target was decided by another path")
            if parsed.segments.first?.isExactly("admin") == true {
                require(decision.code == .ruleDeny, "an /admin target missed the deny rule")
            }
        }
    }

    /// The JWS and JSON token parser and the verifier, against a fixed key set.
    public static func token(_ input: [UInt8]) async {
        let text = String(decoding: input, as: UTF8.self)
        if case .success(let jws) = CompactJWS.parse(text) { _ = jws.payload() }
        let verification = await tokenVerifier.verify(
            .bearer(text), policy: tokenPolicy, schemes: [.bearer], now: fixedNow)
        if case .verified(let identity) = verification {
            require(identity.provider == "idp", "a token verified for no provider")
            guard case .success(let jws) = CompactJWS.parse(text), case .success(let claims) = jws.payload() else {
                return require(false, "a token verified that does not parse")
            }
            require(claims["iss"]?.stringValue == "https://idp.example.com", "a token of another issuer verified")
        }
    }

    /// The test-file reader.
    public static func testFile(_ input: [UInt8]) {
        _ = PolicyTestFile.parse(SourceFile(name: "fuzz.test.yaml", text: String(decoding: input, as: UTF8.self)))
    }

    /// The traffic-file reader (request documents and decision-log lines).
    public static func traffic(_ input: [UInt8]) {
        _ = try? TrafficFile.parse(String(decoding: input, as: UTF8.self), name: "fuzz.jsonl")
    }

    /// Stops the process when `condition` is false: what the fuzzer reports as a crash.
    static func require(_ condition: Bool, _ message: @autoclosure () -> String) {
        if !condition { fatalError("fuzz invariant: \(message())") }
    }

    static let fixedNow = Date(timeIntervalSince1970: 1_800_000_000)

    static let targetPolicy = """
        version: 1
        name: fuzz
        api_tokens:
          - { id: ci, sha256: \(String(repeating: "ab", count: 32)), username: ci }
        schemes: [bearer, api_token]
        rules:
          - id: admin
            match: { path: /admin/** }
            deny: never
          - id: public
            match: { path: /public/** }
            allow: anyone
          - id: own
            match: { path: "/users/{name}/**" }
            require: { username: "{name}" }
          - id: rest
            match: { path: /** }
            require: authenticated
        """

    static let targetEvaluator = Evaluator(policy: compile(targetPolicy))
    static let fuzzCaller = Identity(username: "alice", scheme: .apiToken)

    static let tokenPolicy = compile(
        """
        version: 1
        providers:
          idp:
            kind: oidc
            issuer: https://idp.example.com
            audiences: [api]
            algorithms: [RS256, ES256, EdDSA, PS256]
        rules:
          - id: all
            match: { path: /** }
            require: authenticated
        """)

    /// The public half of the fixture keys (`policies/testdata/signing-keys.jwks.json`, read from
    /// the working directory: the package root), so signatures are really checked.
    static let tokenVerifier: TokenVerifier = {
        let keys = (try? FixtureSigner(path: "policies/testdata/signing-keys.jwks.json"))?.publicJWKS
        return TokenVerifier(keys: SavedKeySet(json: keys ?? #"{"keys":[]}"#), cacheSize: 16)
    }()

    static func compile(_ text: String) -> CompiledPolicy {
        guard
            let compiled = PolicyLoader.load(SourceFile(name: "fuzz.yaml", text: text), files: InMemoryFiles([:]))
                .compiled
        else { fatalError("the fuzz harness's own policy does not compile") }
        return compiled
    }
}

extension FuzzHarness {
    /// Runs `harness` on `input` to its end from a thread outside the task pool (libFuzzer's).
    public static func runBlocking(_ harness: @escaping @Sendable ([UInt8]) async -> Void, _ input: [UInt8]) {
        let done = DispatchSemaphore(value: 0)
        Task {
            await harness(input)
            done.signal()
        }
        done.wait()
    }
}
