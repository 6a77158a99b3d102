import Foundation
import Gatehouse

/// A policy test file (`NAME.test.yaml`): the policy it tests, an optional fixed instant, and cases.
///
/// ```yaml
/// policy: confluence-okta.yaml          # relative to this file
/// now: 2026-11-29T08:00:00Z
/// cases:
///   - name: a reader may read content
///     request: { method: GET, path: /confluence/rest/api/content/1 }
///     identity: { provider: okta, claims: { preferred_username: alice, scp: [content:read] } }
///     expect: { decision: allow, status: 200, code: rule.allow, rule: read-content, username: alice }
/// ```
public struct PolicyTestFile: Sendable {
    /// One case.
    public struct Case: Sendable {
        /// What the case shows.
        public let name: String
        /// Where the case is written.
        public let location: SourceLocation
        /// The request.
        public let request: APIRequest
        /// The simulated caller, if any.
        public let caller: SimulatedCaller?
        /// A token to sign with a fixture key and send as `Authorization: Bearer`, if any.
        public let signed: SignedToken?
        /// What the decision must say.
        public let expect: Expectation
    }

    /// `identity: { signed: { provider, jwks, kid, claims } }`: a token signed with a key from a
    /// fixture JWK set. `iss`, `aud` (the provider's first audience), `iat` and `exp` (an hour
    /// after `now`) are filled in unless `claims` sets them.
    public struct SignedToken: Sendable {
        public let provider: String
        /// The JWK set's path, resolved against the test file's folder.
        public let jwks: Located<String>
        public let kid: String?
        public let claims: [String: JSONValue]
    }

    /// The fields of a decision a case pins; nil fields are not checked.
    public struct Expectation: Sendable {
        public var decision: Decision.Outcome?
        public var status: Int?
        public var code: DecisionCode?
        /// The rule; `.some(nil)` pins "no rule decided".
        public var rule: String??
        /// Where `rule` is written.
        public var ruleLocation: SourceLocation?
        public var username: String?
        public var headers: [String: String]?
        public var challenge: String?
    }

    /// The test file's path.
    public let file: String
    /// The policy's path, resolved against the test file's folder, and where the file names it.
    public let policy: String
    public let policyLocation: SourceLocation
    /// The instant cases are evaluated at.
    public let now: Date?
    /// The cases, in file order.
    public let cases: [Case]

    static let keys = ["policy", "now", "cases"]
    static let caseKeys = ["name", "request", "identity", "expect"]
    static let expectKeys = ["decision", "status", "code", "rule", "username", "headers", "challenge"]

    /// Reads a test file.
    public static func parse(_ source: SourceFile) -> Result<PolicyTestFile, DiagnosticList> {
        let reader = TestFileReader(source: source)
        guard let file = reader.read(), !reader.context.diagnostics.hasErrors else {
            return .failure(DiagnosticList(reader.context.diagnostics))
        }
        return .success(file)
    }
}
