import Foundation

/// `assertion:`: every allow carries a short-lived JWT that Gatehouse signs, so the upstream can
/// verify who the caller is instead of trusting a plain header.
public struct AssertionSettings: Sendable, Hashable {
    /// The header that carries it (`X-Gatehouse-Assertion` by default).
    public let header: String
    /// Its `iss`.
    public let issuer: String
    /// Its `aud`.
    public let audience: String
    /// How long each assertion is valid.
    public let ttl: Duration
    /// The signing keys: the first signs, every one is published (so a key can be rotated in).
    public let keys: [AssertionKeyFile]

    /// The default header.
    public static let standardHeader = "X-Gatehouse-Assertion"
    /// The shortest and longest `ttl` accepted.
    public static let ttlRange: ClosedRange<Duration> = .seconds(5)...(.seconds(600))
}

/// A private key the policy names, read by the server from its own disk, never from a bundle.
public struct AssertionKeyFile: Sendable, Hashable {
    /// The path as written: absolute, or relative to the policy file's folder.
    public let path: String
    /// The key id, the JWT header's `kid` and the published JWK's.
    public let kid: String
    /// Where the key is named.
    public let location: SourceLocation
}

/// The claims of the assertion for an allowed decision (``AssertionSettings``): who the caller is,
/// which rule let them through, under which decision and policy, for whom and until when.
public struct AssertionClaims: Sendable, Hashable, Encodable {
    public let iss: String
    public let aud: String
    public let sub: String?
    public let username: String
    public let provider: String?
    public let scheme: String
    public let groups: [String]
    public let scopes: [String]
    public let rule: String?
    public let decisionID: String
    public let revision: String
    public let iat: Int
    public let exp: Int

    /// The claims for `decision` under `settings`, made at `now` with the decision id `id` under
    /// the policy `revision`; nil when the decision is not an allow or has no caller (an
    /// `allow: anyone` rule): then the header is sent empty, so a client's copy never passes.
    public init?(_ decision: Decision, _ settings: AssertionSettings, id: String, revision: String, now: Date) {
        guard decision.isAllowed, let identity = decision.identity else { return nil }
        iss = settings.issuer
        aud = settings.audience
        sub = identity.subject
        username = identity.username
        provider = identity.provider
        scheme = identity.scheme.rawValue
        groups = identity.groups
        scopes = identity.scopes
        rule = decision.rule
        decisionID = id
        self.revision = revision
        iat = Int(now.timeIntervalSince1970.rounded(.down))
        exp = iat + Int(settings.ttl.components.seconds)
    }

    enum CodingKeys: String, CodingKey {
        case iss, aud, sub, username, provider, scheme, groups, scopes, rule, revision, iat, exp
        case decisionID = "decision_id"
    }

    /// `sub`, `provider` and `rule` are left out when unknown (a JWT's `sub` is a string or absent).
    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(iss, forKey: .iss)
        try container.encode(aud, forKey: .aud)
        try container.encodeIfPresent(sub, forKey: .sub)
        try container.encode(username, forKey: .username)
        try container.encodeIfPresent(provider, forKey: .provider)
        try container.encode(scheme, forKey: .scheme)
        try container.encode(groups, forKey: .groups)
        try container.encode(scopes, forKey: .scopes)
        try container.encodeIfPresent(rule, forKey: .rule)
        try container.encode(decisionID, forKey: .decisionID)
        try container.encode(revision, forKey: .revision)
        try container.encode(iat, forKey: .iat)
        try container.encode(exp, forKey: .exp)
    }

    /// The payload as compact JSON with sorted keys, as `JSONEncoder` would write it (by hand: a
    /// fresh assertion is made on the request path, and `JSONEncoder` cost more than the signature).
    public var json: String {
        var line = JSONLine()
        line.add("aud", aud)
        line.add("decision_id", decisionID)
        line.add("exp", exp)
        line.add("groups", groups)
        line.add("iat", iat)
        line.add("iss", iss)
        line.add("provider", provider)
        line.add("revision", revision)
        line.add("rule", rule)
        line.add("scheme", scheme)
        line.add("scopes", scopes)
        line.add("sub", sub)
        line.add("username", username)
        return line.object()
    }
}
