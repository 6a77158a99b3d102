import Foundation
import Gatehouse
import Testing

@Suite struct ModelTests {
    static let presets: [(String, String, String, String?)] = [
        (
            "kind: okta\n    domain: dev-1.okta.com\n    authorization_server: default",
            "https://dev-1.okta.com/oauth2/default", "https://dev-1.okta.com/oauth2/default/v1/keys",
            "https://dev-1.okta.com/oauth2/default/v1/introspect"
        ),
        (
            "kind: okta\n    domain: dev-1.okta.com", "https://dev-1.okta.com", "https://dev-1.okta.com/oauth2/v1/keys",
            "https://dev-1.okta.com/oauth2/v1/introspect"
        ),
        (
            "kind: keycloak\n    url: https://sso.example.com/\n    realm: eng", "https://sso.example.com/realms/eng",
            "https://sso.example.com/realms/eng/protocol/openid-connect/certs",
            "https://sso.example.com/realms/eng/protocol/openid-connect/token/introspect"
        ),
        (
            "kind: azure-ad\n    tenant: 72f988bf-86f1-41af-91ab-2d7cd011db47",
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0",
            "https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/discovery/v2.0/keys", nil
        ),
        (
            "kind: auth0\n    domain: example.eu.auth0.com", "https://example.eu.auth0.com/",
            "https://example.eu.auth0.com/.well-known/jwks.json", nil
        ),
        ("kind: oidc\n    issuer: http://127.0.0.1:9400", "http://127.0.0.1:9400", "(discovery)", nil),
        (
            "kind: oidc\n    issuer: https://idp.example.com\n    jwks_uri: https://keys.example.com/jwks",
            "https://idp.example.com", "https://keys.example.com/jwks", nil
        ),
    ]

    @Test(arguments: presets)
    func presetsExpand(_ settings: String, _ issuer: String, _ jwks: String, _ introspection: String?) throws {
        let policy = try #require(
            Fixtures.check(
                """
                version: 1
                providers:
                  p:
                    \(settings)
                    audiences: [api]
                rules: []
                """
            ).policy)
        let provider = try #require(policy.provider("p"))
        #expect(provider.issuer == issuer)
        #expect((provider.endpoints.jwks ?? "(discovery)") == jwks)
        #expect(provider.endpoints.introspection == introspection)
        #expect(provider.endpoints.discovery != nil)
    }

    @Test func plainHTTPIsRefusedExceptForLoopback() {
        let result = Fixtures.check(
            "version: 1\nproviders:\n  p:\n    kind: oidc\n    issuer: http://idp.example.com\n    audiences: [a]\nrules: []\n"
        )
        #expect(result.diagnostics.map(\.code) == ["check.invalid-url"])
    }

    @Test func introspectionNeedsClientCredentials() {
        let result = Fixtures.check(
            "version: 1\nproviders:\n  p:\n    kind: keycloak\n    url: https://s.example.com\n    realm: r\n    verify: introspection\nrules: []\n"
        )
        #expect(result.diagnostics.map(\.code) == ["check.missing-key", "check.missing-key"])
    }

    static let claims: [String: JSONValue] = [
        "sub": .string("00u1"),
        "preferred_username": .string("alice"),
        "scope": .string("read write"),
        "scp": .array([.string("other")]),
        "realm_access": .object(["roles": .array([.string("admin"), .string("dev")])]),
        "https://example.com/groups": .array([.string("ns-group")]),
        "employee_id": .number(1234),
        "email": .string("alice@example.com"),
    ]

    static let mappings: [(String, String, [String], [String])] = [
        ("{}", "00u1", [], ["read", "write"]),
        (
            "{ username: preferred_username, groups: realm_access.roles }", "alice", ["admin", "dev"],
            ["read", "write"]
        ),
        (
            "{ username: email, groups: \"https://example.com/groups\", scopes: scp }", "alice@example.com",
            ["ns-group"],
            ["other"]
        ),
    ]

    @Test(arguments: mappings)
    func claimMapping(_ mapping: String, _ username: String, _ groups: [String], _ scopes: [String]) throws {
        let policy = try Self.oidcPolicy(claims: mapping)
        let identity = try policy.identity(for: .provider("p", claims: Self.claims), now: .now).get()
        #expect(identity.username == username)
        #expect(identity.groups == groups)
        #expect(identity.scopes == scopes)
        #expect(identity.subject == "00u1")
    }

    /// A policy with one `oidc` provider `p` and the claim mapping `claims`.
    static func oidcPolicy(claims: String) throws -> CompiledPolicy {
        try Fixtures.compile(
            """
            version: 1
            providers:
              p:
                kind: oidc
                issuer: https://idp.example.com
                audiences: [api]
                claims: \(claims)
            rules: []
            """)
    }

    @Test func decisionJSONAlwaysHasRuleAndIdentity() throws {
        let policy = try Fixtures.compile("version: 1\nrules: []\n")
        let json = JSONText.encode(
            Evaluator(policy: policy).decide(APIRequest(method: "GET", target: "/x"), identity: nil, now: .now))
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(Set(object.keys) == ["decision", "status", "code", "reason", "rule", "identity", "headers", "path"])
        #expect(object["rule"] is NSNull)
        #expect(object["identity"] is NSNull)
    }
}

extension ModelTests {
    /// The username claim must be a non-empty string without control characters (J25).
    @Test(
        arguments: [
            ("employee_id", .tokenNoUsername), ("missing", .tokenNoUsername), ("realm_access", .tokenNoUsername),
            ("empty", .tokenNoUsername), ("crlf", .tokenBadUsername),
        ] as [(String, DecisionCode)])
    func usernameClaimMustBeAPlainString(_ claim: String, _ code: DecisionCode) throws {
        let policy = try Self.oidcPolicy(claims: "{ username: \(claim) }")
        var claims = Self.claims
        claims["empty"] = .string("")
        claims["crlf"] = .string("alice\r\nX-Auth-User: admin")
        #expect(throws: Rejection(code: code, reason: "")) {
            _ = try policy.identity(for: .provider("p", claims: claims), now: .now).mapError {
                Rejection(code: $0.code, reason: "")
            }.get()
        }
    }

    /// The copy loading makes of the rules is the same policy: every field of every rule, from a
    /// policy that uses each kind of segment, action and requirement.
    @Test func compactedRulesAreTheSameRules() throws {
        let checked = Fixtures.check(
            """
            version: 1
            providers:
              idp: { kind: oidc, issuer: "https://idp.example.com", audiences: [api] }
            rules:
              - id: a-long-rule-id-that-is-not-stored-inline
                match: { path: "/rest/api/latest/projects/{project}/repos/*/files/**", methods: [GET, POST] }
                require:
                  providers: [idp]
                  groups: [engineering-readers]
                  scopes: [repository:read]
                  claims: { tenant.name: "team-{project}-and-more-text" }
                  username: "{project}-service-account"
              - id: closed
                match: { path: /rest/closed-for-maintenance/** }
                deny: "closed for maintenance until the end of the week"
              - id: open
                match: { path: /rest/public/** }
                allow: anyone
            default: deny
            """)
        let policy = try #require(checked.policy)
        let compacted = policy.compacted()
        #expect(compacted.rules.count == 3)
        #expect(String(reflecting: compacted.rules) == String(reflecting: policy.rules))
        #expect(String(reflecting: compacted.providers) == String(reflecting: policy.providers))
    }
}
