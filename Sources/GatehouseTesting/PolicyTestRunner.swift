import Foundation
import Gatehouse
import GatehouseIdentity

/// Runs the cases of a ``PolicyTestFile`` against its policy.
///
/// Credentials a case sends are verified for real, offline: API tokens and Basic users against
/// the policy, tokens of `identity: { signed: … }` against the public half of their fixture key
/// set. Nothing is fetched from a provider, so a bearer token that no fixture key signed is refused
/// like a forged one.
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

    /// Creates a runner for `policy`.
    public init(policy: CompiledPolicy) {
        self.policy = policy
    }

    /// Problems that stop `file` from running against this policy, located in the test file: an
    /// `expect.rule` the policy does not have, a signed token from an unknown provider or an
    /// unreadable key set.
    public func problems(in file: PolicyTestFile) -> [Diagnostic] {
        let rules = Set(policy.rules.map(\.rule.id))
        var problems: [Diagnostic] = []
        for testCase in file.cases {
            if case .some(.some(let rule)) = testCase.expect.rule, !rules.contains(rule) {
                problems.append(
                    .error(
                        "test.unknown-rule",
                        "case `\(testCase.name)` expects rule `\(rule)`, which \(file.policy) does not have",
                        at: testCase.expect.ruleLocation ?? testCase.location,
                        help: "its rules are \(policy.rules.map { "`\($0.rule.id)`" }.joined(separator: ", "))"))
            }
            if let signed = testCase.signed {
                if policy.provider(signed.provider) == nil {
                    problems.append(
                        .error(
                            "test.unknown-provider",
                            "case `\(testCase.name)` signs a token for provider `\(signed.provider)`, which \(file.policy) does not have",
                            at: testCase.location))
                }
                do {
                    let signer = try FixtureSigner(path: signed.jwks.value)
                    if let kid = signed.kid, !signer.kids.contains(kid) {
                        problems.append(
                            .error(
                                "test.unknown-key", "\(signed.jwks.value) has no key `\(kid)`",
                                at: signed.jwks.location,
                                help: "its keys are \(signer.kids.joined(separator: ", "))"))
                    }
                } catch {
                    problems.append(.error("test.unreadable-keys", error.description, at: signed.jwks.location))
                }
            }
        }
        return problems
    }

    /// Runs every case of `file`; cases without `now` in the file run at `defaultNow`. Call
    /// ``problems(in:)`` first: a case it reports is decided as if its credentials were missing.
    public func run(_ file: PolicyTestFile, defaultNow: Date) async -> [CaseResult] {
        let evaluator = Evaluator(policy: policy)
        let now = file.now ?? defaultNow
        let unsigned = TokenVerifier.offline()
        var signers: [String: FixtureSigner] = [:]
        var results: [CaseResult] = []
        for testCase in file.cases {
            var request = testCase.request
            var verifier = unsigned
            if let signed = testCase.signed,
                let signer = signers[signed.jwks.value] ?? (try? FixtureSigner(path: signed.jwks.value)),
                let token = try? signer.token(claims: claims(signed, now: now), kid: signed.kid)
            {
                signers[signed.jwks.value] = signer
                request.headers.append((name: "Authorization", value: "Bearer \(token)"))
                verifier = TokenVerifier.offline(keys: signer.publicJWKS)
            }
            let decision = await evaluator.evaluate(
                request, caller: testCase.caller, verifier: verifier, now: now, explain: true)
            results.append(
                CaseResult(testCase: testCase, decision: decision, mismatches: Self.compare(testCase.expect, decision)))
        }
        return results
    }

    /// The claims of a signed token: the provider's issuer and first audience, issued at `now`,
    /// expiring an hour later, unless the case sets them.
    private func claims(_ signed: PolicyTestFile.SignedToken, now: Date) -> [String: JSONValue] {
        var claims: [String: JSONValue] = ["iat": .number(now.timeIntervalSince1970.rounded(.down))]
        claims["exp"] = .number(now.timeIntervalSince1970.rounded(.down) + 3600)
        if let provider = policy.provider(signed.provider) {
            claims["iss"] = .string(provider.issuer)
            if let audience = provider.audiences.first { claims["aud"] = .string(audience) }
        }
        return claims.merging(signed.claims) { $1 }
    }

    static func compare(_ expect: PolicyTestFile.Expectation, _ decision: Decision) -> [String] {
        var mismatches: [String] = []
        func check(_ field: String, _ expected: String?, _ actual: String?) {
            guard let expected, expected != actual else { return }
            mismatches.append("\(field): expected `\(expected)`, got `\(actual ?? "(none)")`")
        }
        check("decision", expect.decision?.rawValue, decision.outcome.rawValue)
        check("status", expect.status.map(String.init), String(decision.status))
        check("code", expect.code?.rawValue, decision.code.rawValue)
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

extension TokenVerifier {
    /// A verifier that asks no provider: JWTs are checked against `keys` (none by default), API
    /// tokens and Basic users against the policy. Nothing is cached between cases.
    static func offline(keys: String = #"{"keys":[]}"#) -> TokenVerifier {
        TokenVerifier(keys: SavedKeySet(json: keys), cacheSize: 0)
    }
}
