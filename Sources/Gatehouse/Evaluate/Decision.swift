/// The answer for one request: allow or deny, the status a gateway returns, a stable code, the
/// reason, the deciding rule, who the caller is, and the headers passed upstream.
public struct Decision: Sendable, Encodable {
    /// Allow or deny.
    public enum Outcome: String, Sendable, Encodable, CaseIterable {
        case allow, deny
    }

    /// The code, which fixes the outcome and the status.
    public let code: DecisionCode
    /// Allow or deny.
    public var outcome: Outcome { code.outcome }
    /// The HTTP status: 200, 400, 401, 403 or 503.
    public var status: Int { code.status }
    /// One-line explanation.
    public var reason: String { explanation.text }
    /// The deciding rule's id; nil when the default or a malformed request decided.
    public let rule: String?
    /// Where the deciding rule is written.
    public let location: String?
    /// The normalized request path; nil for a refused target.
    public let path: String?
    /// The caller, when known.
    public let identity: DecisionIdentity?
    /// Headers to pass upstream: on allow, every configured header (empty when unknown).
    public var headers: [String: String] {
        var headers: [String: String] = [:]
        for header in upstream { headers[header.name] = value(of: header.field) }
        return headers
    }
    /// The `WWW-Authenticate` value for 401, and for 403 on a missing scope.
    public var challenge: String? { challengeSpec?.text }
    /// Every rule tried and why it matched or not (with `--explain`).
    public var trace: [TraceStep]?
    /// True when the caller was simulated.
    public let simulated: Bool?
    /// The credential the decision looked at, as logs name it.
    public var credential: CredentialName?
    /// The id the server answered with, when one did (`/v1/decide`, `evaluate --gateway`).
    public var decisionID: String?
    /// The claims of the signed assertion `serve` would send upstream (`evaluate`, when the policy
    /// has `assertion:`); the signature is `serve`'s alone.
    public var assertion: AssertionClaims?

    // Reason, headers and challenge are kept as parts and rendered when read, so deciding does
    // not build text that a gateway may never look at.
    let explanation: Explanation
    let upstream: [UpstreamHeader]
    let challengeSpec: Challenge?

    private func value(of field: IdentityField) -> String {
        switch field {
        case .username: return identity?.username ?? ""
        case .subject: return identity?.subject ?? ""
        case .provider: return identity?.provider ?? ""
        case .scheme: return identity?.scheme.rawValue ?? ""
        case .groups: return identity?.groups.joined(separator: ",") ?? ""
        case .scopes: return identity?.scopes.joined(separator: " ") ?? ""
        case .rule: return rule ?? ""
        }
    }

    /// Whether the request may pass.
    public var isAllowed: Bool { outcome == .allow }

    init(
        code: DecisionCode, rule: String?, location: String?, path: String?, identity: DecisionIdentity?,
        simulated: Bool?, explanation: Explanation, upstream: [UpstreamHeader], challengeSpec: Challenge?
    ) {
        self.code = code
        self.rule = rule
        self.location = location
        self.path = path
        self.identity = identity
        self.simulated = simulated
        self.explanation = explanation
        self.upstream = upstream
        self.challengeSpec = challengeSpec
    }

    /// A refusal decided before any policy applies: a gateway's check request that does not say
    /// which request it asks about, a request document that cannot be read.
    public static func refusal(_ code: DecisionCode, reason: String) -> Decision {
        Decision(
            code: code, rule: nil, location: nil, path: nil, identity: nil, simulated: nil,
            explanation: .text(reason), upstream: [], challengeSpec: nil)
    }

    enum CodingKeys: String, CodingKey {
        case decision, status, code, reason, rule, location, path, identity, headers, challenge, trace, simulated
        case assertion
        case decisionID = "decision_id"
    }

    /// `rule` and `identity` are always present (null when none), the rest only when set.
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(outcome, forKey: .decision)
        try container.encode(status, forKey: .status)
        try container.encode(code, forKey: .code)
        try container.encode(reason, forKey: .reason)
        try container.encode(rule, forKey: .rule)
        try container.encodeIfPresent(location, forKey: .location)
        try container.encodeIfPresent(path, forKey: .path)
        try container.encode(identity, forKey: .identity)
        try container.encode(headers, forKey: .headers)
        try container.encodeIfPresent(challenge, forKey: .challenge)
        try container.encodeIfPresent(trace, forKey: .trace)
        try container.encodeIfPresent(simulated, forKey: .simulated)
        try container.encodeIfPresent(decisionID, forKey: .decisionID)
        try container.encodeIfPresent(assertion, forKey: .assertion)
    }
}

/// The caller as shown in a decision: no claims and no secrets.
public struct DecisionIdentity: Sendable, Encodable, Hashable {
    public let username: String
    public let subject: String?
    public let provider: String?
    public let scheme: Scheme
    public let groups: [String]
    public let scopes: [String]
    public let apiToken: String?

    init(_ identity: Identity) {
        username = identity.username
        subject = identity.subject
        provider = identity.provider
        scheme = identity.scheme
        groups = identity.groups
        scopes = identity.scopes
        apiToken = identity.apiToken
    }

    enum CodingKeys: String, CodingKey {
        case username, subject, provider, scheme, groups, scopes
        case apiToken = "api_token"
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(username, forKey: .username)
        try container.encode(subject, forKey: .subject)
        try container.encode(provider, forKey: .provider)
        try container.encode(scheme, forKey: .scheme)
        try container.encode(groups, forKey: .groups)
        try container.encode(scopes, forKey: .scopes)
        try container.encodeIfPresent(apiToken, forKey: .apiToken)
    }
}

/// One step of a decision's explanation.
public struct TraceStep: Sendable, Encodable, Hashable {
    /// The rule's id, or `default`.
    public let rule: String
    /// Where it is written.
    public let location: String?
    /// `matched`, `skipped` or `decided`.
    public let result: String
    /// Why.
    public let detail: String
}

/// A decision's reason, in parts.
enum Explanation: Sendable {
    case text(String)
    case ruleAllows(rule: String, username: String)
    case ruleAllowsAnyone(rule: String)
    case lacksScopes([String])

    var text: String {
        switch self {
        case .text(let text): return text
        case .ruleAllows(let rule, let username): return "rule `\(rule)` allows `\(username)`"
        case .ruleAllowsAnyone(let rule): return "rule `\(rule)` allows anyone"
        case .lacksScopes(let scopes): return "the caller lacks scope \(Evaluator.list(scopes))"
        }
    }
}

/// A decision's `WWW-Authenticate` challenge, in parts (RFC 6750 for Bearer).
enum Challenge: Sendable {
    /// One challenge per scheme the rule accepts.
    case schemes(SchemeSet, realm: String)
    /// `error="invalid_token"` with a description.
    case invalidToken(realm: String, description: String)
    /// `error="insufficient_scope"` with the scopes the rule needs.
    case insufficientScope(realm: String, scopes: [String])

    var text: String {
        switch self {
        case .schemes(let schemes, let realm):
            var challenges: [String] = []
            if schemes.allows(.bearer) || schemes.allows(.apiToken) || !schemes.allows(.basic) {
                challenges.append("Bearer " + realm)
            }
            if schemes.allows(.basic) { challenges.append("Basic " + realm) }
            return challenges.joined(separator: ", ")
        case .invalidToken(let realm, let description):
            return
                "Bearer \(realm), error=\"invalid_token\", error_description=\"\(CompiledPolicy.quoted(description))\""
        case .insufficientScope(let realm, let scopes):
            let scope = CompiledPolicy.quoted(scopes.joined(separator: " "))
            return "Bearer \(realm), error=\"insufficient_scope\", scope=\"\(scope)\""
        }
    }
}
