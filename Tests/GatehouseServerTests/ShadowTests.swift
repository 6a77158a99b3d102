import Foundation
import Gatehouse
import GatehouseBundle
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import Testing

@testable import GatehouseIdentity
@testable import GatehouseServer

/// A shadow rollout: every request decided under a candidate too, never enforced; the
/// disagreements counted and logged with both decisions, and only they.
@Suite(.serialized) struct ShadowTests {
    static let policyText = try! String(
        contentsOf: ParityTests.root.appendingPathComponent("Tests/parity/policy.yaml"), encoding: .utf8)

    /// The parity policy with rule `legacy` (Basic on /legacy/**) replaced by `replacement`.
    static func candidate(_ replacement: String) -> String {
        let original = "    require: { schemes: [basic] }\n"
        precondition(policyText.contains("  - id: legacy\n    match: { path: /legacy/** }\n" + original))
        return policyText.replacingOccurrences(
            of: "  - id: legacy\n    match: { path: /legacy/** }\n" + original,
            with: "  - id: legacy\n    match: { path: /legacy/** }\n    \(replacement)\n")
    }

    static let basic = "Basic " + Data("legacy:legacy-pass".utf8).base64EncodedString()
    static let wrongBasic = "Basic " + Data("legacy:wrong".utf8).base64EncodedString()

    /// The requests sent: (nginx original path, Authorization), with whether rule `legacy`
    /// decides each.
    static let requests: [(path: String, authorization: String?, legacy: Bool)] = [
        ("/status", nil, false), ("/rest/x", "Bearer ci-token-123", false),
        ("/rest/admin/x", "Bearer ci-token-123", false),
        ("/legacy/a", basic, true), ("/rest/x", nil, false), ("/legacy/b", nil, true), ("/legacy/c", wrongBasic, true),
        ("/rest/x", basic, false), ("/legacy/d", basic, true), ("/nowhere", "Bearer ci-token-123", false),
    ]

    /// Sends ``requests`` through a live server with `candidate` as the shadow; returns the
    /// decision-log lines, the metrics, and the statuses the gateway got.
    static func run(candidate: String, name: String) async throws -> (
        lines: [[String: Any]], metrics: String, statuses: [Int]
    ) {
        let path = LedgerTests.logPath(name)
        try? FileManager.default.removeItem(atPath: path)
        let metrics = ServerMetrics()
        let active = ActivePolicy(
            try ActivePolicy.load(SourceFile(name: "active.yaml", text: policyText)).get(), metrics: metrics)
        let shadow = ActivePolicy(
            try ActivePolicy.load(SourceFile(name: "candidate.yaml", text: candidate)).get(), metrics: metrics,
            shadow: true)
        let setup = ServerSetup(policy: active, log: try DecisionLog(path: path), metrics: metrics, shadow: shadow)
        let app = DecisionServer.application(setup, address: .hostname("127.0.0.1", port: 0))
        let statuses = try await app.test(.live) { client in
            var statuses: [Int] = []
            for request in requests {
                var fields: [(String, String)] = [("X-Original-URI", request.path), ("X-Original-Method", "GET")]
                if let authorization = request.authorization { fields.append(("Authorization", authorization)) }
                let response = try await client.execute(
                    uri: "/v1/auth/nginx", method: .get, headers: GatewayEndpointTests.headers(fields))
                statuses.append(response.status.code)
            }
            return statuses
        }
        // A candidate verifying a credential finishes off the answer's path: wait for it.
        let deadline = ContinuousClock.now + .seconds(20)
        while ContinuousClock.now < deadline,
            !metrics.render().contains("gatehouse_shadow_decisions_total")
                || shadowDecided(metrics.render()) < requests.count
        {
            try await Task.sleep(for: .milliseconds(20))
        }
        return (try LedgerTests.lines(path), metrics.render(), statuses)
    }

    /// The requests the shadow decided so far.
    static func shadowDecided(_ exposition: String) -> Int {
        exposition.split(separator: "\n").filter { $0.hasPrefix("gatehouse_shadow_decisions_total{") }
            .compactMap { Int($0.split(separator: " ").last ?? "") }.reduce(0, +)
    }

    @Test func disagreementsAreExactlyTheRequestsTheChangedRuleDecides() async throws {
        let (lines, metrics, statuses) = try await Self.run(
            candidate: Self.candidate("deny: legacy Basic is retired"), name: "shadow-deny")
        // The active policy is enforced: the candidate changes no answer.
        #expect(statuses == [200, 200, 403, 200, 401, 401, 401, 401, 200, 403])
        let decisions = lines.filter { $0["candidate_code"] == nil }
        let shadowLines = lines.filter { $0["candidate_code"] != nil }
        #expect(decisions.count == Self.requests.count)
        let legacyPaths = Self.requests.filter(\.legacy).map(\.path)
        #expect(shadowLines.map { $0["path"] as? String }.sorted { ($0 ?? "") < ($1 ?? "") } == legacyPaths)
        let revision = try #require(decisions.first?["revision"] as? String)
        let candidateRevision = PolicyRevision.of([
            SourceFile(name: "candidate.yaml", text: Self.candidate("deny: legacy Basic is retired"))
        ])
        for line in shadowLines {
            // Both decisions on one line: the active's fields, and the candidate's.
            let decided = try #require(
                decisions.first { $0["decision_id"] as? String == line["decision_id"] as? String })
            #expect(line["code"] as? String == decided["code"] as? String)
            #expect(line["status"] as? Int == decided["status"] as? Int)
            #expect(line["rule"] as? String == "legacy")
            #expect(line["revision"] as? String == revision)
            #expect(line["candidate_rule"] as? String == "legacy")
            #expect(line["candidate_code"] as? String == "rule.deny")
            #expect(line["candidate_status"] as? Int == 403)
            #expect(line["candidate_revision"] as? String == candidateRevision)
        }
        for expected in [
            #"gatehouse_shadow_decisions_total{result="agree"} 6"#,
            #"gatehouse_shadow_decisions_total{result="disagree"} 4"#,
            #"gatehouse_shadow_disagreements_total{active_rule="legacy",candidate_rule="legacy",active="allow",candidate="deny"} 2"#,
            #"gatehouse_shadow_disagreements_total{active_rule="legacy",candidate_rule="legacy",active="deny",candidate="deny"} 2"#,
            #"gatehouse_shadow_policy_info{revision="\#(candidateRevision)"} 1"#,
        ] {
            #expect(metrics.contains(expected), "\(expected)")
        }
        #expect(
            metrics.split(separator: "\n").filter { $0.hasPrefix("gatehouse_shadow_disagreements_total{") }.count == 2)
    }

    /// A candidate that must verify Basic itself does so off the answer's path, and its
    /// disagreements are the same kind of line.
    @Test func aCandidateThatVerifiesCredentialsIsComparedToo() async throws {
        let (lines, metrics, statuses) = try await Self.run(
            candidate: Self.candidate("require: { schemes: [basic], scopes: [legacy] }"), name: "shadow-verify")
        #expect(statuses == [200, 200, 403, 200, 401, 401, 401, 401, 200, 403])
        let shadowLines = lines.filter { $0["candidate_code"] != nil }
        // Only verified Basic callers lack the scope; the unauthenticated are refused alike.
        #expect(
            shadowLines.map { $0["path"] as? String }.sorted { ($0 ?? "") < ($1 ?? "") } == ["/legacy/a", "/legacy/d"])
        #expect(
            shadowLines.allSatisfy {
                $0["candidate_code"] as? String == "require.scope" && $0["code"] as? String == "rule.allow"
            })
        #expect(metrics.contains(#"gatehouse_shadow_decisions_total{result="agree"} 8"#))
        #expect(
            metrics.contains(
                #"gatehouse_shadow_disagreements_total{active_rule="legacy",candidate_rule="legacy",active="allow",candidate="deny"} 2"#
            ))
    }
}
