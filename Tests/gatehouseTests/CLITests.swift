import Foundation
import Testing

#if canImport(FoundationXML)
    import FoundationXML
#endif

/// Runs the built binary and compares stdout with golden files and the exit code with DESIGN §4.
/// Re-record the golden files with `GATEHOUSE_RECORD=1 swift test`. JSON decisions are also
/// written to `GATEHOUSE_DECISIONS_DIR`, when set, for the schema check.
@Suite struct CLITests {
    struct Case: CustomStringConvertible, Sendable {
        let name: String
        let arguments: [String]
        let status: Int32
        var stdin: String? = nil
        var description: String { name }
    }

    static let okta = "policies/confluence-okta.yaml"
    static let testFiles = "Tests/gatehouseTests/TestFiles"
    static let diffFiles = "Tests/gatehouseTests/Diff"
    static let change = "docs/examples/policy-change"
    static let page = "/confluence/rest/api/content/123"
    static let alice = #"{"sub":"00u1a2b3c","preferred_username":"alice@example.com","scp":["content:read"]}"#

    static let cases: [Case] = [
        Case(name: "check-clean", arguments: ["check", okta], status: 0),
        Case(
            name: "check-several", arguments: ["check", "policies/jira-keycloak.yaml", "policies/multi-provider.yaml"],
            status: 0),
        Case(
            name: "check-errors", arguments: ["check", "Tests/GatehouseTests/Fixtures/check/invalid-path.yaml"],
            status: 1),
        Case(
            name: "check-warning", arguments: ["check", "Tests/GatehouseTests/Fixtures/check/shadowed-rule.yaml"],
            status: 1),
        Case(
            name: "check-json",
            arguments: ["check", "--format", "json", "Tests/GatehouseTests/Fixtures/check/unknown-key.yaml"], status: 1),
        Case(
            name: "check-github",
            arguments: ["check", "--format", "github", "Tests/GatehouseTests/Fixtures/check/bad-algorithm.yaml"],
            status: 1),
        Case(
            name: "check-show-providers", arguments: ["check", "--show-providers", "policies/multi-provider.yaml"],
            status: 0),
        Case(
            name: "check-show-providers-json", arguments: ["check", "--show-providers", "--format", "json", okta],
            status: 0),
        Case(name: "check-missing-file", arguments: ["check", "policies/nope.yaml"], status: 65),
        Case(
            name: "check-gateway-config-nginx",
            arguments: [
                "check", "--gateway-config", "nginx", "Tests/GatehouseTests/Fixtures/check/gateway-header.yaml",
            ],
            status: 1),
        Case(
            name: "check-gateway-config-caddy",
            arguments: ["check", "--gateway-config", "caddy", "Tests/gateways/policy.yaml"],
            status: 0),
        Case(
            name: "check-gateway-config-ingress-nginx",
            arguments: ["check", "--gateway-config", "ingress-nginx", "Tests/gateways/policy.yaml"],
            status: 0),
        Case(name: "test-policies", arguments: ["test", "--coverage", "policies"], status: 0),
        Case(name: "test-failing", arguments: ["test", "\(testFiles)/failing.test.yaml"], status: 1),
        Case(
            name: "test-failing-json", arguments: ["test", "--format", "json", "\(testFiles)/failing.test.yaml"],
            status: 1),
        Case(
            name: "test-failing-junit", arguments: ["test", "--format", "junit", "\(testFiles)/failing.test.yaml"],
            status: 1),
        Case(name: "test-missing-policy", arguments: ["test", "\(testFiles)/missing-policy.test.yaml"], status: 65),
        Case(name: "test-unknown-rule", arguments: ["test", "\(testFiles)/unknown-rule.test.yaml"], status: 65),
        Case(
            name: "test-coverage-under",
            arguments: ["test", "--coverage", "--min-coverage", "50", "\(testFiles)/partial.test.yaml"], status: 1),
        Case(
            name: "test-coverage-junit",
            arguments: ["test", "--coverage", "--format", "junit", "\(testFiles)/partial.test.yaml"], status: 1),
        Case(name: "test-no-files", arguments: ["test", "gateways"], status: 65),
        Case(name: "test-usage", arguments: ["test", "--min-coverage", "120", "policies"], status: 64),
        Case(name: "diff-static", arguments: ["diff", okta, "\(change)/confluence-okta.yaml"], status: 1),
        Case(
            name: "diff-traffic",
            arguments: [
                "diff", okta, "\(change)/confluence-okta.yaml", "--requests", "\(change)/decisions.jsonl",
                "--now", "2026-11-29T08:00:00Z",
            ], status: 1),
        Case(
            name: "diff-traffic-json",
            arguments: [
                "diff", okta, "\(change)/confluence-okta.yaml", "--requests", "\(change)/decisions.jsonl",
                "--now", "2026-11-29T08:00:00Z", "--format", "json",
            ], status: 1),
        Case(
            name: "diff-unchanged-from-git",
            arguments: [
                "diff", "HEAD:\(okta)", okta, "--requests", "\(change)/decisions.jsonl", "--now",
                "2026-11-29T08:00:00Z",
            ], status: 0),
        Case(
            name: "diff-malformed-requests",
            arguments: ["diff", okta, okta, "--requests", "\(diffFiles)/malformed.jsonl"], status: 65),
        Case(name: "diff-bad-revision", arguments: ["diff", "no-such-revision:\(okta)", okta], status: 65),
        Case(
            name: "diff-broken-policy",
            arguments: ["diff", okta, "Tests/GatehouseTests/Fixtures/check/unknown-key.yaml"], status: 65),
        Case(name: "diff-usage", arguments: ["diff", okta], status: 64),
        Case(name: "check-usage", arguments: ["check", "--format", "xml", okta], status: 64),
        Case(
            name: "evaluate-allow",
            arguments: ["evaluate", okta, "--path", page, "--provider", "okta", "--claims", alice], status: 0),
        Case(
            name: "evaluate-allow-json",
            arguments: ["evaluate", okta, "--path", page, "--provider", "okta", "--claims", alice, "--format", "json"],
            status: 0),
        Case(
            name: "evaluate-explain",
            arguments: [
                "evaluate", okta, "--method", "DELETE", "--path", "/confluence/rest/api/space/ENG", "--provider",
                "okta", "--claims", alice, "--explain",
            ], status: 1),
        Case(
            name: "evaluate-explain-json",
            arguments: ["evaluate", okta, "--path", "/confluence/admin", "--explain", "--format", "json"], status: 1),
        Case(
            name: "evaluate-no-token-json", arguments: ["evaluate", okta, "--path", page, "--format", "json"], status: 1
        ),
        Case(
            name: "evaluate-basic-json",
            arguments: [
                "evaluate", okta, "--request", "Tests/gatehouseTests/Requests/basic-auth.yaml", "--format", "json",
            ], status: 1),
        Case(
            name: "evaluate-request-file",
            arguments: ["evaluate", okta, "--request", "Tests/gatehouseTests/Requests/read-page.json"], status: 0),
        Case(
            name: "evaluate-stdin-json", arguments: ["evaluate", okta, "--request", "-", "--format", "json"], status: 1,
            stdin: #"{"method": "GET", "path": "/confluence/rest/api/%2e%2e/admin"}"#),
        Case(
            name: "evaluate-unknown-issuer-json",
            arguments: [
                "evaluate", okta, "--path", page, "--header", "Authorization: Bearer eyJhbGciOiJSUzI1NiJ9.e30.c2ln",
                "--format", "json",
            ], status: 1),
        Case(
            name: "evaluate-api-token-expired-json",
            arguments: [
                "evaluate", "policies/multi-provider.yaml", "--method", "POST", "--path", "/v1/deployments/web",
                "--api-token", "ci-deploy", "--now", "2027-07-01T00:00:00Z", "--format", "json",
            ], status: 1),
        Case(
            name: "evaluate-api-token",
            arguments: [
                "evaluate", "policies/multi-provider.yaml", "--method", "POST", "--path", "/v1/deployments/web",
                "--api-token", "ci-deploy", "--now", "2026-11-29T08:00:00Z",
            ], status: 0),
        Case(
            name: "evaluate-unknown-provider", arguments: ["evaluate", okta, "--path", page, "--provider", "oktaa"],
            status: 64),
        Case(name: "evaluate-usage", arguments: ["evaluate", okta], status: 64),
        Case(
            name: "evaluate-bad-claims",
            arguments: ["evaluate", okta, "--path", page, "--provider", "okta", "--claims", "[1]"], status: 64),
        Case(
            name: "evaluate-broken-policy",
            arguments: ["evaluate", "Tests/GatehouseTests/Fixtures/check/unknown-key.yaml", "--path", "/"], status: 65),
        Case(
            name: "evaluate-malformed-request",
            arguments: ["evaluate", okta, "--request", "Tests/gatehouseTests/Requests/malformed.yaml"], status: 65),
    ]

    @Test(arguments: cases)
    func command(_ testCase: Case) throws {
        let output = try CLI.run(testCase.arguments, stdin: testCase.stdin)
        #expect(output.status == testCase.status, "stderr: \(output.stderr)")
        let recorded = output.stdout + (output.stderr.isEmpty ? "" : "--- stderr\n" + output.stderr)
        let golden = CLI.root.appendingPathComponent("Tests/gatehouseTests/Golden/\(testCase.name).txt")
        if ProcessInfo.processInfo.environment["GATEHOUSE_RECORD"] == "1" {
            try recorded.write(to: golden, atomically: true, encoding: .utf8)
        }
        #expect(recorded == (try String(contentsOf: golden, encoding: .utf8)))
        if testCase.name.hasSuffix("-json"), testCase.arguments.first == "evaluate",
            let folder = ProcessInfo.processInfo.environment["GATEHOUSE_DECISIONS_DIR"]
        {
            try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
            try output.stdout.write(toFile: "\(folder)/\(testCase.name).json", atomically: true, encoding: .utf8)
        }
    }

    @Test(arguments: ["check", "test", "diff", "evaluate", "whoami", "token", "serve"])
    func helpShowsAnExample(_ command: String) throws {
        let output = try CLI.run([command, "--help"])
        #expect(output.status == 0)
        #expect(output.stdout.contains("Example:\n  gatehouse \(command) policies/"))
    }

    /// The JUnit report is XML a CI system can read: suites, cases, and the failure with its trace.
    @Test func junitReportIsWellFormed() throws {
        let output = try CLI.run(["test", "--format", "junit", "\(Self.testFiles)/failing.test.yaml"])
        #expect(output.status == 1)
        let document = try XMLDocument(xmlString: output.stdout)
        #expect(document.rootElement()?.name == "testsuites")
        #expect(document.rootElement()?.attribute(forName: "failures")?.stringValue == "1")
        #expect(try document.nodes(forXPath: "//testsuite/testcase").count == 2)
        let failure = try document.nodes(forXPath: "//testcase/failure").first
        #expect(failure?.stringValue?.contains("matched  delete-space") == true)
    }

    @Test func decisionsNeverEchoCredentials() throws {
        let secret = "c3VwZXItc2VjcmV0LXRva2VuLXZhbHVl"
        for format in ["text", "json"] {
            let output = try CLI.run([
                "evaluate", Self.okta, "--path", Self.page, "--header", "Authorization: Bearer \(secret)",
                "--explain", "--format", format,
            ])
            #expect(output.status == 1)
            #expect(!output.stdout.contains(secret) && !output.stderr.contains(secret))
        }
    }
}
