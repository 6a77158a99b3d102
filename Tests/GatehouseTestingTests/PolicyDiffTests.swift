import Foundation
import Gatehouse
import Testing

@testable import GatehouseTesting

@Suite struct PolicyDiffTests {
    static func policy(_ rules: String, defaultAction: String = "deny") throws -> CompiledPolicy {
        let text = "version: 1\nname: d\nrules:\n" + rules + "default: \(defaultAction)\n"
        return try PolicyLoader.load(SourceFile(name: "d.yaml", text: text), files: InMemoryFiles([:])).usable().get()
    }

    /// The fields every decision-log line has, for decision `id`.
    static func logged(_ id: String, code: String = "rule.allow", status: Int = 200) -> String {
        #""decision_id": "\#(String(repeating: "0", count: 15) + id)", "time": "2026-12-01T10:00:00Z", "gateway": "nginx", "policy": "0123456789ab", "code": "\#(code)", "status": \#(status), "latency_us": 9"#
    }

    static func rule(_ id: String, _ path: String, _ action: String = "require: authenticated") -> String {
        "  - id: \(id)\n    match: { path: \"\(path)\" }\n    \(action)\n"
    }

    @Test func identicalPoliciesHaveNoChanges() throws {
        let rules = Self.rule("a", "/a/**") + Self.rule("b", "/b/**")
        #expect(
            PolicyDiff.ruleChanges(try Self.policy(rules).policy.rules, try Self.policy(rules).policy.rules).isEmpty)
    }

    /// Swapping two neighbours moves one rule, not both; the rest keep their order.
    @Test func aSwapIsOneMove() throws {
        let old = try Self.policy(
            Self.rule("a", "/a/**") + Self.rule("b", "/b/**") + Self.rule("c", "/c/**") + Self.rule("d", "/d/**"))
        let new = try Self.policy(
            Self.rule("b", "/b/**") + Self.rule("a", "/a/**") + Self.rule("c", "/c/**") + Self.rule("d", "/d/**"))
        let changes = PolicyDiff.ruleChanges(old.policy.rules, new.policy.rules)
        #expect(changes.map(\.kind) == ["moved"])
        #expect(["a", "b"].contains(changes.first?.subject ?? ""))
    }

    @Test func addedRemovedAndChangedRulesAreNamed() throws {
        let old = try Self.policy(Self.rule("a", "/a/**") + Self.rule("gone", "/gone"))
        let new = try Self.policy(
            Self.rule("a", "/a/**", "require: { scopes: [x] }") + Self.rule("fresh", "/fresh", "allow: anyone"))
        let changes = PolicyDiff.ruleChanges(old.policy.rules, new.policy.rules)
        #expect(changes.map { "\($0.kind) \($0.subject)" } == ["added fresh", "removed gone", "changed a"])
        #expect(changes[2].detail == "/a/**: require authenticated -> /a/**: require scopes x")
    }

    @Test func settingsAreCompared() async throws {
        let rules = Self.rule("a", "/a/**")
        let diff = await PolicyDiff.compare(
            old: try Self.policy(rules), new: try Self.policy(rules, defaultAction: "authenticated"),
            oldDiagnostics: [], newDiagnostics: [])
        #expect(diff.changes.map { "\($0.subject): \($0.detail)" } == ["default: deny -> authenticated"])
        #expect(!diff.isEmpty)
    }

    /// Each request decided under both versions; only those decided differently are grouped.
    @Test func trafficIsGroupedByRulesAndOutcomes() async throws {
        let old = try Self.policy(Self.rule("a", "/a/**") + Self.rule("open", "/open/**", "allow: anyone"))
        let new = try Self.policy(
            Self.rule("a", "/a/**", "require: { groups: [staff] }") + Self.rule("open", "/open/**", "allow: anyone"))
        let requests = try TrafficFile.parse(
            """
            {"method": "GET", "path": "/open/x"}
            {\(Self.logged("1")), "method": "GET", "path": "/a/1", "username": "ann", "scheme": "bearer", "groups": ["staff"]}
            {\(Self.logged("2")), "method": "GET", "path": "/a/2", "username": "bob", "scheme": "bearer", "groups": []}
            {\(Self.logged("3")), "method": "GET", "path": "/a/3", "username": "cy", "scheme": "bearer"}
            {\(Self.logged("4", code: "request.invalid-target", status: 400)), "method": "GET"}
            """, name: "t.jsonl")
        let traffic = try #require(
            await PolicyDiff.compare(
                old: old, new: new, oldDiagnostics: [], newDiagnostics: [], requests: requests, now: .now
            ).traffic)
        #expect((traffic.requests, traffic.changed, traffic.skipped) == (4, 2, 1))
        #expect(traffic.groups.count == 1)
        #expect(traffic.groups.first?.old == "allow 200 rule.allow")
        #expect(traffic.groups.first?.new == "deny 403 require.group")
        #expect(traffic.groups.first?.examples == ["GET /a/2 as bob", "GET /a/3 as cy"])
    }

    /// A shadow rollout's line repeats a logged decision; replaying it would count it twice.
    @Test func shadowLinesAreNotReplayed() throws {
        let shadow =
            #", "candidate_code": "rule.deny", "candidate_revision": "r2", "candidate_rule": "a", "candidate_status": 403"#
        let requests = try TrafficFile.parse(
            """
            {\(Self.logged("1")), "method": "GET", "path": "/a/1", "revision": "r1"}
            {\(Self.logged("1")), "method": "GET", "path": "/a/1", "revision": "r1"\(shadow)}
            {\(Self.logged("2")), "method": "GET", "path": "/a/2", "revision": "r1"}
            """, name: "t.jsonl")
        #expect(requests.map(\.request?.target) == ["/a/1", "/a/2"])
        #expect(throws: TrafficFile.Problem.self) {
            try TrafficFile.parse(#"{\#(Self.logged("1")), "candidate_code": "rule.deny"}"#, name: "t.jsonl")
        }
    }

    @Test func badTrafficLinesNameTheirFileAndLine() {
        #expect(throws: TrafficFile.Problem.self) { try TrafficFile.parse("{}\nnot json\n", name: "t.jsonl") }
        do {
            _ = try TrafficFile.parse(#"{"method": "GET", "path": "/x"}"# + "\n[1]\n", name: "t.jsonl")
            Issue.record("a JSON array was accepted as a request")
        } catch {
            #expect(error.description == "t.jsonl:2: not a JSON object (a request, or a line of the decision log)")
        }
        do {
            _ = try TrafficFile.parse(
                #"{\#(Self.logged("1")), "method": "GET", "path": "/x", "username": "u"}"#, name: "l")
            Issue.record("a logged caller without a scheme was accepted")
        } catch {
            #expect(error.description.hasPrefix("l:1: a decision-log line with a username but no `scheme`"))
        }
    }

    /// The log holds decoded paths; they become targets again, encoded.
    @Test func loggedPathsAreEncodedAgain() {
        #expect(TrafficFile.encode("/a b/ü/x@y:z") == "/a%20b/%C3%BC/x@y:z")
    }

    @Test func findingTestFiles() throws {
        #expect(throws: PolicyTestSuite.NotFound.self) { try PolicyTestSuite.find(["/no/such/folder"]) }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().path
        let found = try PolicyTestSuite.find([root + "/policies"])
        #expect(found.map { URL(fileURLWithPath: $0).lastPathComponent }.contains("confluence-okta.test.yaml"))
        #expect(found.allSatisfy { $0.hasSuffix(".test.yaml") })
    }
}
