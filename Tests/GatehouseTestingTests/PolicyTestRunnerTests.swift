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
