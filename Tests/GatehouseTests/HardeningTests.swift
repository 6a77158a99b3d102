import Foundation
import Testing

@testable import Gatehouse

/// The classes of request that Gatehouse and a gateway or backend could read differently, one
/// test per class (issue 11): each failed on the code before its fix.
@Suite struct HardeningTests {
    static let policy = """
        version: 1
        name: hardening
        providers:
          p:
            kind: oidc
            issuer: https://idp.example.com
            audiences: [api]
            claims: { username: preferred_username, groups: groups }
        schemes: [bearer]
        rules:
          - id: admin
            match: { path: /admin/** }
            deny: administration is closed
          - id: team
            match: { path: /team/** }
            require: { claims: { team: K } }
          - id: cafe
            match: { path: /cafe/** }
            require: { groups: [café] }
          - id: own
            match: { path: "/users/{name}/**" }
            require: { username: "{name}" }
          - id: rest
            match: { path: /** }
            require: authenticated
        """

    static func decide(
        _ target: String, method: String = "GET", headers: [(String, String)] = [],
        claims: [String: JSONValue] = ["preferred_username": .string("alice")], policy: String = policy
    ) throws -> Decision {
        let compiled = try Fixtures.compile(policy)
        let identity = try compiled.identity(for: .provider("p", claims: claims), now: .now).get()
        return Evaluator(policy: compiled).decide(
            APIRequest(method: method, target: target, headers: headers.map { (name: $0.0, value: $0.1) }),
            identity: identity, now: .now)
    }

    /// Raw bytes that are not ASCII are not a valid request target (RFC 9112); a decoder's
    /// repair of invalid UTF-8 (U+FFFD) is such a byte sequence too.
    @Test(arguments: ["/caf\u{E9}", "/a\u{FFFD}b", "/a?q=\u{FC}", "/\u{4E2D}"])
    func rawNonASCIIIsRefused(_ target: String) throws {
        #expect(RequestTarget.parse(target) == .failure(.nonASCII))
        #expect(try Self.decide(target).code == .requestInvalidTarget)
    }

    /// Percent-encoded code points a normalizing backend would read as ASCII (compatibility forms:
    /// fullwidth `．／`, the one-dot leader, the Kelvin sign, a ligature), Unicode separators, C1
    /// and invisible format controls, and text not in NFC are refused; ordinary text is not.
    @Test(arguments: [
        ("/admin%EF%BC%8F..", TargetError.compatibilityForm), ("/%EF%BC%8E%EF%BC%8E/admin", .compatibilityForm),
        ("/a%E2%80%A4b", .compatibilityForm), ("/team/%E2%84%AA", .compatibilityForm),
        ("/%EF%AC%81le", .compatibilityForm), ("/%EF%BD%81dmin", .compatibilityForm),
        ("/a%C2%A0b", .unicodeSeparator), ("/a%E2%80%A8b", .unicodeSeparator), ("/a%E3%80%80b", .unicodeSeparator),
        ("/a%C2%85b", .controlCharacter), ("/a%C2%9Fb", .controlCharacter), ("/ad%E2%80%8Bmin", .invisibleCharacter),
        ("/cafe%CC%81", .notNFC),
    ])
    func encodedLookalikesAreRefused(_ target: String, _ error: TargetError) {
        #expect(RequestTarget.parse(target) == .failure(error))
    }

    @Test(arguments: [("/%C3%9Cber", "Über"), ("/%E4%B8%AD%E6%96%87", "中文"), ("/caf%C3%A9", "café")])
    func ordinaryTextIsStillAllowed(_ target: String, _ segment: String) throws {
        #expect(try RequestTarget.parse(target).get().segments == [segment])
    }

    /// Usernames, groups and claims are compared as bytes: a Kelvin sign is not `K`, a decomposed
    /// `é` is not the composed one.
    @Test func identityComparisonsAreByteExact() throws {
        #expect(
            try Self.decide("/team/x", claims: ["preferred_username": .string("a"), "team": .string("\u{212A}")]).code
                == .requireClaim)
        #expect(
            try Self.decide("/team/x", claims: ["preferred_username": .string("a"), "team": .string("K")]).code
                == .ruleAllow)
        #expect(
            try Self.decide(
                "/cafe/x", claims: ["preferred_username": .string("a"), "groups": .array([.string("cafe\u{301}")])]
            ).code
                == .requireGroup)
        #expect(
            try Self.decide(
                "/cafe/x", claims: ["preferred_username": .string("a"), "groups": .array([.string("café")])]
            ).code == .ruleAllow)
        #expect(
            try Self.decide("/users/%C3%A9mile/x", claims: ["preferred_username": .string("e\u{301}mile")]).code
                == .requireUsername)
        #expect(
            try Self.decide("/users/%C3%A9mile/x", claims: ["preferred_username": .string("émile")]).code == .ruleAllow)
    }

    /// With `case_sensitive_paths: false`, only ASCII letters fold, and a `{name}` capture keeps the
    /// request's own case.
    @Test func caseFoldingIsASCIIAndCapturesKeepTheirCase() throws {
        let insensitive = Self.policy.replacingOccurrences(
            of: "schemes: [bearer]", with: "schemes: [bearer]\ncase_sensitive_paths: false")
        #expect(
            try Self.decide("/USERS/Alice/x", claims: ["preferred_username": .string("Alice")], policy: insensitive)
                .code
                == .ruleAllow)
        #expect(try Self.decide("/ADMIN/x", policy: insensitive).code == .ruleDeny)
        #expect(try Self.decide("/%C3%84DMIN/x", policy: insensitive).rule == "rest")
        #expect(CompiledPolicy.foldASCII("ÄbC\u{212A}") == "Äbc\u{212A}")
    }

    /// A method with lowercase letters is refused: some gateways pass it on unchanged and many
    /// backends read `delete` as `DELETE`.
    @Test(arguments: ["delete", "Get", "pOST"])
    func lowercaseMethodsAreRefused(_ method: String) throws {
        let decision = try Self.decide("/x", method: method)
        #expect(decision.code == .requestInvalidMethod)
        #expect(decision.reason == "the method `\(method)` has lowercase letters; methods are case-sensitive")
    }

    /// The token bytes are RFC 9110's `tchar` (§5.6.2), written out here from the grammar, for
    /// every byte; a method with any other byte, or empty, or over 32 bytes, is refused as invalid.
    @Test func methodsAreRFC9110Tokens() throws {
        let grammar = Set(
            "!#$%&'*+-.^_`|~0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
        for byte in UInt8.min...UInt8.max {
            #expect(APIRequest.isTokenByte(byte) == grammar.contains(byte), "byte \(byte)")
        }
        var refused: [String] = []
        for byte in UInt8.min...UInt8.max where !grammar.contains(byte) && byte < 0x80 {
            let method = "GE" + String(UnicodeScalar(byte)) + "T"
            if APIRequest(method: method, target: "/x").hasValidMethod { continue }
            refused.append(method)
        }
        #expect(refused.count == 128 - grammar.count)
        for method in ["", String(repeating: "A", count: 33), "GÉT"] {
            #expect(try Self.decide("/x", method: method).code == .requestInvalidMethod, "\(method)")
        }
        #expect(APIRequest(method: String(repeating: "A", count: 32), target: "/x").hasValidMethod)
    }

    /// Headers that make backends route or dispatch differently from the target decided are
    /// refused, unless the policy allows them by name.
    @Test(arguments: [
        "X-Original-URL", "x-rewrite-url", "X-HTTP-Method-Override", "X-HTTP-Method", "X-Method-Override",
    ])
    func overrideHeadersAreRefused(_ name: String) throws {
        let decision = try Self.decide("/x", headers: [(name, "/admin")])
        #expect(decision.code == .requestOverrideHeader)
        #expect(decision.status == 400)
        let allowing = Self.policy + "\nallow_override_headers: [\(name)]\n"
        #expect(try Self.decide("/x", headers: [(name, "/admin")], policy: allowing).code == .ruleAllow)
    }

    /// An original-request header sent twice is refused, never guessed between.
    @Test(
        arguments: [
            (
                GatewayConvention.nginx,
                [("X-Original-URI", "/a"), ("X-Original-URI", "/b"), ("X-Original-Method", "GET")]
            ),
            (.nginx, [("X-Original-URI", "/a"), ("X-Original-Method", "GET"), ("x-original-method", "DELETE")]),
            (.forward, [("X-Forwarded-Uri", "/a"), ("X-Forwarded-Method", "GET"), ("X-Forwarded-Uri", "/b")]),
            (.forward, [("X-Forwarded-Uri", "/a"), ("X-Forwarded-Method", "GET"), ("X-Forwarded-Method", "PUT")]),
            (
                .forward,
                [
                    ("X-Forwarded-Uri", "/a"), ("X-Forwarded-Method", "GET"), ("X-Forwarded-Host", "a"),
                    ("X-Forwarded-Host", "b"),
                ]
            ),
            (
                .ingressNginx,
                [("X-Original-URL", "http://h/a"), ("X-Original-URL", "http://h/b"), ("X-Original-Method", "GET")]
            ),
            (
                .ingressNginx,
                [("X-Original-URL", "http://h/a"), ("X-Original-Method", "GET"), ("X-Original-Method", "PUT")]
            ),
        ] as [(GatewayConvention, [(String, String)])])
    func duplicateOriginalHeadersAreRefused(_ convention: GatewayConvention, _ headers: [(String, String)]) {
        let check = CheckRequest(
            method: "GET", target: convention.prefix, authority: nil, headers: headers.map { (name: $0.0, value: $0.1) }
        )
        guard case .failure(let refused) = convention.originalRequest(of: check) else {
            return #expect(Bool(false), "a duplicate was guessed between")
        }
        #expect(refused.decision.code == .requestDuplicateHeader)
    }

    /// The original-request headers are read without the whitespace around them (RFC 9110 §5.5),
    /// whoever parsed the check request.
    @Test func originalHeadersAreTrimmed() throws {
        let check = CheckRequest(
            method: "GET", target: "/v1/auth/nginx", authority: nil,
            headers: [(name: "X-Original-URI", value: " /status \t"), (name: "X-Original-Method", value: "GET\t")])
        let original = try GatewayConvention.nginx.originalRequest(of: check).get()
        #expect((original.target, original.method) == ("/status", "GET"))
    }

    /// ingress-nginx's door reads the host and target of `X-Original-URL` and nothing else: a URL
    /// without an http(s) scheme, a host or a path, or with user information, is refused; the URL
    /// is not passed on as a header (it is this door's own, not an override here).
    @Test(
        arguments: [
            ("https://api.example.com/rest/x?y=1", "api.example.com", "/rest/x?y=1"),
            ("HTTP://api.example.com:8443/", "api.example.com:8443", "/"),
            ("http://h/a#frag", "h", "/a#frag"),
            ("/rest/x", nil, nil), ("ftp://h/a", nil, nil), ("https://h", nil, nil), ("https:///a", nil, nil),
            ("https://user@h/a", nil, nil), ("https://h?x/a", nil, nil),
        ] as [(String, String?, String?)])
    func ingressNginxReadsTheURL(_ url: String, _ host: String?, _ target: String?) throws {
        let check = CheckRequest(
            method: "GET", target: "/v1/auth/ingress-nginx", authority: "gatehouse",
            headers: [
                (name: "X-Original-URL", value: url), (name: "X-Original-Method", value: "GET"),
                (name: "X-Original-URI", value: "/ignored"),
            ])
        switch GatewayConvention.ingressNginx.originalRequest(of: check) {
        case .success(let original):
            #expect(original.host == host && original.target == target)
            #expect(!original.headers.contains { $0.name.lowercased() == "x-original-url" })
        case .failure(let refused):
            #expect(host == nil && refused.decision.code == .requestMissingOriginal)
        }
    }

    /// A malformed `Authorization` value is never echoed in a decision.
    @Test(arguments: [
        "sk-live-0123456789abcdef", "Bearer:sk-live-0123456789abcdef", "Bearer\tsk-live-0123456789abcdef",
        "Token sk-live-0123456789abcdef", "sk-live-0123456789abcdef Bearer",
    ])
    func malformedCredentialsAreNeverEchoed(_ value: String) throws {
        let compiled = try Fixtures.compile(Self.policy)
        let decision = Evaluator(policy: compiled).decide(
            APIRequest(method: "GET", target: "/x", headers: [(name: "Authorization", value: value)]), identity: nil,
            now: .now)
        let evaluated = try #require(
            Evaluator(policy: compiled).begin(
                APIRequest(method: "GET", target: "/x", headers: [(name: "Authorization", value: value)]),
                verifier: UnverifiedCredentials(), now: .now
            ).decided)
        #expect(decision.status == 401)
        for text in [evaluated.reason, evaluated.challenge ?? "", JSONText.encode(evaluated)] {
            #expect(!text.contains("sk-live"), "\(text)")
        }
    }

    /// `access_token` in the query is refused whatever its spelling.
    @Test(arguments: [
        "/x?access_token=t", "/x?ACCESS_TOKEN=t", "/x?Access_Token=t", "/x?access%5Ftoken=t", "/x?%61ccess_token=t",
        "/x?a=1&access_token",
    ])
    func queryTokensAreRefusedInEverySpelling(_ target: String) throws {
        #expect(try RequestTarget.parse(target).get().hasAccessToken, "\(target)")
    }

    @Test func otherQueryParametersAreNotTokens() throws {
        #expect(!(try RequestTarget.parse("/x?access_tokens=t&my_access_token=1").get().hasAccessToken))
    }

    /// Plain `http://` is accepted only for a loopback address or exactly `localhost`.
    @Test(arguments: [
        ("http://127.attacker.example", false), ("http://localhost.attacker.example", false),
        ("http://127.0.0.1.nip.io", false), ("http://127.0.0.1:9400", true), ("http://127.9.9.9", true),
        ("http://localhost:8080/realms/x", true), ("http://[::1]:9400", true), ("http://[::2]", false),
    ])
    func plainHTTPOnlyForLoopback(_ issuer: String, _ accepted: Bool) {
        let result = Fixtures.check(
            "version: 1\nproviders:\n  p:\n    kind: oidc\n    issuer: \(issuer)\n    audiences: [a]\nrules: []\n")
        #expect((result.policy != nil) == accepted, "\(issuer): \(result.diagnostics.map(\.message))")
    }

    /// `check.inline-secret` shows where the secret is, never the secret.
    @Test func inlineSecretsAreRedactedInExcerpts() throws {
        let path = "Tests/GatehouseTests/Fixtures/check/inline-secret.yaml"
        let source = SourceFile(name: path, text: try Fixtures.text(path))
        let result = PolicyChecker.check(source)
        for format in [DiagnosticRenderer.Format.text, .json, .github] {
            let rendered = DiagnosticRenderer(sources: [source]).render(result.diagnostics, as: format)
            #expect(!rendered.contains("s3cr3t"), "\(format): \(rendered)")
        }
    }
}
