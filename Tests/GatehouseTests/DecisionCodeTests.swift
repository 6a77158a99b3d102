import Foundation
import Testing

@testable import Gatehouse

/// Decision codes are declared once (``DecisionCode``); the schema's enum and the reference table
/// in docs/policy.md say exactly the same, and no source compares a code as text.
@Suite struct DecisionCodeTests {
    @Test func everyCodeHasAStatusAndAnOutcome() {
        for code in DecisionCode.allCases {
            #expect([200, 400, 401, 403, 503].contains(code.status), "\(code)")
            #expect((code.outcome == .allow) == (code.status == 200), "\(code)")
            #expect(!code.isInvalidToken || code.status == 401, "\(code)")
            #expect(!code.meaning.isEmpty)
        }
    }

    @Test func theDecisionSchemaListsExactlyTheCodes() throws {
        let data = try #require(
            FileManager.default.contents(atPath: Fixtures.root.path + "/schemas/decision.schema.json"))
        let schema = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let defs = try #require(schema["$defs"] as? [String: Any])
        let code = try #require(defs["code"] as? [String: Any])
        #expect(code["enum"] as? [String] == DecisionCode.allCases.map(\.rawValue))
    }

    /// docs/policy.md's table under "## Decisions": one row per code, `| `code` | status | meaning |`.
    @Test func thePolicyReferenceTablesExactlyTheCodes() throws {
        let text = try Fixtures.text("docs/policy.md")
        let section = try #require(text.components(separatedBy: "\n## Decisions\n").dropFirst().first)
        let rows = section.split(separator: "\n").prefix { !$0.hasPrefix("## ") }.filter { $0.hasPrefix("| `") }
        let documented = rows.map { row in
            row.split(separator: "|").map { $0.trimmingCharacters(in: .whitespaces) }
        }
        let declared = DecisionCode.allCases.map { ["`\($0.rawValue)`", String($0.status), $0.meaning] }
        #expect(documented == declared)
    }

    /// No source compares a decision code as text or by its prefix.
    @Test func noSourceBranchesOnACodesText() throws {
        let families = "(rule|default|request|credentials|scheme|token|require|provider|simulation)"
        let patterns = [
            try Regex(#"code(\.rawValue)? == ""#), try Regex(#"hasPrefix\("\#(families)\."#),
            try Regex(#"== "\#(families)\.[a-z-]+""#),
        ]
        let sources = FileManager.default.enumerator(atPath: Fixtures.root.path + "/Sources")?.allObjects as? [String]
        var offending: [String] = []
        for file in sources ?? [] where file.hasSuffix(".swift") {
            let text = try Fixtures.text("Sources/" + file)
            for (number, line) in text.split(separator: "\n").enumerated()
            where patterns.contains(where: { line.contains($0) }) {
                offending.append("Sources/\(file):\(number + 1): \(line)")
            }
        }
        #expect(offending == [])
    }

    /// The engine reads no file itself: its inputs come through a ``FileAccess``.
    @Test func theEngineReadsNoFile() throws {
        let sources = FileManager.default.enumerator(atPath: Fixtures.root.path + "/Sources/Gatehouse")?.allObjects
        var offending: [String] = []
        for file in sources as? [String] ?? [] where file.hasSuffix(".swift") {
            let text = try Fixtures.text("Sources/Gatehouse/" + file)
            for word in ["FileManager", "FileHandle", "fopen(", "contentsOfFile", "contentsOf:"]
            where text.contains(word) {
                offending.append("\(file): \(word)")
            }
        }
        #expect(offending == [])
    }
}

/// The one loader: a policy and the files it names come through the ``FileAccess`` given.
@Suite struct PolicyLoaderTests {
    static let policy = """
        version: 1
        basic:
          htpasswd: users.htpasswd
        schemes: [basic]
        rules:
          - id: all
            match: { path: /** }
            require: authenticated
        """

    @Test func theFilesAPolicyNamesAreReadThroughItsFileAccess() throws {
        let files = InMemoryFiles([
            "conf/policy.yaml": Self.policy,
            "conf/users.htpasswd": "legacy:$2b$04$abcdefghijklmnopqrstuuzWXr.po7nfCYH1wq50YeRlcMgvcOYGe\n",
        ])
        let loaded = PolicyLoader.load("conf/policy.yaml", files: files)
        #expect(loaded.failure == nil)
        #expect(loaded.sources.map(\.name) == ["conf/policy.yaml", "conf/users.htpasswd"])
        #expect(loaded.compiled?.policy.basicUsers.map(\.username) == ["legacy"])
    }

    @Test func aPolicyThatCannotBeUsedSaysWhyTheSameWayEverywhere() {
        let missing = PolicyLoader.load("nowhere.yaml", files: InMemoryFiles([:]))
        #expect(missing.failure == "error: nowhere.yaml: no such file\n")
        let unnamed = PolicyLoader.load("p.yaml", files: InMemoryFiles(["p.yaml": Self.policy]))
        #expect(unnamed.compiled == nil)
        #expect(
            unnamed.failure == """
                p.yaml:3:13: error[check.invalid-value]: the htpasswd file `users.htpasswd` cannot be read
                  |
                3 |   htpasswd: users.htpasswd
                  |             ^
                p.yaml:4:1: warning[check.no-basic-users]: the `basic` scheme is allowed but no Basic users are defined
                  |
                4 | schemes: [basic]
                  | ^
                error: p.yaml has errors; fix them first (`gatehouse check p.yaml`)

                """)
    }
}

/// The decision log's line is one type: what serve writes, diff reads back.
@Suite struct DecisionLogLineTests {
    static let line = DecisionLogLine(
        time: "2026-12-01T10:00:00Z", decisionID: "00112233445566ff", gateway: "nginx", policy: "0123456789ab",
        method: "POST", path: "/a\"b\\c/d\u{01}\n\té😀", rule: "r", code: .requireScope, status: 403, engineStatus: nil,
        username: "ann", provider: "okta", scheme: "bearer", groups: ["a", "b\"c"], scopes: [], token: "abcdefabcdef",
        latencyMicroseconds: 17)

    @Test func whatIsWrittenIsReadBack() throws {
        let text = Self.line.encoded
        #expect(text.hasSuffix("}\n"))
        #expect(try DecisionLogLine.parse(text) == Self.line)
        var mapped = Self.line
        mapped.status = 403
        mapped.engineStatus = 400
        mapped.code = .requestInvalidTarget
        #expect(try DecisionLogLine.parse(mapped.encoded) == mapped)
        let object = try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]
        #expect(object?["path"] as? String == Self.line.path)
        #expect(object?["engine_status"] == nil)
    }

    @Test(arguments: [
        (#"{"code":"rule.allow"}"#, "a decision-log line without `status`"),
        (#"[1]"#, "not a JSON object"),
        (
            #"{"code":"rule.maybe","time":"t","decision_id":"i","gateway":"g","policy":"p","status":200}"#,
            "`rule.maybe` is not a decision code"
        ),
        (
            #"{"code":"rule.allow","time":"t","decision_id":"i","gateway":"g","policy":"p","status":"200"}"#,
            "`status` is not an integer"
        ),
    ])
    func malformedLinesSayWhy(_ text: String, _ problem: String) {
        #expect(throws: DecisionLogLine.Problem.self) { try DecisionLogLine.parse(text) }
        do {
            _ = try DecisionLogLine.parse(text)
        } catch {
            #expect(error.description == problem)
        }
    }
}
