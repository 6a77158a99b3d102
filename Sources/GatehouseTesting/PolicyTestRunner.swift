import Foundation
import Gatehouse

/// Runs the cases of a ``PolicyTestFile`` against its policy.
public struct PolicyTestRunner: Sendable {
    /// The outcome of one case.
    public struct CaseResult: Sendable {
        /// The case.
        public let testCase: PolicyTestFile.Case
        /// The decision it got, with its trace.
        public let decision: Decision
        /// One line per expected field that differs: `code: expected X, got Y`.
        public let mismatches: [String]

        /// Whether the decision met every expectation.
        public var passed: Bool { mismatches.isEmpty }
    }

    let policy: CompiledPolicy
    let verifier: any CredentialVerifier

    /// Creates a runner for `policy`; credentials in requests go to `verifier`.
    public init(policy: CompiledPolicy, verifier: any CredentialVerifier = UnverifiedCredentials()) {
        self.policy = policy
        self.verifier = verifier
    }

    /// Runs every case of `file`; cases without `now` in the file run at `defaultNow`.
    public func run(_ file: PolicyTestFile, defaultNow: Date) async -> [CaseResult] {
        let evaluator = Evaluator(policy: policy)
        var results: [CaseResult] = []
        for testCase in file.cases {
            let decision = await evaluator.evaluate(
                testCase.request, caller: testCase.caller, verifier: verifier, now: file.now ?? defaultNow,
                explain: true)
            results.append(
                CaseResult(testCase: testCase, decision: decision, mismatches: Self.compare(testCase.expect, decision)))
        }
        return results
    }

    static func compare(_ expect: PolicyTestFile.Expectation, _ decision: Decision) -> [String] {
        var mismatches: [String] = []
        func check(_ field: String, _ expected: String?, _ actual: String?) {
            guard let expected, expected != actual else { return }
            mismatches.append("\(field): expected `\(expected)`, got `\(actual ?? "(none)")`")
        }
        check("decision", expect.decision?.rawValue, decision.decision.rawValue)
        check("status", expect.status.map(String.init), String(decision.status))
        check("code", expect.code, decision.code)
        if let rule = expect.rule, rule != decision.rule {
            mismatches.append("rule: expected `\(rule ?? "(none)")`, got `\(decision.rule ?? "(none)")`")
        }
        check("username", expect.username, decision.identity?.username)
        check("challenge", expect.challenge, decision.challenge)
        for (name, value) in (expect.headers ?? [:]).sorted(by: { $0.key < $1.key }) {
            check("header \(name)", value, decision.headers[name])
        }
        return mismatches
    }
}
