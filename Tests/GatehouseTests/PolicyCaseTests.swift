import Foundation
import Gatehouse
import GatehouseTesting
import Testing

/// Runs the YAML case files (the `gatehouse test` format): the engine's own cases and the test
/// file of every shipped policy. Each case pins decision, status, code, rule and username.
@Suite struct PolicyCaseTests {
    static let files = Fixtures.files(in: "cases", suffix: ".test.yaml") + shippedPolicyTests()

    static func shippedPolicyTests() -> [String] {
        let names =
            (try? FileManager.default.contentsOfDirectory(atPath: Fixtures.root.appendingPathComponent("policies").path))
            ?? []
        return names.filter { $0.hasSuffix(".test.yaml") }.sorted().map { "policies/\($0)" }
    }

    @Test func everyShippedPolicyHasATestFile() throws {
        let names = try FileManager.default.contentsOfDirectory(
            atPath: Fixtures.root.appendingPathComponent("policies").path)
        let policies = names.filter { $0.hasSuffix(".yaml") && !$0.hasSuffix(".test.yaml") }
        #expect(policies.count >= 3)
        for policy in policies {
            #expect(
                names.contains(policy.replacingOccurrences(of: ".yaml", with: ".test.yaml")),
                "\(policy) has no test file")
        }
    }

    @Test(arguments: files)
    func casesPass(_ path: String) async throws {
        let (file, policy) = try Self.load(path)
        #expect(!file.cases.isEmpty)
        for result in await PolicyTestRunner(policy: policy).run(
            file, defaultNow: Date(timeIntervalSince1970: 1_800_000_000))
        {
            #expect(
                result.passed,
                "\(result.testCase.location) \(result.testCase.name): \(result.mismatches.joined(separator: "; "))")
        }
    }

    /// A shipped policy's cases exercise every one of its rules.
    @Test(arguments: shippedPolicyTests())
    func casesCoverEveryRule(_ path: String) async throws {
        let (file, policy) = try Self.load(path)
        let decided = Set(
            await PolicyTestRunner(policy: policy).run(file, defaultNow: .now).compactMap(\.decision.rule))
        let unexercised = policy.rules.map(\.rule.id).filter { !decided.contains($0) }
        #expect(unexercised.isEmpty, "\(path): no case reaches \(unexercised)")
    }

    static func load(_ path: String) throws -> (PolicyTestFile, CompiledPolicy) {
        let source = SourceFile(name: path, text: try Fixtures.text(path))
        let file = try PolicyTestFile.parse(source).get()
        return (file, try Fixtures.compile(try Fixtures.text(file.policy)))
    }
}
