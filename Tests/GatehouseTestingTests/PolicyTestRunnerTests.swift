import Foundation
import Gatehouse
import GatehouseTesting
import Testing

@Suite struct PolicyTestRunnerTests {
    static let policy = """
        version: 1
        name: t
        rules:
          - id: public
            match: { path: /public/** }
            allow: anyone
        """

    func run(_ cases: String) async throws -> [PolicyTestRunner.CaseResult] {
        let file = try PolicyTestFile.parse(SourceFile(name: "t.test.yaml", text: "policy: t.yaml\ncases:\n" + cases))
            .get()
        let checked = try #require(PolicyChecker.check(SourceFile(name: "t.yaml", text: Self.policy)).policy)
        return await PolicyTestRunner(policy: PolicyCompiler.compile(checked)).run(file, defaultNow: .now)
    }

    @Test func aPassingCaseHasNoMismatches() async throws {
        let results = try await run(
            """
              - name: public
                request: { method: GET, path: /public/x }
                expect: { decision: allow, status: 200, code: rule.allow, rule: public }
            """)
        #expect(results.map(\.passed) == [true])
    }

    @Test func aFailingCaseListsEachMismatchedField() async throws {
        let results = try await run(
            """
              - name: wrong
                request: { method: GET, path: /private }
                expect: { decision: allow, status: 200, code: rule.allow, rule: public, username: bob }
            """)
        #expect(
            results.first?.mismatches == [
                "decision: expected `allow`, got `deny`",
                "status: expected `200`, got `403`",
                "code: expected `rule.allow`, got `default.deny`",
                "rule: expected `public`, got `(none)`",
                "username: expected `bob`, got `(none)`",
            ])
        #expect(results.first?.decision.trace?.last?.rule == "default")
    }

    @Test func badFilesGiveLocatedErrors() throws {
        let source = SourceFile(
            name: "bad.test.yaml",
            text: """
                policy: t.yaml
                cases:
                  - name: typo
                    request: { method: GET, path: /x }
                    expect: { decison: allow, status: 299 }
                """)
        guard case .failure(let list) = PolicyTestFile.parse(source) else {
            Issue.record("a bad test file was accepted")
            return
        }
        #expect(list.diagnostics.map(\.code) == ["check.unknown-key", "check.invalid-value"])
        #expect(list.diagnostics.map { $0.location?.line } == [5, 5])
        #expect(list.diagnostics.first?.help == "did you mean `decision`?")
    }

    @Test func thePolicyPathIsResolvedBesideTheTestFile() throws {
        let file = try PolicyTestFile.parse(
            SourceFile(name: "policies/x.test.yaml", text: "policy: x.yaml\ncases: []\n")
        ).get()
        #expect(file.policy == "policies/x.yaml")
    }
}

extension PolicyTestRunnerTests {
    static let signedPolicy = """
        version: 1
        name: s
        providers:
          idp: { kind: oidc, issuer: "https://idp.test", audiences: [api], algorithms: [RS256, ES256, EdDSA] }
        rules:
          - id: api
            match: { path: /api/** }
            require: { scopes: [read] }
        """

    static var keys: String {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("policies/testdata/signing-keys.jwks.json").path
    }

    func runSigned(kid: String, claims: String) async throws -> Decision {
        let text = """
            policy: s.yaml
            now: 2026-11-29T08:00:00Z
            cases:
              - name: signed
                request: { method: GET, path: /api/x }
                identity: { signed: { provider: idp, jwks: "\(Self.keys)", kid: \(kid), claims: \(claims) } }
                expect: { decision: allow }
            """
        let file = try PolicyTestFile.parse(SourceFile(name: "s.test.yaml", text: text)).get()
        let checked = try #require(PolicyChecker.check(SourceFile(name: "s.yaml", text: Self.signedPolicy)).policy)
        let runner = PolicyTestRunner(policy: PolicyCompiler.compile(checked))
        #expect(runner.problems(in: file).isEmpty)
        return try #require(await runner.run(file, defaultNow: .now).first).decision
    }

    /// Every supported key type signs a token that verifies; the claims decide the rest.
    @Test(arguments: ["test-rs256", "test-es256", "test-eddsa"])
    func signedTokensVerifyForReal(_ kid: String) async throws {
        let decision = try await runSigned(kid: kid, claims: "{ sub: ann, scope: read }")
        #expect((decision.outcome, decision.code, decision.identity?.username) == (.allow, .ruleAllow, "ann"))
        #expect(decision.simulated != true)
    }

    @Test func signedTokensAreCheckedLikeAnyOther() async throws {
        #expect(
            try await runSigned(kid: "test-es256", claims: "{ sub: ann, scope: read, aud: other }").code
                == .tokenAudience)
        #expect(
            try await runSigned(kid: "test-es256", claims: "{ sub: ann, scope: read, exp: 1 }").code == .tokenExpired)
        #expect(try await runSigned(kid: "test-es256", claims: "{ sub: ann }").code == .requireScope)
    }

    @Test func anUnknownKeyIsAProblemOfTheFile() throws {
        let text = """
            policy: s.yaml
            cases:
              - name: signed
                request: { method: GET, path: /api/x }
                identity: { signed: { provider: nope, jwks: "\(Self.keys)", kid: missing } }
                expect: { decision: allow, rule: apii }
            """
        let file = try PolicyTestFile.parse(SourceFile(name: "s.test.yaml", text: text)).get()
        let checked = try #require(PolicyChecker.check(SourceFile(name: "s.yaml", text: Self.signedPolicy)).policy)
        let problems = PolicyTestRunner(policy: PolicyCompiler.compile(checked)).problems(in: file)
        #expect(problems.map(\.code) == ["test.unknown-rule", "test.unknown-provider", "test.unknown-key"])
        #expect(problems.first?.location?.line == 6)
    }
}
