import Foundation
import Gatehouse
import Testing

@testable import GatehouseIdentity

/// End to end against Canaille (PyPI, through pytest-iam), started by the test command: a mixed
/// RSA + EC key set without `alg`, RS256 and ES256 access tokens (per client), opaque
/// client-credentials tokens checked by introspection, whose `exp` is a float.
@Suite(.enabled(if: Canaille.url != nil, "needs Canaille: run `scripts/test`, which starts it"))
struct CanailleTests {
    static func policy(_ provider: String) throws -> CompiledPolicy {
        let yaml = """
            version: 1
            providers:
              canaille:
                kind: oidc
                issuer: \(Canaille.url ?? "")
            \(provider)
            rules:
              - id: api
                match: { path: /api/** }
                require: authenticated
            """
        return try Support.compile(yaml, name: "canaille.yaml")
    }

    static func outcome(_ token: String, _ policy: CompiledPolicy) async -> String {
        switch await TokenVerifier.online(for: policy.policy).verify(
            .bearer(token), policy: policy, schemes: [.bearer], now: Date())
        {
        case .verified(let identity):
            return "verified:\(identity.username) groups:\(identity.groups.joined(separator: ","))"
        case .rejected(let rejection): return rejection.code.rawValue
        case .unavailable(_, let reason): return "unavailable: \(reason)"
        }
    }

    @Test func rs256AndES256TokensFromAMixedKeySet() async throws {
        let policy = try Self.policy(
            """
                audiences: [rs-client, es-client]
                algorithms: [RS256, ES256]
                claims: { username: sub, groups: groups }
            """)
        let rs = try await Canaille.userToken(client: "rs-client")
        let es = try await Canaille.userToken(client: "es-client")
        #expect(CompactJWS.algorithm(of: rs) == "RS256")
        #expect(CompactJWS.algorithm(of: es) == "ES256")
        #expect(await Self.outcome(rs, policy) == "verified:alice groups:editors")
        #expect(await Self.outcome(es, policy) == "verified:alice groups:editors")
    }

    @Test func aProviderPinnedToES256RefusesRS256() async throws {
        let policy = try Self.policy(
            """
                audiences: [rs-client, es-client]
                algorithms: [ES256]
                claims: { username: sub }
            """)
        #expect(await Self.outcome(try await Canaille.userToken(client: "rs-client"), policy) == "token.algorithm")
        #expect(
            await Self.outcome(try await Canaille.userToken(client: "es-client"), policy)
                == "verified:alice groups:editors")
    }

    @Test func theAudienceIsTheClient() async throws {
        let policy = try Self.policy("    audiences: [es-client]\n    algorithms: [RS256, ES256]")
        #expect(await Self.outcome(try await Canaille.userToken(client: "rs-client"), policy) == "token.audience")
    }

    @Test func opaqueTokensByIntrospectionWithAFloatExpiry() async throws {
        setenv("GATEHOUSE_CANAILLE_SECRET", "rs-client-secret", 1)
        let policy = try Self.policy(
            """
                verify: introspection
                client_id: rs-client
                client_secret: { env: GATEHOUSE_CANAILLE_SECRET }
                claims: { username: client_id }
            """)
        let opaque = try await Canaille.clientToken(client: "rs-client")
        #expect(opaque.split(separator: ".").count == 1)
        #expect(await Self.outcome(opaque, policy) == "verified:rs-client groups:")
        // Scopes come from the introspection answer's space-separated `scope`.
        let verification = await TokenVerifier.online(for: policy.policy).verify(
            .bearer(opaque), policy: policy, schemes: [.bearer], now: Date())
        guard case .verified(let identity) = verification else {
            Issue.record("the opaque token did not verify")
            return
        }
        #expect(identity.scopes == ["openid"])
        #expect(await Self.outcome("not-a-token-canaille-issued", policy) == "token.invalid")
    }
}

/// The running Canaille, as `Tests/idp/idp.sh` describes it in the environment.
enum Canaille {
    static let url = ProcessInfo.processInfo.environment["GATEHOUSE_CANAILLE"]

    static func post(_ client: String, _ form: [(String, String)]) async throws -> String {
        let answer = try await NetworkFetcher().post(
            url! + "/oauth/token", form: form,
            headers: [("Authorization", Secrets.basicAuthorization(clientID: client, secret: "\(client)-secret"))],
            timeout: .seconds(10))
        guard answer.status == 200, let token = try StrictJSON.object(answer.body)["access_token"]?.stringValue else {
            throw SupportError(
                message: "Canaille answered \(answer.status): \(String(decoding: answer.body, as: UTF8.self))")
        }
        return token
    }

    static func userToken(client: String) async throws -> String {
        try await post(
            client,
            [
                ("grant_type", "password"), ("username", "alice"), ("password", "alice-password"),
                ("scope", "openid profile email groups"),
            ])
    }

    static func clientToken(client: String) async throws -> String {
        try await post(client, [("grant_type", "client_credentials"), ("scope", "openid")])
    }
}

extension CompactJWS {
    static func algorithm(of token: String) -> String? {
        guard case .success(let jws) = parse(token) else { return nil }
        return jws.header["alg"]?.stringValue
    }
}
