import Foundation
import Gatehouse
import Testing

@testable import GatehouseIdentity

/// End to end against nanoidp, a real OpenID Connect provider from PyPI that the test command
/// starts (`Tests/idp/idp.sh`): tokens minted by it are verified in each mode.
@Suite(.enabled(if: IdentityProvider.url != nil, "needs nanoidp: run `scripts/test`, which starts it"))
struct IdentityProviderTests {
    static func policy(_ provider: String, rules: String = "") throws -> CompiledPolicy {
        let yaml = """
            version: 1
            name: nanoidp
            providers:
              nano:
                kind: oidc
                issuer: \(IdentityProvider.url ?? "")
            \(provider)
            rules:
            \(rules.isEmpty ? "  - id: api\n    match: { path: /api/** }\n    require: authenticated" : rules)
            """
        return try Support.compile(yaml, name: "nano.yaml")
    }

    static let jwt = """
            audiences: [gatehouse-api]
            claims: { username: sub, groups: groups }
        """

    static func outcome(_ token: String, _ policy: CompiledPolicy, verifier: TokenVerifier? = nil, now: Date = Date())
        async -> String
    {
        let verifier = verifier ?? TokenVerifier.online(for: policy.policy)
        switch await verifier.verify(.bearer(token), policy: policy, schemes: [.bearer], now: now) {
        case .verified(let identity):
            return "verified:\(identity.username) groups:\(identity.groups.joined(separator: ","))"
        case .rejected(let rejection): return rejection.code.rawValue
        case .unavailable(_, let reason): return "unavailable: \(reason)"
        }
    }

    @Test func jwtModeVerifiesUserTokensAgainstTheJWKS() async throws {
        let policy = try Self.policy(Self.jwt)
        #expect(
            await Self.outcome(try await IdentityProvider.userToken("admin", "admin"), policy)
                == "verified:admin groups:ADMINISTRATORS")
        #expect(
            await Self.outcome(try await IdentityProvider.userToken("testuser", "test123"), policy)
                == "verified:testuser groups:")
    }

    @Test func clientCredentialsTokensFromTheLibrary() async throws {
        let policy = try Self.policy(
            Self.jwt + "\n    client_id: demo-client\n    client_secret: { env: GATEHOUSE_NANOIDP_SECRET }")
        setenv("GATEHOUSE_NANOIDP_SECRET", "demo-secret", 1)
        let provider = try #require(policy.provider("nano"))
        let token = try await TokenEndpoint.fetch(
            provider: provider, clientID: "demo-client", secret: .environment("GATEHOUSE_NANOIDP_SECRET"), scope: nil
        ).get()
        #expect(await Self.outcome(token, policy) == "verified:demo-client groups:")
        let wrong = await TokenEndpoint.fetch(
            provider: provider, clientID: "demo-client", secret: .file("/nonexistent"), scope: nil)
        #expect(throws: ProviderUnavailable.self) { try wrong.get() }
    }

    /// The motivating case: the token does not carry `preferred_username`; userinfo does.
    @Test func userinfoModeTakesTheUsernameFromUserinfo() async throws {
        let token = try await IdentityProvider.userToken("admin", "admin")
        let policy = try Self.policy("    verify: userinfo\n    claims: { username: preferred_username }")
        #expect(await Self.outcome(token, policy) == "verified:admin groups:ADMINISTRATORS")
        let local = try Self.policy("    audiences: [gatehouse-api]\n    claims: { username: preferred_username }")
        #expect(await Self.outcome(token, local) == "token.no-username")
    }

    @Test func introspectionModeAndRevocation() async throws {
        setenv("GATEHOUSE_NANOIDP_SECRET", "demo-secret", 1)
        let provider = """
                verify: introspection
                client_id: demo-client
                client_secret: { env: GATEHOUSE_NANOIDP_SECRET }
                claims: { username: username }
            """
        let policy = try Self.policy(provider)
        let token = try await IdentityProvider.userToken("testuser", "test123")
        #expect(await Self.outcome(token, policy) == "verified:testuser groups:")
        try await IdentityProvider.revoke(token)
        #expect(await Self.outcome(token, policy) == "token.invalid")
    }

    @Test func expiredTokensAreRefused() async throws {
        let policy = try Self.policy(Self.jwt)
        let token = try await IdentityProvider.userToken("admin", "admin")
        #expect(await Self.outcome(token, policy, now: Date().addingTimeInterval(2 * 3600)) == "token.expired")
    }

    @Test func keyRotationMidRun() async throws {
        let policy = try Self.policy(Self.jwt)
        let verifier = TokenVerifier.online(for: policy.policy)
        let before = try await IdentityProvider.userToken("admin", "admin")
        #expect(await Self.outcome(before, policy, verifier: verifier) == "verified:admin groups:ADMINISTRATORS")
        try await IdentityProvider.rotateKeys()
        let after = try await IdentityProvider.userToken("admin", "admin")
        #expect(await Self.outcome(after, policy, verifier: verifier) == "verified:admin groups:ADMINISTRATORS")
        #expect(await Self.outcome(before, policy, verifier: verifier) == "verified:admin groups:ADMINISTRATORS")
    }

    @Test func decisionsWithRealTokens() async throws {
        let rules = """
              - id: admin
                match: { path: /admin/** }
                require: { groups: [ADMINISTRATORS] }
            """
        let policy = try Self.policy(Self.jwt, rules: rules)
        let evaluator = Evaluator(policy: policy)
        let verifier = TokenVerifier.online(for: policy.policy)
        func decide(_ token: String) async -> String {
            let request = APIRequest(
                method: "GET", target: "/admin/users", headers: [("Authorization", "Bearer " + token)])
            let decision = await evaluator.evaluate(request, verifier: verifier, now: Date())
            return "\(decision.status) \(decision.code) \(decision.identity?.username ?? "-")"
        }
        #expect(await decide(try await IdentityProvider.userToken("admin", "admin")) == "200 rule.allow admin")
        #expect(
            await decide(try await IdentityProvider.userToken("testuser", "test123")) == "403 require.group testuser")
    }

    @Test func providerDownAtStart() async throws {
        let yaml = """
            version: 1
            providers:
              gone:
                kind: oidc
                issuer: http://127.0.0.1:9
                audiences: [x]
            rules:
              - id: api
                match: { path: /api/** }
                require: authenticated
            """
        let policy = PolicyCompiler.compile(
            try #require(PolicyChecker.check(SourceFile(name: "g.yaml", text: yaml)).policy))
        let token = TokenMinter.token(
            header: #"{"alg":"RS256","kid":"rsa"}"#,
            payload: TokenMinter.claims().replacingOccurrences(
                of: "https://idp.example.com", with: "http://127.0.0.1:9"),
            signer: .rs256)
        let request = APIRequest(method: "GET", target: "/api/x", headers: [("Authorization", "Bearer " + token)])
        let decision = await Evaluator(policy: policy).evaluate(
            request, verifier: TokenVerifier.online(for: policy.policy), now: TokenMinter.now)
        #expect(decision.status == 503)
        #expect(decision.code == .providerUnavailable)
    }
}

/// The running nanoidp, as `Tests/idp/idp.sh` describes it in the environment.
enum IdentityProvider {
    static let url = ProcessInfo.processInfo.environment["GATEHOUSE_NANOIDP"]

    static func userToken(_ username: String, _ password: String) async throws -> String {
        let answer = try await NetworkFetcher().post(
            url! + "/token", form: [("grant_type", "password"), ("username", username), ("password", password)],
            headers: [("Authorization", Secrets.basicAuthorization(clientID: "demo-client", secret: "demo-secret"))],
            timeout: .seconds(10))
        guard answer.status == 200, let token = try StrictJSON.object(answer.body)["access_token"]?.stringValue else {
            throw SupportError(message: "nanoidp answered \(answer.status) to the password grant")
        }
        return token
    }

    static func revoke(_ token: String) async throws {
        let answer = try await NetworkFetcher().post(
            url! + "/revoke", form: [("token", token)],
            headers: [("Authorization", Secrets.basicAuthorization(clientID: "demo-client", secret: "demo-secret"))],
            timeout: .seconds(10))
        guard answer.status == 200 else { throw SupportError(message: "revoke answered \(answer.status)") }
    }

    static func rotateKeys() async throws {
        let answer = try await NetworkFetcher().post(
            url! + "/api/keys/rotate", form: [], headers: [], timeout: .seconds(10))
        guard answer.status == 200 else { throw SupportError(message: "key rotation answered \(answer.status)") }
    }
}
